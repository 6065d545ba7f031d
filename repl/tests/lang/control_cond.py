import tensorflow as tf

x = tf.constant(3.0)
print(tf.cond(x > 2.0, lambda: x * 2.0, lambda: x - 1.0))
print(tf.cond(x < 2.0, lambda: x * 2.0, lambda: x - 1.0))
print(tf.cond(True, lambda: 1, lambda: 2))
r = tf.cond(tf.constant(False), lambda: (x, x + 1.0), lambda: (x - 1.0, x - 2.0))
print(r[0], r[1])
print(tf.cond(tf.constant(True), lambda: [x], lambda: [x + 1.0]))
d = tf.cond(x > 0.0, lambda: {"b": x, "a": x * 3.0}, lambda: {"b": x, "a": x})
print(sorted(d.keys()), d["a"])

def boom():
    raise ValueError("bad branch")

try:
    tf.cond(x > 0.0, boom, lambda: x)
except ValueError as e:
    print("caught", e)

try:
    tf.cond(x > 0.0, 3, lambda: x)
except TypeError as e:
    print("TypeError", e)

i = tf.constant(2)
print(tf.switch_case(i, [lambda: 10, lambda: 20, lambda: 30]))
print(tf.switch_case(tf.constant(7), [lambda: tf.constant(10), lambda: tf.constant(20)]))
print(tf.switch_case(tf.constant(-1), {0: lambda: 1, 1: lambda: 2}, default=lambda: 99))
print(tf.switch_case(tf.constant(1), {1: lambda: "one", 0: lambda: "zero"}))
try:
    tf.switch_case(1, [lambda: 1])
except TypeError as e:
    print("TypeError", e)
try:
    tf.switch_case(tf.constant(0), {0: lambda: 1, 2: lambda: 2})
except ValueError as e:
    print("ValueError", e)

with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.cond(x > 1.0, lambda: x * x * x, lambda: x)
print(tape.gradient(y, x))
