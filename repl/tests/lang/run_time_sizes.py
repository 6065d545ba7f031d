import tensorflow as tf

spec = [tf.TensorSpec([None, None], tf.float32)]

@tf.function(input_signature=spec)
def tiled(t):
    return tf.tile(t[None], [tf.shape(t)[0], 1, 2]), tf.tile(t, tf.shape(t)[::-1] - 1)

a, b = tiled(tf.reshape(tf.range(6, dtype=tf.float32), [2, 3]))
print(a)
print(b)
a, b = tiled(tf.constant([[5.0]]))
print(a.shape, b.shape)

@tf.function(input_signature=spec)
def spread(t):
    return tf.broadcast_to(t[:, :1], tf.shape(t)), tf.broadcast_to(t[0], [2, tf.shape(t)[1]])

print(spread(tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))

@tf.function(input_signature=spec)
def grads(t):
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = tf.reduce_sum(tf.tile(t, [2, tf.shape(t)[0]]) * tf.broadcast_to(t[:1, 1:], [tf.shape(t)[0] * 2, tf.shape(t)[1] * tf.shape(t)[0]]))
    return y, tape.gradient(y, t)

y, g = grads(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
print(y)
print(g)

@tf.function(input_signature=[tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int32)])
def encode(labels, n):
    return tf.one_hot(labels, n), tf.one_hot(labels, n + 1, on_value=5.0, off_value=-1.0), tf.eye(n), tf.eye(n, n + 2, dtype=tf.int32)

for part in encode(tf.constant([0, 2, 1, 3]), tf.constant(3)):
    print(part)

try:
    encode(tf.constant([0]), tf.constant(-2))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")

@tf.function(input_signature=spec)
def bad_broadcast(t):
    return tf.broadcast_to(t, [tf.shape(t)[0] + 1, 2])

try:
    bad_broadcast(tf.ones([2, 2]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")

@tf.function(input_signature=spec)
def packed(t):
    total = tf.reduce_sum([tf.reduce_sum(t), 1.0, tf.reduce_max(t)])
    dims = tf.convert_to_tensor([tf.shape(t)[0], 2, tf.shape(t)[1]])
    nested = tf.constant(0.0) + [[tf.reduce_min(t), 0.5], [2.0, tf.reduce_mean(t)]]
    return total, dims, nested

print(packed(tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))
