import tensorflow as tf


@tf.function
def first_big(v):
    for i in range(5):
        v = v * 2.0
        if v > 10.0:
            return v
    return -v


print(first_big(tf.constant(1.5)))
