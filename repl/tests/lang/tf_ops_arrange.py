import tensorflow as tf

x = tf.reshape(tf.range(12), [3, 4])
print(tf.roll(x, shift=1, axis=0))
print(tf.roll(x, [-1, 5], [0, 1]))
print(tf.roll(x, [2, 2], [1, -1]))
print(tf.roll([1.5, 2.5, 3.5], 7, 0))
print(tf.roll(tf.constant([True, False, False]), -1, 0))

print(tf.repeat(x, [1, 0, 2], axis=0))
print(tf.repeat(x, 2, axis=1))
print(tf.repeat([[1, 2], [3, 4]], [3, 1, 0, 2]))
print(tf.repeat(tf.constant(3), 2))
print(tf.repeat([1.0, 2.0], tf.constant([2, 1])))

u = tf.unique([4, 1, 4, 2, 1, 7])
print(u)
y, idx = tf.unique([4, 1, 4, 2, 1, 7])
print(y)
print(idx)
print(u.y, u.idx)
print(u[0])
print(len(u))
w = tf.unique_with_counts(tf.constant([2.5, -1.0, 2.5, 2.5], tf.float64), out_idx=tf.int64)
print(w)
print(w.count)
print(tf.unique(tf.constant([True, False, True])).idx)

v = tf.Variable([1.0, 2.0, 3.0])
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.roll(v, 1, 0) * [1.0, 10.0, 100.0])
print(tape.gradient(loss, v))
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.repeat(v, [2, 0, 3]) * [1.0, 10.0, 100.0, 1000.0, 10000.0])
print(tape.gradient(loss, v))


@tf.function
def rolled(t):
    return tf.repeat(tf.roll(t, 1, 0), 2)


print(rolled(tf.constant([1, 2, 3])))

for bad in [
    lambda: tf.roll(x, 1, 2),
    lambda: tf.roll(x, [1, 2], [0]),
    lambda: tf.repeat(x, -1, axis=0),
    lambda: tf.unique(x),
]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__)
