import tensorflow as tf

print(tf.while_loop(lambda i: i < 10, lambda i: [i + 3], [0]))
i, s = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + tf.cast(i, tf.float32)), (0, 0.0))
print(i, s)
r = tf.while_loop(lambda i, p: i < 4, lambda i, p: [i + 1, p * 2.0], [tf.constant(0), tf.constant([1.0, 2.0])])
print(r[0], r[1])
r = tf.while_loop(lambda i: True, lambda i: (i + 1,), (0,), maximum_iterations=7)
print(r)
r = tf.while_loop(lambda d: d["n"] < 3, lambda d: [{"n": d["n"] + 1, "acc": d["acc"] * 3}], [{"n": 0, "acc": 1}])
print(r[0]["n"], r[0]["acc"])

x = tf.constant(2.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    _, y = tf.while_loop(lambda k, y: k < 3, lambda k, y: (k + 1, y * x), (0, 1.0))
print(y, tape.gradient(y, x))

def bad_body(i):
    raise RuntimeError("stop at " + str(int(i)))

try:
    tf.while_loop(lambda i: i < 3, bad_body, [0])
except RuntimeError as e:
    print("RuntimeError", e)
try:
    tf.while_loop(lambda i: i < 3, lambda i: [i + 1], [])
except ValueError as e:
    print("ValueError", e)

print(tf.range(5))
print(tf.range(1, 10, 3))
print(tf.range(0.0, 1.0, 0.25))
total = 0
for k in tf.range(4):
    total += k
print(total)
