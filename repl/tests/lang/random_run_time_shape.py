import tensorflow as tf

@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
def noisy(t):
    u = tf.random.uniform(tf.shape(t))
    n = tf.random.normal([tf.shape(t)[0], 3], mean=2.0, stddev=0.5, dtype=tf.float64)
    z = tf.random.truncated_normal(tf.shape(t)[1:])
    keep = tf.cast(u < 0.5, tf.float32)
    return tf.shape(u), tf.shape(n), tf.shape(z), tf.reduce_all(u >= 0.0), tf.reduce_all(u < 1.0), tf.reduce_all(tf.abs(z) <= 2.0), tf.reduce_all(tf.abs(n - 2.0) < 5.0), tf.shape(t * keep)

for shape in [[2, 3], [4, 1], [0, 5]]:
    u, n, z, a, b, c, d, k = noisy(tf.ones(shape))
    print(u.numpy(), n.numpy(), z.numpy(), a.numpy(), b.numpy(), c.numpy(), d.numpy(), k.numpy())
print(noisy.experimental_get_tracing_count())


# Integers in [minval, maxval) of a run-time shape.
@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def dice(t):
    d = tf.random.uniform(tf.shape(t), minval=1, maxval=7, dtype=tf.int32)
    big = tf.random.uniform([2, tf.size(t)], maxval=10**12, dtype=tf.int64)
    return tf.shape(d), d.dtype == tf.int32, tf.reduce_all((d >= 1) & (d < 7)), tf.shape(big), tf.reduce_all(big >= 0)


for n in [3, 0, 6]:
    s, is_int, ok, s2, ok2 = dice(tf.zeros([n]))
    print(s.numpy(), is_int, ok.numpy(), s2.numpy(), ok2.numpy())
print(dice.experimental_get_tracing_count())
