import tensorflow as tf

x = tf.constant([-0.9, -0.5, 0.0, 0.25, 0.75], tf.float64)
print(tf.math.asin(x), tf.asin(x))
print(tf.math.acos(x), tf.acos(x))
print(tf.math.atan(x * 4.0), tf.atan(x))
print(tf.math.atanh(x), tf.atanh(x))
h = tf.constant([-3.0, -1.0, 0.0, 0.5, 2.0], tf.float64)
print(tf.math.sinh(h), tf.sinh(h))
print(tf.math.cosh(h), tf.cosh(h))
print(tf.math.asinh(h), tf.asinh(h))
print(tf.math.acosh(tf.constant([1.0, 1.5, 2.0, 10.0], tf.float64)), tf.acosh(tf.constant(3.0, tf.float64)))
print(tf.math.asin(tf.constant([2.0, -1.0, 1.0])), tf.math.acosh(tf.constant([0.5, 1.0])), tf.math.atanh(tf.constant([1.0, -1.0, 1.5])))
print(tf.math.sinh(tf.constant([0.0, 1.0])).dtype, tf.math.atan(tf.constant(1.0)).dtype)

y = tf.constant([1.0, 1.0, -1.0, -1.0, 0.0, 0.0, 2.0], tf.float64)
xx = tf.constant([1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.0], tf.float64)
print(tf.math.atan2(y, xx), tf.atan2(y=y, x=xx))
print(tf.math.atan2(tf.constant([[1.0], [-1.0]], tf.float64), tf.constant([1.0, 0.0, -1.0], tf.float64)))
print(tf.math.atan2(tf.constant([3.0]), 4.0))

with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    tape.watch(h)
    fs = [tf.math.asin(x), tf.math.acos(x), tf.math.atan(x), tf.math.atanh(x), tf.math.sinh(h), tf.math.cosh(h), tf.math.asinh(h)]
for f in fs[:4]:
    print(tape.gradient(f, x))
for f in fs[4:]:
    print(tape.gradient(f, h))
c = tf.constant([1.25, 2.0, 5.0], tf.float64)
with tf.GradientTape() as tape:
    tape.watch(c)
    z = tf.math.acosh(c)
print(tape.gradient(z, c))
yv = tf.constant([1.0, -2.0, 0.5], tf.float64)
xv = tf.constant([2.0], tf.float64)
with tf.GradientTape() as tape:
    tape.watch(yv)
    tape.watch(xv)
    z = tf.math.atan2(yv, xv)
gy, gx = tape.gradient(z, [yv, xv])
print(gy, gx)

@tf.function
def f(v):
    return tf.math.asinh(v) + tf.math.atan2(v, tf.ones_like(v)) * tf.math.cosh(v)
print(f(tf.constant([0.5, -1.0, 2.0], tf.float64)))

for g in [tf.math.sinh, tf.math.asin, tf.math.acosh]:
    try:
        g(tf.constant([1, 2]))
    except tf.errors.InvalidArgumentError as e:
        print("InvalidArgumentError")
try:
    tf.math.atan2(tf.constant([1, 2]), tf.constant([3, 4]))
except tf.errors.InvalidArgumentError as e:
    print("InvalidArgumentError")
try:
    tf.math.atan2(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0, 3.0]))
except tf.errors.InvalidArgumentError as e:
    print("InvalidArgumentError")
