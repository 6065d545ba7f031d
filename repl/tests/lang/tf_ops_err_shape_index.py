import tensorflow as tf

s = tf.zeros([2, 3]).shape
print(s[1], s[-2])
print(s[2])
