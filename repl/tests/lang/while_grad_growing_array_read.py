import tensorflow as tf

# The loop reads the array it grows: the backward pass gets the rows each iteration read.
@tf.function
def powers(x, n):
    with tf.GradientTape() as tape:
        tape.watch(x)
        ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
        ta = ta.write(0, x)
        i = tf.constant(1)
        while i < n:
            ta = ta.write(i, ta.read(i - 1) * x)
            i += 1
        y = tf.reduce_sum(ta.stack())
    return y, tape.gradient(y, x)

print("reading a growing TensorArray under a tape")
for n in [1, 3, 5]:
    y, g = powers(tf.constant([0.5, 2.0]), tf.constant(n))
    print(n, y.numpy(), g.numpy())
print(powers.experimental_get_tracing_count())
