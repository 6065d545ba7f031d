import tensorflow as tf


@tf.function
def grow(v):
    while True:
        v = v * 2.0
        if v > 10.0:
            break
    return v


print(grow(tf.constant(1.5)))
