import tensorflow as tf

x = tf.reshape(tf.range(24, dtype=tf.float32), [4, 6])
n = tf.constant(3)
print(x[:n])
print(x[1, n])
print(x[:, n:])

@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([], tf.int32)])
def head(t, k):
    return t[:k, -k:], t[k - 1], t[:, k]

a, b, c = head(x, tf.constant(2))
print(a)
print(b)
print(c)
a, b, c = head(x, tf.constant(-1))
print(a.shape, b, c)

@tf.function
def trim(t, like):
    return t[:tf.shape(like)[0], 1:tf.shape(like)[1] + 1]

print(trim(x, tf.zeros([2, 3])))

@tf.function
def strided(t, k):
    return t[::k, ::-k], t[k:0:-k]

print(strided(x, tf.constant(2)))
print(strided(x, tf.constant(3)))

@tf.function
def rows_sum(t):
    s = tf.zeros([tf.shape(t)[1]])
    for i in tf.range(tf.shape(t)[0]):
        s = s + t[i] * tf.cast(i, tf.float32)
    return s

print(rows_sum(x))

v = tf.Variable(x)

@tf.function
def grad_of_slice(k):
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[k:, :k] ** 2)
    return y, tape.gradient(y, v)

y, g = grad_of_slice(tf.constant(2))
print(y)
print(g)
y, g = grad_of_slice(tf.constant(3))
print(y)
print(g)

@tf.function
def second(t, k):
    with tf.GradientTape() as t2:
        t2.watch(t)
        with tf.GradientTape() as t1:
            t1.watch(t)
            y = tf.reduce_sum(t[k] ** 3)
        g = t1.gradient(y, t)
        z = tf.reduce_sum(g * g)
    return t2.gradient(z, t)

print(second(tf.constant([[1.0, 2.0], [3.0, 4.0]]), tf.constant(1)))
print(grad_of_slice.experimental_get_tracing_count())

@tf.function
def bad(t, k):
    return t[k]

try:
    bad(x, tf.constant(7))
except tf.errors.InvalidArgumentError as e:
    print("InvalidArgumentError")

@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([], tf.int32)])
def sliced(t, k):
    with tf.GradientTape() as tape:
        tape.watch(t)
        a = tf.slice(t, [0, k], [-1, 2])
        b = tf.slice(t, [k, 0], [1, tf.shape(t)[1] - k])
        y = tf.reduce_sum(a * 2.0) + tf.reduce_sum(b * b)
    return a, b, tape.gradient(y, t)

for part in sliced(x, tf.constant(1)):
    print(part)
try:
    sliced(x, tf.constant(5))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
