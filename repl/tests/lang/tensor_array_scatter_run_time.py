import tensorflow as tf

@tf.function
def spread(x, k):
    ta = tf.TensorArray(tf.float32, size=6)
    ta = ta.scatter(tf.range(k, k + tf.shape(x)[0]), x)
    return ta.stack()

x = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
print(spread(x, tf.constant(0)))
print(spread(x, tf.constant(2)))
print(spread(x[:2], tf.constant(4)))

@tf.function
def grow(x, idx):
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    ta = ta.scatter(idx, x)
    return ta.stack(), ta.size()

print(grow(x, tf.constant([2, 0, 1])))
print(grow(x, tf.constant([1, 1, 0])))

@tf.function
def rev_rows(x):
    n = tf.shape(x)[0]
    ta = tf.TensorArray(tf.float32, size=n)
    ta = ta.scatter(tf.range(n - 1, -1, -1), x)
    return ta.stack()

print(rev_rows(tf.constant([[1.0], [2.0], [3.0], [4.0]])))

@tf.function
def grad_scatter(x, idx):
    with tf.GradientTape() as tape:
        tape.watch(x)
        ta = tf.TensorArray(tf.float32, size=4)
        ta = ta.scatter(idx, x * x)
        y = tf.reduce_sum(ta.stack() * tf.constant([[1.0], [10.0], [100.0], [1000.0]]))
    return y, tape.gradient(y, x)

print(grad_scatter(x, tf.constant([3, 0, 1])))

@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def static_indices_run_time_rows(v):
    ta = tf.TensorArray(tf.float32, size=3)
    return ta.scatter([2, 0], v).stack()

print(static_indices_run_time_rows(tf.constant([7.0, 8.0])))
try:
    static_indices_run_time_rows(tf.constant([7.0, 8.0, 9.0]))
except (tf.errors.InvalidArgumentError, ValueError) as e:
    print("error")
