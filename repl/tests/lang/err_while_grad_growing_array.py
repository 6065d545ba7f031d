import sys
import tensorflow as tf

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

print("growing a TensorArray under a tape")
x = tf.constant([0.5, -1.0, 2.0])
y, g = grow(x, tf.constant(4))

