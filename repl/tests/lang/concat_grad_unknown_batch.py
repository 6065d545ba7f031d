import tensorflow as tf

# Concatenating two batches whose sizes are known only when the traced function runs.
@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None, 3], tf.float32)])
def both(real, fake):
    w = tf.constant([[1.0], [-2.0], [0.5]])
    with tf.GradientTape() as tape:
        tape.watch([real, fake])
        x = tf.concat([real, fake], axis=0)
        y = tf.reduce_sum(tf.square(tf.matmul(x, w)))
    return y, tape.gradient(y, [real, fake])

for n, m in [(2, 1), (1, 3)]:
    real = tf.reshape(tf.range(n * 3, dtype=tf.float32), [n, 3]) * 0.5
    fake = -tf.ones([m, 3])
    y, (gr, gf) = both(real, fake)
    print(y.numpy())
    print(gr.numpy())
    print(gf.numpy())
print("traces:", both.experimental_get_tracing_count())
