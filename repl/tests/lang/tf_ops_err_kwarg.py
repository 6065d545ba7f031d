import tensorflow as tf

x = tf.ones([2, 2])
print(tf.reduce_sum(x, axis=1))
print(tf.reduce_sum(x, axes=1))
