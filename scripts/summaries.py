"""Logs a small training run for TensorBoard: scalars from inside a traced train step,
a histogram, text, an image and the train step's graph, in two runs (train and eval).

    tensile run scripts/summaries.py [LOGDIR]      (default: logs/tensorboard-demo)
    tensorboard --logdir LOGDIR
"""

import sys

import tensorflow as tf

logdir = sys.argv[1] if len(sys.argv) > 1 else "logs/tensorboard-demo"

# Fit y = 3x - 1 with a hand-written train step.
x = tf.constant([[0.0], [1.0], [2.0], [3.0]])
y = 3.0 * x - 1.0
w = tf.Variable([[0.5]])
b = tf.Variable([0.0])
step = tf.Variable(0, dtype=tf.int64)


@tf.function
def train_step(lr):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(x @ w + b - y))
    dw, db = tape.gradient(loss, [w, b])
    w.assign_sub(lr * dw)
    b.assign_sub(lr * db)
    # Written when the step runs, to the writer that is the default then.
    tf.summary.scalar("loss", loss, step=step)
    step.assign_add(1)
    return loss


train_writer = tf.summary.create_file_writer(logdir + "/train")
with train_writer.as_default():
    tf.summary.trace_on(graph=True)
    for epoch in range(20):
        loss = train_step(0.05)
        if epoch == 0:
            tf.summary.trace_export("train_step", step=0)
        if epoch % 5 == 4:
            print("epoch", epoch + 1, "loss", round(float(loss), 4))
    residuals = tf.reshape(x @ w + b - y, [-1])
    tf.summary.histogram("residuals", residuals, step=20)
    tf.summary.histogram("inputs", tf.range(12.0), step=20, buckets=4)
    tf.summary.text("result", f"w = {float(w[0, 0]):.3f}, b = {float(b[0]):.3f}", step=20)
    ramp = tf.reshape(tf.linspace(0.0, 1.0, 12), [1, 3, 4, 1])
    tf.summary.image("ramp", ramp, step=20)
    with tf.summary.record_if(False):
        print("recorded:", bool(tf.summary.scalar("hidden", 1.0, step=20)))
train_writer.flush()

eval_writer = tf.summary.create_file_writer(logdir + "/eval")
with eval_writer.as_default(step=20):
    print("recorded:", bool(tf.summary.scalar("loss", tf.reduce_mean(tf.square(x @ w + b - y)))))
eval_writer.close()
print("w", round(float(w[0, 0]), 3), "b", round(float(b[0]), 3))
