import tensorflow as tf

tf.random.set_seed(5)
a = tf.range(10)
print(tf.random.shuffle(a))
print(tf.random.shuffle(a))
print(tf.random.shuffle(a, seed=3))
print(tf.random.shuffle(tf.reshape(tf.range(12.0), [6, 2]), seed=3))
print(tf.random.shuffle(tf.constant(3)))

tf.random.set_seed(11)
lg = tf.constant([[0.0, 1.0, 2.0], [1.0, -1.0, float("-inf")]])
print(tf.random.categorical(lg, 7))
print(tf.random.categorical(lg, 5, seed=4))
print(tf.random.categorical(tf.cast(lg, tf.float64), 3, dtype=tf.int32, seed=4))
print(tf.random.categorical(lg, 5, seed=4))
print(tf.random.categorical(lg, 0))

tf.random.set_seed(None)
s = tf.sort(tf.random.shuffle(tf.range(20)))
print(bool(tf.reduce_all(s == tf.range(20))))
c = tf.random.categorical(tf.math.log([[0.2, 0.8]]), 1000)
print(c.shape, c.dtype)

for bad in [
    lambda: tf.random.categorical([1.0, 2.0], 3),
    lambda: tf.random.categorical([[1.0, 2.0]], -1),
    lambda: tf.random.categorical([[1.0, 2.0]], 2, dtype=tf.float32),
]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__)
