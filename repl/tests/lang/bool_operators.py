import tensorflow as tf

# `&`, `|` and `^` on bool tensors are TensorFlow's logical ops, eagerly and traced.
a = tf.constant([True, True, False, False])
b = tf.constant([True, False, True, False])
print(a & b, a | b, a ^ b)
print((a & True).numpy(), (False | b).numpy())


@tf.function
def mixed(x):
    return (x > 0.0) & (x < 2.0), (x < 0.0) | (x > 2.0), (x > 0.0) ^ (x > 1.0)


print(mixed(tf.constant([-1.0, 0.5, 1.5, 3.0])))
