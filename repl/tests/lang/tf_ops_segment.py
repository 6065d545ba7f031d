import tensorflow as tf

d = tf.constant([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0], [-7.0, 8.0], [9.0, 0.5]])
ids = tf.constant([0, 0, 2, 2, 2])
print(tf.math.segment_sum(d, ids))
print(tf.math.segment_mean(d, ids))
print(tf.math.segment_max(d, ids))
print(tf.math.segment_min(d, ids))
print(tf.math.segment_prod(d, ids))
print(tf.math.segment_mean([1, 2, 4], [0, 0, 3]))

uids = tf.constant([2, 0, -1, 2, 0])
print(tf.math.unsorted_segment_sum(d, uids, 4))
print(tf.math.unsorted_segment_mean(d, uids, 4))
print(tf.math.unsorted_segment_max(d, uids, num_segments=4))
print(tf.math.unsorted_segment_min(d, uids, 4))
print(tf.math.unsorted_segment_prod(d, uids, 4))
print(tf.math.unsorted_segment_min([1, 2], [0, 0], 3))
print(tf.math.unsorted_segment_mean([1, 2, 4], [0, 0, 2], 3))
print(tf.math.unsorted_segment_max(tf.constant([[1.0, 2.0], [3.0, 4.0]]), [[0, 1], [1, 1]], 2))

x = tf.Variable([1.0, 3.0, 3.0, 2.0, 5.0, 5.0])
w = tf.constant([1.0, 2.0, 3.0])
with tf.GradientTape(persistent=True) as tape:
    smax = tf.reduce_sum(tf.math.segment_max(x, [0, 0, 0, 1, 2, 2]) * w)
    umin = tf.reduce_sum(tf.math.unsorted_segment_min(x, [1, 1, 0, 0, -1, 1], 3) * w)
    smean = tf.reduce_sum(tf.math.segment_mean(x, [0, 0, 1, 1, 1, 3]) * [1.0, 2.0, 3.0, 4.0])
    umean = tf.reduce_sum(tf.math.unsorted_segment_mean(x, [1, 1, 0, 0, -1, 1], 3) * w)
    usum = tf.reduce_sum(tf.math.unsorted_segment_sum(x, [1, 1, 0, 0, -1, 1], 3) * w)
print(tape.gradient(smax, x))
print(tape.gradient(umin, x))
print(tape.gradient(smean, x))
print(tape.gradient(umean, x))
print(tape.gradient(usum, x))

z = tf.Variable([2.0, 0.0, 3.0, 0.0, 0.0, 4.0, 5.0])
with tf.GradientTape(persistent=True) as tape:
    sp = tf.reduce_sum(tf.math.segment_prod(z, [0, 0, 0, 1, 1, 2, 2]) * w)
    up = tf.reduce_sum(tf.math.unsorted_segment_prod(z, [0, 0, 0, 1, 1, 2, 2], 3) * w)
print(tape.gradient(sp, z))
print(tape.gradient(up, z))


@tf.function
def seg(t, i):
    return tf.math.segment_sum(t, i)


print(seg(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 0, 2])))

for bad in [
    lambda: tf.math.segment_sum([1.0, 2.0, 3.0], [1, 0, 1]),
    lambda: tf.math.segment_sum([1.0, 2.0, 3.0], [0, 1]),
    lambda: tf.math.unsorted_segment_max([1.0, 2.0], [0, 5], 3),
    lambda: tf.math.unsorted_segment_sum([1.0, 2.0], [0, 0], -1),
]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__)
