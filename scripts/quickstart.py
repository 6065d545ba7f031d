# Tensile quickstart: eager tensors, a gradient tape, and a traced function with AutoGraph.
# Run: tensile run scripts/quickstart.py   (the same file runs under Python + TensorFlow 2)
import tensorflow as tf

# Eager execution: ops run immediately and print their values.
x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
print(x)
print(x @ tf.transpose(x))
print(tf.reduce_sum(x, axis=0), tf.reduce_mean(x))
print(x.shape, x.dtype, x.numpy())

# Gradients: a tape records the ops on watched values.
w = tf.Variable([[0.5], [-0.25]], name="w")
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.square(x @ w))
print("loss", float(y))
print("dloss/dw", tape.gradient(y, w).numpy().tolist())


# tf.function traces Python into a graph; `if` and `while` on tensors become graph control flow.
@tf.function
def collatz_steps(n):
    steps = tf.constant(0)
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


print("collatz(27) takes", int(collatz_steps(tf.constant(27))), "steps")
print("collatz(97) takes", int(collatz_steps(tf.constant(97))), "steps")
print("traces:", collatz_steps.experimental_get_tracing_count())

# A training step as one graph: forward pass, gradient and update.
w = tf.Variable(tf.zeros([2, 1]))
b = tf.Variable(0.0)
xs = tf.constant([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]])
ys = tf.constant([[1.0], [2.0], [3.0], [5.0]])


@tf.function
def train_step(lr):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(xs @ w + b - ys))
    dw, db = tape.gradient(loss, [w, b])
    w.assign_sub(lr * dw)
    b.assign_sub(lr * db)
    return loss


for step in range(201):
    loss = train_step(tf.constant(0.1))
    if step % 50 == 0:
        print(f"step {step}: loss {float(loss):.5f}")
print(f"w = [{float(w[0, 0]):.3f}, {float(w[1, 0]):.3f}], b = {float(b):.3f}")
