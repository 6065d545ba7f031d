import tensorflow as tf

a = tf.constant([1.0, 2.0, 3.0])
b = tf.constant([[1, 2], [3, 4]])
c = tf.constant(5)
d = tf.constant(2.5, dtype=tf.float64)
e = tf.constant([1, 2], dtype=tf.float32)
print(a)
print(b)
print(c, d, e)
print(repr(a))
print(a.shape, a.dtype, b.dtype, a.dtype == tf.float32, tf.float32, repr(tf.int32))
print(a + 1, a * 2.0, 1 - a, a / 2, a ** 2, -a)
print(b + 1, b * b, b @ b, b // 3, b % 3)
print(b / 2)
print(tf.add(a, a), tf.multiply(a, 3), tf.matmul(b, b), tf.reduce_sum(b), tf.reduce_sum(b, axis=0))
print(a > 1.5, a == 2.0, b <= 2)
print(a[0], a[1:], b[1], b[:, 0], b[0, 1])
print(float(a[0]), int(c), bool(tf.constant(True)))
print(f"{a[1]:.3f}", len(a), [float(x) for x in a])
print(a.numpy(), b.numpy())
print(repr(a.numpy()), a.numpy().tolist())

v = tf.Variable([1.0, 2.0])
print(v)
v.assign([3.0, 4.0])
print(v.numpy())
v.assign_add([1.0, 1.0])
print(v + 1)
s = tf.Variable(0)
for i in range(5):
    s.assign_add(i)
print(s)

x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x * x + 2 * x
print(tape.gradient(y, x))

w = tf.Variable([[1.0], [2.0]])
bias = tf.Variable(0.5)
inp = tf.constant([[1.0, 2.0], [3.0, 4.0]])
with tf.GradientTape() as tape:
    out = tf.matmul(inp, w) + bias
    loss = tf.reduce_sum(out ** 2)
grads = tape.gradient(loss, [w, bias])
print(loss)
print(grads[0])
print(grads[1])

with tf.GradientTape(persistent=True) as t2:
    t2.watch(x)
    y1 = x * x
    y2 = x * x * x
print(t2.gradient(y1, x), t2.gradient(y2, x))
