import tensorflow as tf

# In a graph, a body that returns a single value for a single loop variable is accepted: the
# value is the loop variable (TensorFlow's while_v2 wraps it). The result keeps the kind of
# sequence loop_vars was given as.


@tf.function
def doubled(x):
    return tf.while_loop(lambda x: x < 10.0, lambda x: x * 2.0, loop_vars=[x])


@tf.function
def doubled_tuple(x):
    return tf.while_loop(lambda x: x < 10.0, lambda x: x * 2.0, loop_vars=(x,))


@tf.function
def counted(n):
    return tf.while_loop(lambda i: i < n, lambda i: i + 1, [0])


@tf.function
def capped(x):
    return tf.while_loop(lambda x: x < 100.0, lambda x: x * 2.0, loop_vars=[x], maximum_iterations=2)


@tf.function
def rows(x):
    return tf.while_loop(lambda v: v[0] < 10.0, lambda v: v * 2.0, loop_vars=[tf.stack([x, x + 1.0])])


@tf.function
def as_list(x):
    return tf.while_loop(lambda x: x < 10.0, lambda x: [x * 2.0], loop_vars=[x])


@tf.function
def as_tuple(x):
    return tf.while_loop(lambda x: x < 10.0, lambda x: (x * 2.0,), loop_vars=[x])


@tf.function
def pair(x):
    return tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * x), (0, 1.0))


@tf.function
def nested(x):
    return tf.while_loop(lambda p: p[0] < 3, lambda p: [(p[0] + 1, p[1] * x)], [(0, 1.0)])


x = tf.constant(1.5)
print(doubled(x))
print(doubled_tuple(x))
print(counted(tf.constant(4)))
print(capped(x))
print(rows(x))
print(as_list(x))
print(as_tuple(x))
print(pair(x))
print(nested(x))


@tf.function
def two_vars_one_value(x):
    return tf.while_loop(lambda i, s: i < 3, lambda i, s: i + 1, [0, x])


for f in [two_vars_one_value]:
    try:
        f(x)
        print(f.__name__, "no error")
    except ValueError:
        print(f.__name__, "ValueError")

# Eagerly TensorFlow iterates the body's result: a scalar tensor or a number is refused, and the
# rows of a vector are loop variables.
for name, fn in [
    ("eager scalar", lambda: tf.while_loop(lambda x: x < 10.0, lambda x: x * 2.0, loop_vars=[x])),
    ("eager number", lambda: tf.while_loop(lambda i: i < 3, lambda i: i + 1, [0])),
    ("eager capped", lambda: tf.while_loop(lambda x: x < 10.0, lambda x: x * 2.0, [x], maximum_iterations=2)),
    ("eager rows", lambda: tf.while_loop(lambda v: v[0] < 10.0, lambda v: v * 2.0, [tf.constant([1.0, 2.0])])),
    ("eager dict", lambda: tf.while_loop(lambda d: d["n"] < 3, lambda d: {"n": d["n"] + 1}, [{"n": 0}])),
]:
    try:
        print(name, fn())
    except (TypeError, ValueError) as e:
        print(name, type(e).__name__)
print("eager two rows", tf.while_loop(lambda a, b: a < 5.0, lambda a, b: tf.stack([a + b, b]), [1.0, 2.0]))
print("eager list", tf.while_loop(lambda x: x < 10.0, lambda x: [x * 2.0], loop_vars=[x]))
print("eager tuple", tf.while_loop(lambda x: x < 10.0, lambda x: (x * 2.0,), loop_vars=[x]))
