import tensorflow as tf

print(tf.gather([1, 2, 3], [2, 0]))
print(tf.gather([1, 2, 3], [3]))
