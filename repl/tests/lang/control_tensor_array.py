import tensorflow as tf

ta = tf.TensorArray(tf.float32, size=3)
ta = ta.write(0, 1.0)
ta = ta.write(1, tf.constant(2.5))
ta = ta.write(2, 4.0)
print(ta.size())
print(ta.stack())
print(ta.gather([2, 0]))
print(ta.read(1))
print(ta.dtype)

ta2 = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
ta3 = ta2.write(0, 7)
ta3 = ta3.write(1, 8)
print(ta3.size(), ta3.stack())

u = tf.TensorArray(tf.float32, size=2).unstack(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
print(u.concat())
print(u.read(1))

k = tf.TensorArray(tf.float32, size=2, clear_after_read=False, element_shape=[3])
k = k.write(1, [1.0, 2.0, 3.0])
print(k.stack())

def body(i, ta):
    return i + 1, ta.write(i, tf.cast(i * i, tf.float32))

n, out = tf.while_loop(lambda i, ta: i < 4, body, (0, tf.TensorArray(tf.float32, size=0, dynamic_size=True)))
print(n, out.stack())

try:
    tf.TensorArray(tf.float32, size=1).write(3, 1.0)
except Exception as e:
    print(type(e).__name__)
