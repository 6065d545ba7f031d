# Gradients and AutoGraph examples in the style of TensorFlow's "Effective TF2" and
# "Better performance with tf.function" guides, without Keras.
# Run: tensile run scripts/autograph.py   (the same file runs under Python + TensorFlow 2)
import tensorflow as tf


# Python control flow on tensors becomes graph control flow when traced.
@tf.function
def squash(x):
    while tf.reduce_sum(x) > 1:
        x = tf.tanh(x)
    return x


print([round(v, 5) for v in squash(tf.constant([0.9, 0.8, 0.7, 0.6, 0.5])).numpy().tolist()])


@tf.function
def fizzbuzz(n):
    count = 0
    for i in tf.range(1, n + 1):
        if i % 15 == 0:
            count += 100
        elif i % 3 == 0:
            count += 10
        elif i % 5 == 0:
            count += 1
    return count


print("fizzbuzz score", int(fizzbuzz(tf.constant(15))), int(fizzbuzz(tf.constant(100))))


# break inside loops over a tensor.
@tf.function
def first_negative(xs):
    result = tf.constant(0.0)
    for x in xs:
        if x < 0:
            result = x
            break
    return result


print(first_negative(tf.constant([3.0, 1.0, -2.0, -5.0])), first_negative(tf.constant([1.0, 2.0])))


@tf.function
def sum_until(xs, limit):
    total = tf.constant(0.0)
    for x in xs:
        if total + x > limit:
            break
        total += x
    return total


print(sum_until(tf.constant([1.0, 2.0, 3.0, 4.0]), tf.constant(6.5)))


# A recurrent cell written by hand, unrolled by a tensor loop, differentiated end to end.
w = tf.Variable([[0.5, -0.3], [0.2, 0.4]])
u = tf.Variable([[0.1], [0.2]])


@tf.function
def rnn_loss(inputs):
    state = tf.zeros([1, 2])
    for t in tf.range(tf.shape(inputs)[0]):
        state = tf.tanh(state @ w + inputs[t] * tf.transpose(u))
    return tf.reduce_sum(tf.square(state))


@tf.function
def rnn_grads(inputs):
    with tf.GradientTape() as tape:
        loss = rnn_loss(inputs)
    return loss, tape.gradient(loss, [w, u])


loss, (dw, du) = rnn_grads(tf.constant([[1.0], [0.5], [-1.0], [2.0]]))
print(f"loss {float(loss):.6f}")
print("dw", [[round(float(v), 5) for v in row] for row in dw.numpy().tolist()])
print("du", [round(float(v[0]), 5) for v in du.numpy().tolist()])


# Python values retrace; tensors of the same shape reuse the graph.
@tf.function
def scaled(x, factor):
    print("tracing with factor", factor)
    return x * factor


scaled(tf.constant(1.0), 2)
scaled(tf.constant(2.0), 2)
scaled(tf.constant(3.0), 3)
print("traces:", scaled.experimental_get_tracing_count())
