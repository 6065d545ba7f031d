import tensorflow as tf

# TensorArrays written in converted loops without a declared element_shape: the shape comes from
# the values written, as in TensorFlow.


def doubles(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        ta = ta.write(i, tf.cast(i, tf.float32) * 2.0)
    return ta.stack()


def doubles_until(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        if i > 3:
            break
        ta = ta.write(i, tf.cast(i, tf.float32) * 2.0)
    return ta.stack()


def squares_while(n):
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    i = tf.constant(0)
    while i < n:
        ta = ta.write(i, i * i)
        i += 1
    return ta.stack()


def scaled_rows(x):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    k = 0
    for row in x:
        ta = ta.write(k, row * 2.0)
        k += 1
    return ta.stack()


def running_sum(x):
    ta = tf.TensorArray(tf.float32, size=3)
    h = tf.zeros([2])
    for t in tf.range(3):
        h = h * 0.5 + x[t]
        ta = ta.write(t, h)
    return ta.stack()


x = tf.constant([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0]])
for f, arg in [
    (doubles, tf.constant(5)),
    (doubles_until, tf.constant(10)),
    (doubles_until, tf.constant(2)),
    (squares_while, tf.constant(4)),
    (scaled_rows, x),
    (running_sum, x),
]:
    print(f.__name__)
    print("  eager: ", f(arg))
    print("  traced:", tf.function(f)(arg))


@tf.function
def noisy(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    for i in tf.range(n):
        print("tracing the body")
        ta = ta.write(i, tf.cast(i, tf.float32))
    return ta.stack()


print(noisy(tf.constant(3)))
