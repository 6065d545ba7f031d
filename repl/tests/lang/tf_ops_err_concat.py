import tensorflow as tf

print(tf.concat([tf.ones([2, 2]), tf.zeros([1, 2])], axis=0))
print(tf.concat([tf.ones([2, 2]), tf.zeros([1, 3])], axis=0))
