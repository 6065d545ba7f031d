import tensorflow as tf


def check(x):
    if x.shape[0] > 2:
        raise ValueError("too long: " + str(x.shape[0]))
    return x


@tf.function
def f(x):
    print("tracing f")
    return check(x) * 2.0


print(f(tf.constant([1.0, 2.0])))
f(tf.constant([1.0, 2.0, 3.0]))
