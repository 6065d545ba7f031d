import tensorflow as tf

# The loop reads the array it grows, so the backward pass would need every iteration's buffer.
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
y, g = powers(tf.constant([0.5, 2.0]), tf.constant(3))
