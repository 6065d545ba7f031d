import tensorflow as tf

@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([], tf.int32)])
def best(t, k):
    with tf.GradientTape() as tape:
        tape.watch(t)
        top = tf.math.top_k(t, k=k)
        half = tf.math.top_k(t, k=tf.shape(t)[1] // 2)
        y = tf.reduce_sum(top.values * 2.0) + tf.reduce_sum(half.values)
    return top.values, top.indices, half.indices, tape.gradient(y, t)

x = tf.constant([[3.0, 1.0, 4.0, 1.5], [5.0, 9.0, 2.0, 6.0]])
for part in best(x, tf.constant(3)):
    print(part)
for part in best(x, tf.constant(0)):
    print(part)
try:
    best(x, tf.constant(5))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
