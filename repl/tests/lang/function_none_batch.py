import sys
import tensorflow as tf

w = tf.Variable([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]])
b = tf.Variable([0.1, 0.0, -0.1])

@tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([None], tf.int32)])
def train_step(x, y):
    print("tracing train_step", x.shape, y.shape)
    with tf.GradientTape() as tape:
        logits = tf.nn.relu(tf.matmul(x, w) + b) * (1.0 + tf.reduce_mean(x, axis=1, keepdims=True))
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    gw, gb = tape.gradient(loss, [w, b])
    w.assign_sub(0.5 * gw)
    b.assign_sub(0.5 * gb)
    return loss, gw

x3 = tf.constant([[1.0, 2.0], [-1.0, 0.5], [0.25, -2.0]])
y3 = tf.constant([0, 2, 1])
x1 = tf.constant([[2.0, -1.0]])
y1 = tf.constant([1])
# Gradients printed in units of 1e-5: the last float32 digit depends on summation order.
for x, y in [(x3, y3), (x1, y1), (x3, y3)]:
    loss, gw = train_step(x, y)
    print(loss.numpy())
    print(tf.round(gw * 100000.0).numpy())
print(tf.round(w * 100000.0).numpy())
print(tf.round(b * 100000.0).numpy())
print(train_step.experimental_get_tracing_count())

@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
def grads_of_shapes(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.reshape(x, [-1]) ** 2) + tf.reduce_max(x[:, 0]) + tf.reduce_sum(tf.transpose(x) * 3.0)
    return tape.gradient(y, x)

print(grads_of_shapes(tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).numpy())
print(grads_of_shapes(tf.constant([[-1.0], [2.0], [0.5], [3.0]])).numpy())
print(grads_of_shapes.experimental_get_tracing_count())

v = tf.Variable(tf.ones([4, 2]))

@tf.function(input_signature=[tf.TensorSpec([None, 2, 2], tf.float32)])
def flatten_step(x):
    with tf.GradientTape() as tape:
        flat = tf.reshape(x, [tf.shape(x)[0], -1])
        print("traced flat shape", flat.shape)
        y = tf.matmul(flat, v) * tf.range(1.0, 3.0)
        loss = tf.reduce_mean(tf.square(y)) + tf.reduce_sum(tf.zeros_like(y))
    return loss, tape.gradient(loss, v)

for n in [3, 1]:
    loss, g = flatten_step(tf.reshape(tf.range(n * 4.0), [n, 2, 2]))
    print(loss.numpy())
    print(tf.round(g * 1000.0).numpy())
print(flatten_step.experimental_get_tracing_count())

@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def filled(x):
    n = tf.shape(x)[0]
    z = tf.zeros([n, 2]) + tf.ones([2]) * tf.reduce_sum(tf.fill([n], 0.5))
    return z, tf.zeros_like(x), tf.ones_like(x, dtype=tf.int32)

z, zl, ol = filled(tf.constant([float("inf"), float("nan"), 1.0]))
print(z.numpy())
print(zl.numpy(), ol.numpy())
