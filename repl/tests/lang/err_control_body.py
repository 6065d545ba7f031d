import tensorflow as tf

def body(i, acc):
    if int(i) == 2:
        raise ValueError("bad iteration " + str(int(i)))
    return i + 1, acc + 1.0

print(tf.cond(tf.constant(True), lambda: 1, lambda: 2))
tf.while_loop(lambda i, acc: i < 5, body, (0, 0.0))
