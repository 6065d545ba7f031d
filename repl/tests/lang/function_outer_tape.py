import tensorflow as tf

# Traced functions called under a tape outside them: each call is differentiated through its
# graph, for variables, arguments, control flow and higher orders.
w = tf.Variable([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]])
b = tf.Variable([0.25, -0.5])


@tf.function
def model(x):
    return tf.nn.relu(tf.matmul(x, w) + b)


@tf.function
def loss_fn(x, y):
    p = model(x)
    return tf.reduce_mean(tf.square(p - y)), tf.shape(p)[0]


x = tf.constant([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
y = tf.constant([[1.0, 0.0], [0.0, 1.0]])
for step in range(3):
    with tf.GradientTape() as tape:
        loss, n = loss_fn(x, y)
    gw, gb = tape.gradient(loss, [w, b])
    w.assign_sub(0.125 * gw)
    b.assign_sub(0.125 * gb)
    print(step, loss.numpy(), n.numpy(), gw.numpy().tolist(), gb.numpy().tolist())
print("traces:", loss_fn.experimental_get_tracing_count())

# The argument only, on a persistent tape that does not watch variables.
with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
    tape.watch(x)
    loss, _ = loss_fn(x, y)
print("dx", tape.gradient(loss, x).numpy().tolist())
print("dw", tape.gradient(loss, w))
print("dx again", tape.gradient(loss, x).numpy().tolist())
del tape


@tf.function
def cube(v):
    return tf.reduce_sum(v ** 3)


v = tf.constant([1.0, 2.0])
with tf.GradientTape() as outer:
    outer.watch(v)
    with tf.GradientTape() as inner:
        inner.watch(v)
        c = cube(v)
    dv = inner.gradient(c, v)
print("cube", c.numpy(), dv.numpy().tolist(), outer.gradient(dv, v).numpy().tolist())


@tf.function
def power(v):
    i = tf.constant(0)
    while i < 3:
        v = v * v
        i += 1
    if tf.reduce_sum(v) > 100.0:
        v = v / 2.0
    return tf.reduce_sum(v)


for start in [[1.0, 2.0], [0.5, -1.0]]:
    v = tf.constant(start)
    with tf.GradientTape() as tape:
        tape.watch(v)
        p = power(v)
    print("power", p.numpy(), tape.gradient(p, v).numpy().tolist())


@tf.function
def two(a):
    return tf.reduce_sum(a * a), tf.reduce_max(a * 3.0)


a = tf.constant([1.0, -4.0, 2.0])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(a)
    s, m = two(a)
print("first", tape.gradient(s, a).numpy().tolist())
print("second", tape.gradient(m, a).numpy().tolist())
print("both", tape.gradient([s, m], a).numpy().tolist())
