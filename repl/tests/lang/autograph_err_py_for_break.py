import tensorflow as tf


@tf.function
def first_over(v, limit):
    total = tf.constant(0.0)
    for x in [1.0, 2.0, 3.0]:
        total = total + x * v
        if total > limit:
            break
    return total


print(first_over(tf.constant(1.0), tf.constant(2.0)))
