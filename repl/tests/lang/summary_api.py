import tensorflow as tf

print(tf.summary.scalar("a", 1.0, step=0))
print(tf.summary.experimental.get_step())
print(tf.summary.should_record_summaries())
w = tf.summary.create_noop_writer()
with w.as_default():
    print(tf.summary.scalar("a", 1.0, step=1))
    print(tf.summary.should_record_summaries())
tf.summary.experimental.set_step(5)
print(tf.summary.experimental.get_step())
with tf.summary.record_if(False):
    print(tf.summary.should_record_summaries())
tf.summary.experimental.set_step(None)

@tf.function
def f(x):
    return tf.summary.scalar("x", x, step=3)

print(f(2.0))
try:
    tf.summary.scalar("a", [1.0, 2.0], step=0)
except Exception as e:
    print(type(e).__name__)

tf.summary.trace_on(graph=True)
tf.summary.trace_off()
tf.summary.flush()
print(tf.summary.graph(f.get_concrete_function(2.0).graph))
