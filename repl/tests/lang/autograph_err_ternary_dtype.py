import tensorflow as tf


@tf.function
def sign(x):
    s = 1 if x > 0.0 else -1.0
    return s * x


print(sign(tf.constant(-2.0)))
