import tensorflow as tf

# `continue` under a tensor condition in a Python loop: the rest of the body is guarded by a cond
# on the flag while the loop still unrolls at trace time.


def skip_large(v):
    total = tf.constant(0.0)
    for x in [1.0, 2.0, 3.0, 4.0]:
        if x * v > 4.0:
            continue
        total = total + x * v
    return total


def skip_nested(v):
    total = tf.constant(0.0)
    for x in [1.0, 2.0, 3.0, 4.0]:
        if x * v > 2.0:
            if x * v < 5.0:
                continue
            total = total + 100.0
        total = total + x * v
    return total


def skip_both(v):
    total = tf.constant(0.0)
    for x in [1.0, 2.0, 3.0]:
        if v > x:
            total = total + x
            continue
        else:
            total = total - x
            continue
        total = total + 1000.0
    return total


def skip_while(v):
    i = 0
    while i < 4:
        i += 1
        if v > 2.0:
            continue
        v = v + 1.0
    return v


def skip_range(v):
    acc = tf.zeros([2])
    for k in range(5):
        if tf.reduce_sum(acc) > v:
            continue
        acc = acc + tf.constant([1.0, 2.0]) * k
    return acc


def inner_skip(n):
    total = 0
    for i in tf.range(n):
        for j in range(3):
            if i + j > 3:
                continue
            total += j
    return total


def static_exits(v):
    # Python conditions: break and return run at trace time.
    out = v
    for k in range(10):
        if k == 3:
            break
        out = out * 2.0
    for k in range(10):
        if k == 2:
            return out + k
    return out


for f, args in [
    (skip_large, [1.5]),
    (skip_large, [0.5]),
    (skip_nested, [1.5]),
    (skip_nested, [0.4]),
    (skip_both, [1.5]),
    (skip_both, [5.0]),
    (skip_while, [1.5]),
    (skip_while, [2.5]),
    (skip_range, [3.0]),
    (skip_range, [100.0]),
    (inner_skip, [4]),
    (inner_skip, [1]),
    (static_exits, [1.5]),
]:
    xs = [tf.constant(a) for a in args]
    print(f.__name__, args, f(*xs), tf.function(f)(*xs))


# `break` or `return` under a tensor condition in a Python loop: TensorFlow refuses the loop
# (the flag is a tensor, so a Python loop cannot tell whether to go on).


def stop_for(v):
    total = tf.constant(0.0)
    for i in range(5):
        total = total + v
        if tf.reduce_sum(total) > 3.0:
            break
    return total


def stop_list(v):
    for x in [1.0, 2.0, 3.0]:
        if v > x:
            break
        v = v + 1.0
    return v


def stop_inner(n):
    total = 0
    for i in tf.range(n):
        for j in range(3):
            if i + j > 3:
                break
            total += j
    return total


def return_both(v):
    for i in range(3):
        if v > 0.0:
            return v
        else:
            return -v
    return v * 0.0


def return_one(v):
    for i in range(5):
        v = v * 2.0
        if v > 10.0:
            return v
    return -v


def stop_while(v):
    i = 0
    while i < 4:
        i += 1
        if v > 2.0:
            break
        v = v + 1.0
    return v


def while_true(v):
    while True:
        v = v * 2.0
        if v > 10.0:
            break
    return v


def while_true_return(v):
    while True:
        v = v * 2.0
        if v > 10.0:
            return v
    return v


def while_one(v):
    while 1:
        v = v * 2.0
        if v > 10.0:
            break
    return v


def becomes_tensor(v):
    i = 0
    while i < 3:
        i = i + v
    return i


for f, arg in [
    (stop_for, 1.5),
    (stop_list, 1.5),
    (stop_inner, 4),
    (return_both, 1.5),
    (return_one, 1.5),
    (stop_while, 1.5),
    (while_true, 1.5),
    (while_true_return, 1.5),
    (while_one, 1.5),
    (becomes_tensor, 1),
]:
    x = tf.constant(arg)
    print(f.__name__, arg, f(x))
    try:
        tf.function(f)(x)
        print("  traced: no error")
    except (NotImplementedError, ValueError, TypeError) as e:
        print("  traced:", type(e).__name__)

# One trace serves every input: the guards are in the graph, not decided at trace time.
traced = tf.function(skip_nested)
for v in [0.4, 1.0, 1.5, 3.0]:
    print("skip_nested", v, skip_nested(tf.constant(v)), traced(tf.constant(v)))
print("traces:", traced.experimental_get_tracing_count())
