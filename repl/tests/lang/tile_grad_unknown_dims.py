import tensorflow as tf

# tf.tile of an input whose every dimension is known only when the traced function runs.
@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
def tiled(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        t = tf.tile(x, [2, 3])
        y = tf.reduce_sum(t * tf.cast(tf.range(tf.shape(t)[1]), tf.float32))
    return tape.gradient(y, x)

print(tiled(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy())
print(tiled(tf.constant([[1.0], [2.0], [3.0]])).numpy())
print("traces:", tiled.experimental_get_tracing_count())
