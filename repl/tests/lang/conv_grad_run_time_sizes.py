import tensorflow as tf

# Convolution, pooling and einsum gradients inside traced functions whose image sizes,
# channels and contraction sizes are known only when the graph runs (one trace each).
# Values are small dyadic numbers so every sum is exact in float32.
f1 = tf.Variable(tf.reshape(tf.range(2 * 2 * 3 * 4, dtype=tf.float32) % 5.0 - 2.0, [2, 2, 3, 4]) * 0.25)
f2 = tf.Variable(tf.reshape(tf.range(3 * 3 * 4 * 2, dtype=tf.float32) % 3.0 - 1.0, [3, 3, 4, 2]) * 0.5)


def image(n, h, w):
    return tf.reshape(tf.range(n * h * w * 3, dtype=tf.float32) % 7.0 - 3.0, [n, h, w, 3])


@tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
def step(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        h = tf.nn.relu(tf.nn.conv2d(x, f1, strides=2, padding="SAME"))
        h = tf.nn.avg_pool2d(h, 2, 1, "VALID")
        y = tf.nn.conv2d(h, f2, strides=1, padding="SAME", dilations=2)
        loss = tf.reduce_sum(y * y)
    dx, g1, g2 = tape.gradient(loss, [x, f1, f2])
    return loss, dx, g1, g2


for n, h, w in [(1, 6, 6), (2, 5, 7)]:
    loss, dx, g1, g2 = step(image(n, h, w))
    print("image", [n, h, w], "loss", loss.numpy())
    print("dx sum", tf.reduce_sum(dx).numpy(), "dx shape", dx.shape)
    print("dx[0, :, :, 0]", dx[0, :, :, 0].numpy())
    print("g1[:, :, 0, 0]", g1[:, :, 0, 0].numpy(), "g1 sum", tf.reduce_sum(g1).numpy())
    print("g2[:, :, 1, 1]", g2[:, :, 1, 1].numpy(), "g2 sum", tf.reduce_sum(g2).numpy())
print("step traces:", step.experimental_get_tracing_count())


# A gradient penalty: the filter's gradient of the squared input gradient (second order).
@tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
def penalty(x):
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.nn.conv2d(x, f1, strides=1, padding="VALID") ** 2)
        dx = inner.gradient(y, x)
        p = tf.reduce_sum(dx * dx)
    return p, outer.gradient(p, f1)


for n, h, w in [(1, 3, 4), (2, 4, 3)]:
    p, gp = penalty(image(n, h, w) * 0.5)
    print("penalty", [n, h, w], p.numpy(), "grad[:, :, 2, 3]", gp[:, :, 2, 3].numpy(), "sum", tf.reduce_sum(gp).numpy())
print("penalty traces:", penalty.experimental_get_tracing_count())


# Input channels known only at run time: the filter is an argument too.
@tf.function(input_signature=[tf.TensorSpec([None, None, None, None]), tf.TensorSpec([2, 2, None, 1])])
def any_channels(x, f):
    with tf.GradientTape() as tape:
        tape.watch([x, f])
        y = tf.reduce_sum(tf.nn.conv2d(x, f, strides=1, padding="VALID") * 0.5)
    return tape.gradient(y, [x, f])


for c in [1, 2]:
    x = tf.reshape(tf.range(9 * c, dtype=tf.float32), [1, 3, 3, c])
    f = tf.reshape(tf.range(4 * c, dtype=tf.float32) - 1.0, [2, 2, c, 1])
    dx, df = any_channels(x, f)
    print("channels", c, "dx", dx[0, :, :, c - 1].numpy(), "df", df[:, :, c - 1, 0].numpy())


# Batched products with run-time sizes, a broadcast batch, a summed-out axis and a diagonal.
@tf.function(input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([None, 3, None])])
def bmm(a, b):
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = tf.einsum("bij,bjk->bik", a, b)
        loss = tf.reduce_sum(y * y)
    return tape.gradient(loss, [a, b])


@tf.function(input_signature=[tf.TensorSpec([None, None, None, 3]), tf.TensorSpec([None, 3, None])])
def broadcast_bmm(a, b):
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        loss = tf.reduce_sum(tf.einsum("...ij,...jk->...ik", a, b) ** 2)
    return tape.gradient(loss, [a, b])


@tf.function(input_signature=[tf.TensorSpec([None, None])])
def trace_and_columns(m):
    with tf.GradientTape() as tape:
        tape.watch(m)
        loss = tf.reduce_sum(tf.einsum("ii->i", m) * 3.0) + tf.reduce_sum(tf.einsum("ij->j", m) ** 2)
    return tape.gradient(loss, m)


for n, i, k in [(2, 2, 1), (1, 3, 2)]:
    a = tf.reshape(tf.range(n * i * 3, dtype=tf.float32) % 4.0 - 1.5, [n, i, 3])
    b = tf.reshape(tf.range(n * 3 * k, dtype=tf.float32) % 3.0 - 1.0, [n, 3, k])
    da, db = bmm(a, b)
    print("bmm", [n, i, k], da.numpy().tolist(), db.numpy().tolist())
a = tf.reshape(tf.range(2 * 1 * 2 * 3, dtype=tf.float32) * 0.5, [2, 1, 2, 3])
b = tf.reshape(tf.range(3 * 3 * 2, dtype=tf.float32) % 5.0 - 2.0, [3, 3, 2])
da, db = broadcast_bmm(a, b)
print("broadcast a", da.shape, da.numpy().tolist())
print("broadcast b", db.shape, db.numpy().tolist())
a2 = tf.reshape(tf.range(3 * 2 * 3, dtype=tf.float32) * 0.25, [3, 1, 2, 3])
da, db = broadcast_bmm(a2, b[:1])
print("broadcast a2", da.shape, tf.reduce_sum(da).numpy(), "b", db.shape, db.numpy().tolist())
print("traces:", bmm.experimental_get_tracing_count(), broadcast_bmm.experimental_get_tracing_count())
for n in [2, 3]:
    print("diag", n, trace_and_columns(tf.reshape(tf.range(n * n, dtype=tf.float32), [n, n])).numpy().tolist())


# Depthwise convolution of images of any size (the filter's shape is known).
dw = tf.Variable(tf.reshape(tf.range(2 * 2 * 2 * 2, dtype=tf.float32) % 3.0 - 1.0, [2, 2, 2, 2]))


@tf.function(input_signature=[tf.TensorSpec([None, None, None, 2])])
def depthwise(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.nn.depthwise_conv2d(x, dw, strides=[1, 1, 1, 1], padding="SAME") ** 2)
    dx, dfilter = tape.gradient(y, [x, dw])
    return y, dx, dfilter


for h, w in [(2, 3), (3, 3)]:
    y, dx, dfilter = depthwise(tf.reshape(tf.range(h * w * 2, dtype=tf.float32) % 4.0, [1, h, w, 2]))
    print("depthwise", [h, w], y.numpy(), dx[0, :, :, 1].numpy().tolist(), dfilter[:, :, 1, 0].numpy().tolist())
print("depthwise traces:", depthwise.experimental_get_tracing_count())
