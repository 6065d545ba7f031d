import sys
import tensorflow as tf

w = tf.Variable([[1.0], [2.0]])
b = tf.Variable([0.5])

@tf.function
def train_step(x, y, lr):
    print("tracing train_step")
    with tf.GradientTape() as tape:
        pred = tf.matmul(x, w) + b
        loss = tf.reduce_mean(tf.square(pred - y))
    gw, gb = tape.gradient(loss, [w, b])
    w.assign_sub(lr * gw)
    b.assign_sub(lr * gb)
    return loss

x = tf.constant([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
y = tf.constant([[1.0], [2.0], [0.0]])
for step in range(4):
    loss = train_step(x, y, 0.05)
    print(step, loss.numpy())
print(w.numpy(), b.numpy())
print(train_step.experimental_get_tracing_count())

@tf.function
def cube(v):
    return v * v * v

v = tf.constant(3.0)
with tf.GradientTape() as t:
    t.watch(v)
    out = cube(v)
print(out, t.gradient(out, v))

@tf.function
def uses_var(z):
    return w[0, 0] * z if False else tf.reduce_sum(w) * z

with tf.GradientTape() as t2:
    o = uses_var(tf.constant(2.0))
print(t2.gradient(o, w))

@tf.function(reduce_retracing=True)
def total(x):
    print("tracing total", x.shape)
    return tf.reduce_sum(x)

print(total(tf.constant([1.0, 2.0, 3.0])))
print(total(tf.constant([1.0, 2.0, 3.0, 4.0, 5.0])))
print(total(tf.constant([1.0, 2.0])))
print(total.experimental_get_tracing_count())
print(total.pretty_printed_concrete_signatures())
