import tensorflow as tf

x = tf.range(6)
print(tf.reshape(x, [3, -1]))
print(tf.reshape(x, [4, -1]))
