import tensorflow as tf

# A TensorArray that grows one row per iteration (dynamic_size=True), differentiated inside
# the traced function: the gradient is part of the graph.
@tf.function
def grow(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        i = tf.constant(0)
        v = x
        while i < n:
            v = v * 0.5 + tf.sin(v)
            ta = ta.write(i, v)
            i += 1
        s = ta.stack()
        y = tf.reduce_sum(s * s) / tf.cast(tf.shape(s)[0], tf.float32)
    return y, tape.gradient(y, x)

# Two arrays, one of them int32, and a row written twice (the first write does not count).
@tf.function
def two_arrays(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        vals = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        steps = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        p = tf.ones_like(x)
        for i in tf.range(n):
            p = p * x
            vals = vals.write(i, p * 100.0)
            vals = vals.write(i, p)
            steps = steps.write(i, i + 1)
        w = tf.cast(steps.stack(), tf.float32)
        y = tf.reduce_sum(vals.stack() * w[:, None])
    return y, tape.gradient(y, x)

x = tf.constant([0.5, -1.0, 2.0])
for n in [4, 1, 7]:
    y, g = grow(x, tf.constant(n))
    print(n, tf.round(y * 1e4).numpy(), tf.round(g * 1e4).numpy())
print("traces:", grow.experimental_get_tracing_count())

x = tf.constant([0.5, -1.5])
for n in [3, 5]:
    y, g = two_arrays(x, tf.constant(n))
    print(n, tf.round(y * 1e4).numpy(), tf.round(g * 1e4).numpy())
print("traces:", two_arrays.experimental_get_tracing_count())
