import tensorflow as tf

# tf.one_hot with a depth known only at run time along any axis, and tf.eye with run-time
# sizes and batch shapes, inside traced functions.
@tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32)])
def encode(labels, depth):
    return (
        tf.one_hot(labels, depth),
        tf.one_hot(labels, depth, axis=0, on_value=5.0, off_value=-1.0),
        tf.one_hot(labels, depth, axis=1, dtype=tf.int32),
    )


labels = tf.constant([[1, 0, 3], [2, -1, 1]])
for depth in [2, 4]:
    last, first, middle = encode(labels, tf.constant(depth))
    print(depth, last.shape, first.shape, middle.shape)
    print(first.numpy().tolist())
    print(middle.numpy().tolist())
print("traces:", encode.experimental_get_tracing_count())


@tf.function(input_signature=[tf.TensorSpec([None, None])])
def identities(x):
    n = tf.shape(x)[0]
    m = tf.shape(x)[1]
    return (
        tf.eye(n, batch_shape=[2]),
        tf.eye(2, num_columns=m, batch_shape=tf.shape(x)[:1]),
        tf.eye(n, m, batch_shape=[1, tf.shape(x)[1]], dtype=tf.int32),
    )


for shape in [[2, 3], [3, 1]]:
    a, b, c = identities(tf.zeros(shape))
    print(shape, a.shape, b.shape, c.shape)
    print(a.numpy().tolist())
    print(b.numpy().tolist())
    print(c.numpy().tolist())
print("traces:", identities.experimental_get_tracing_count())
