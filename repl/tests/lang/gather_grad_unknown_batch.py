import tensorflow as tf

# Gathers from inputs whose batch size is known only when the traced function runs.
@tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([None], tf.int32)])
def picked(x, rows):
    with tf.GradientTape() as tape:
        tape.watch(x)
        cols = tf.gather(x, [3, 0, 3], axis=1)
        picked_rows = tf.gather(x, rows)
        pairs = tf.gather_nd(x, tf.stack([rows, rows], axis=1))
        y = tf.reduce_sum(cols * cols) + tf.reduce_sum(picked_rows) * 2.0 + tf.reduce_sum(pairs * 3.0)
    return y, tape.gradient(y, x)

x = tf.constant([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 2.0, -3.0], [0.0, 1.0, -2.0, 5.0]])
y, g = picked(x, tf.constant([2, 0, 2]))
print(y.numpy())
print(g.numpy())
y, g = picked(x[:2], tf.constant([1]))
print(y.numpy())
print(g.numpy())
print("traces:", picked.experimental_get_tracing_count())
