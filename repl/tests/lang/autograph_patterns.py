import tensorflow as tf

# Common TF2 AutoGraph patterns, each called eagerly and through tf.function.


def rows_until_negative(t):
    acc = tf.constant(0.0)
    for x in t:
        if x < 0.0:
            break
        acc += x
    return acc


def nested_break(n):
    total = 0
    for i in tf.range(n):
        for j in tf.range(n):
            if j > i:
                break
            total += j
    return total


def elif_returns(x):
    if x > 10.0:
        return x * 2.0
    elif x > 0.0:
        return x + 1.0
    elif x > -5.0:
        return -x
    else:
        return x * 0.0


def both_return(x):
    if tf.reduce_sum(x) > 0.0:
        return x * 2.0
    else:
        return x - 1.0


def return_pair(x):
    if x > 0.0:
        return x, x * 2.0
    return -x, x


def skip_multiples(n):
    s = 0
    for i in tf.range(n):
        if i % 3 == 0:
            continue
        s += i
    return s


def ternary(x):
    y = x * 2.0 if x > 0.0 else -x
    return y


def ternary_and(x, y):
    return x + y if x > 0.0 and y > 0.0 else x - y


def range_of_shape(t):
    s = tf.constant(0.0)
    for i in range(tf.shape(t)[0]):
        s += t[i]
    return s


def halve_while(x):
    i = tf.constant(0)
    while i < 10 and x > 1.0:
        x = x / 2.0
        i += 1
    return i, x


def collect_until(n):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[])
    for i in tf.range(n):
        if i > 3:
            break
        ta = ta.write(i, tf.cast(i, tf.float32) * 2.0)
    return ta.stack()


def python_flag(x):
    found = False
    for i in range(3):
        if not found:
            x = x + 1.0
        found = True
    return x


for f, args in [
    (rows_until_negative, [[1.0, 2.0, -1.0, 4.0]]),
    (rows_until_negative, [[1.0, 2.0, 3.0]]),
    (nested_break, [4]),
    (elif_returns, [20.0]),
    (elif_returns, [3.0]),
    (elif_returns, [-2.0]),
    (elif_returns, [-7.0]),
    (both_return, [[1.0, -3.0]]),
    (both_return, [[1.0, 3.0]]),
    (return_pair, [-2.0]),
    (return_pair, [2.0]),
    (skip_multiples, [10]),
    (ternary, [-3.0]),
    (ternary, [3.0]),
    (ternary_and, [1.0, 2.0]),
    (ternary_and, [1.0, -2.0]),
    (range_of_shape, [[1.0, 2.0, 3.0]]),
    (halve_while, [40.0]),
    (halve_while, [0.5]),
    (collect_until, [10]),
    (collect_until, [2]),
    (python_flag, [1.0]),
]:
    xs = [tf.constant(a) for a in args]
    print(f.__name__, args)
    print("  eager: ", f(*xs))
    print("  traced:", tf.function(f)(*xs))


def mixed_exits(x):
    if x > 10.0:
        return x
    elif x > 0.0:
        y = x * 2.0
    else:
        y = -x
    return y + 1.0


def zipped_skip(v):
    total = tf.constant(0.0)
    for a, b in zip([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]):
        if a * v > 2.0:
            continue
        total += a * b
    return total


def ternary_pair(x):
    a, b = (x, x * 2.0) if x > 0.0 else (-x, x)
    return a + b


for f, arg in [
    (mixed_exits, 3.0),
    (mixed_exits, 30.0),
    (mixed_exits, -3.0),
    (zipped_skip, 1.5),
    (zipped_skip, 0.5),
    (ternary_pair, -2.0),
    (ternary_pair, 2.0),
]:
    x = tf.constant(arg)
    print(f.__name__, arg)
    print("  eager: ", f(x))
    print("  traced:", tf.function(f)(x))
print(tf.function(lambda x: x * 2.0 if x > 0.0 else -x)(tf.constant(-4.0)))
