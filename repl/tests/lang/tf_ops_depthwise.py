import tensorflow as tf

x = tf.reshape(tf.range(2 * 5 * 5 * 2, dtype=tf.float64) / 10.0, [2, 5, 5, 2])
f = tf.reshape(tf.range(3 * 3 * 2 * 3, dtype=tf.float64) / 20.0 - 1.0, [3, 3, 2, 3])
y = tf.nn.depthwise_conv2d(x, f, strides=[1, 1, 1, 1], padding="SAME")
print(y.shape)
print(y[0, :2, :2])
print(tf.nn.depthwise_conv2d(x, f, [1, 2, 2, 1], "VALID"))
print(tf.nn.depthwise_conv2d(x, f[:, :, :, :1], [1, 1, 1, 1], "VALID", dilations=[2, 2])[1])

xv = tf.Variable(x)
fv = tf.Variable(f)
with tf.GradientTape() as tape:
    out = tf.nn.depthwise_conv2d(xv, fv, [1, 2, 2, 1], "SAME")
    loss = tf.reduce_sum(out * out) / 100.0
gx, gf = tape.gradient(loss, [xv, fv])
print(gx[0, :, :, 1])
print(gf[:, :, 0, 2])

try:
    tf.nn.depthwise_conv2d(x, tf.zeros([3, 3, 4, 1], tf.float64), [1, 1, 1, 1], "SAME")
except Exception as e:
    print(type(e).__name__)
