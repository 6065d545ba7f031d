import tensorflow as tf

# TensorArray sizes known only when the traced function runs.
@tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
def running_sums(x):
    n = tf.shape(x)[0]
    rows = tf.TensorArray(tf.float32, size=n).unstack(x)
    out = tf.TensorArray(tf.float32, size=n)
    acc = tf.zeros([2])
    for i in tf.range(n):
        acc = acc + rows.read(i)
        out = out.write(i, acc)
    return out.stack(), out.size()

for x in [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[0.5, -1.0]]]:
    s, n = running_sums(tf.constant(x))
    print(s.numpy(), n.numpy())
print("traces:", running_sums.experimental_get_tracing_count())

@tf.function
def unwritten(x):
    ta = tf.TensorArray(tf.float32, size=tf.size(x), element_shape=[3])
    ta = ta.write(1, tf.ones([3]) * x[0])
    return ta.stack()

print(unwritten(tf.constant([2.0, 7.0, 1.0])).numpy())

@tf.function
def squares_grad(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        n = tf.shape(x)[0]
        ta = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            ta = ta.write(i, x[i] * x[i] * tf.cast(i + 1, tf.float32))
        y = tf.reduce_sum(ta.stack())
    return y, tape.gradient(y, x)

y, g = squares_grad(tf.constant([1.0, -2.0, 0.5, 3.0]))
print(y.numpy(), g.numpy())
