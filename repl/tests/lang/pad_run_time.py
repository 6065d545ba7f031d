import tensorflow as tf

spec = [tf.TensorSpec([None, None], tf.float32)]

@tf.function(input_signature=spec)
def padded(t):
    n = tf.shape(t)[0]
    return tf.pad(t, [[0, n], [1, 0]]), tf.pad(t, [[1, 1], [0, 3 - tf.shape(t)[1]]], constant_values=-1.0)

for x in [tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant([[5.0]])]:
    a, b = padded(x)
    print(a)
    print(b)

@tf.function(input_signature=spec)
def grad(t):
    with tf.GradientTape() as tape:
        tape.watch(t)
        p = tf.pad(t, [[tf.shape(t)[0], 1], [0, tf.shape(t)[1]]])
        y = tf.reduce_sum(p * tf.reshape(tf.range(tf.size(p), dtype=tf.float32), tf.shape(p)))
    return y, tape.gradient(y, t)

print(grad(tf.constant([[1.0, 2.0, 3.0]])))

try:
    padded(tf.ones([1, 5]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
