import tensorflow as tf

a = tf.constant([[4.0, 7.0], [2.0, 6.0]])
print(tf.linalg.inv(a), tf.linalg.det(a))
b = tf.constant([[[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.5]], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]], tf.float64)
print(tf.linalg.inv(b))
print(tf.linalg.det(b))
c = tf.constant([[4.0, 7.0, 2.0], [3.0, 6.0, 1.0], [2.0, 5.0, 3.0]], tf.float64)
print(tf.linalg.inv(c), tf.linalg.inv(c, adjoint=True))
print(tf.round(tf.linalg.det(c) * 1e6) / 1e6)
s, l = tf.linalg.slogdet(b)
print(s, l)
r = tf.linalg.slogdet(tf.constant([[1.0, 2.0], [3.0, 4.0]], tf.float64))
print(r.sign, r.log_abs_determinant, r[0])
print(tf.linalg.det(tf.constant([[1.0, 2.0], [2.0, 4.0]])), tf.linalg.det(tf.zeros([2, 0, 0])), tf.linalg.inv(tf.zeros([0, 0])))
print(tf.linalg.slogdet(tf.constant([[1.0, 2.0], [2.0, 4.0]]))[1])

m = tf.reshape(tf.range(12.0), [3, 4])
print(tf.linalg.trace(m), tf.linalg.trace(tf.constant([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])))
print(tf.linalg.diag([1.0, 2.0, 3.0]), tf.linalg.diag([[1, 2], [3, 4]]))
print(tf.linalg.diag([1.0, 2.0], k=1), tf.linalg.diag([1.0, 2.0], k=-1, num_cols=4, padding_value=-1.0))
print(tf.linalg.diag(tf.constant([True, False])), tf.linalg.diag([5.0, 6.0], num_rows=3))
print(tf.linalg.diag_part(m), tf.linalg.diag_part(m, k=1), tf.linalg.diag_part(m, k=-2), tf.linalg.diag_part(m, k=[3, 3]))
print(tf.linalg.set_diag(m, [9.0, 9.0, 9.0]), tf.linalg.set_diag(m, [7.0, 8.0], k=-1))
print(tf.linalg.band_part(m, 1, 0), tf.linalg.band_part(m, -1, 1))
print(tf.linalg.band_part(tf.ones([2, 3, 3], tf.int32), 0, -1), tf.linalg.band_part(m, tf.constant(0), 0))
print(tf.eye(2, batch_shape=[2]), tf.linalg.matrix_transpose(m))

w = tf.constant([[2.0, 3.0], [5.0, 7.0]], tf.float64)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(w)
    d = tf.linalg.det(w)
    i = tf.reduce_sum(tf.linalg.inv(w))
    ld = tf.linalg.slogdet(w)[1]
    t = tf.linalg.trace(w * w)
    dp = tf.reduce_sum(tf.linalg.diag_part(w, k=1) * 3.0)
    bp = tf.reduce_sum(tf.linalg.band_part(w, 0, -1) * w)
    sd = tf.reduce_sum(tf.linalg.set_diag(w, [10.0, 20.0]) * w)
for v in [d, i, ld, t, dp, bp, sd]:
    print(tape.gradient(v, w))
dv = tf.constant([1.0, 2.0], tf.float64)
with tf.GradientTape() as tape:
    tape.watch(dv)
    z = tf.reduce_sum(tf.linalg.diag(dv, k=1) * tf.reshape(tf.range(9.0, dtype=tf.float64), [3, 3]))
print(tape.gradient(z, dv))

@tf.function
def g(x):
    return tf.linalg.inv(x) + tf.linalg.diag(tf.linalg.diag_part(x)) * tf.linalg.det(x)
print(g(tf.constant([[2.0, 1.0], [1.0, 3.0]], tf.float64)))

def err(f):
    try:
        f()
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except ValueError:
        print("ValueError")
err(lambda: tf.linalg.inv(tf.constant([[1.0, 2.0], [2.0, 4.0]])))
err(lambda: tf.linalg.inv(tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))
err(lambda: tf.linalg.det(tf.constant([1.0, 2.0])))
err(lambda: tf.linalg.inv(tf.constant([[1, 2], [3, 4]])))
err(lambda: tf.linalg.diag_part(m, k=4))
err(lambda: tf.linalg.diag([1.0, 2.0], num_rows=1))
err(lambda: tf.linalg.set_diag(m, [1.0, 2.0]))
err(lambda: tf.linalg.band_part(m, 5, 0))
err(lambda: tf.linalg.trace(tf.constant([1.0, 2.0])))
