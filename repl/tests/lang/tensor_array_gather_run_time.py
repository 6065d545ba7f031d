import tensorflow as tf

# TensorArray.gather with indices known only when the traced function runs.
@tf.function
def every_other(x, start):
    n = tf.shape(x)[0]
    ta = tf.TensorArray(tf.float32, size=n)
    for i in tf.range(n):
        ta = ta.write(i, x[i] * 10.0)
    return ta.gather(tf.range(start, n, 2))

x = tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])
print(every_other(x, tf.constant(0)).numpy())
print(every_other(x, tf.constant(1)).numpy())
print(every_other(x[:2], tf.constant(1)).numpy())
