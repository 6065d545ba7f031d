import tensorflow as tf

# tf.range with bounds known only when the traced function runs.
@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.int32)])
def picked(logits, labels):
    batch = tf.shape(logits)[0]
    idx = tf.stack([tf.range(batch), labels], axis=1)
    return tf.gather_nd(logits, idx), tf.range(batch, 0, -2), tf.range(0.5, tf.cast(batch, tf.float32))

a, b, c = picked(tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]), tf.constant([2, 0, 1]))
print(a.numpy(), b.numpy(), c.numpy())
a, b, c = picked(tf.constant([[1.0, 2.0, 3.0]]), tf.constant([1]))
print(a.numpy(), b.numpy(), c.numpy())
print("traces:", picked.experimental_get_tracing_count())
