import tensorflow as tf

a = tf.ones([2, 3])
print(tf.matmul(a, a, transpose_b=True))
print(tf.matmul(a, a))
