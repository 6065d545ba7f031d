import sys
import tensorflow as tf

@tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
def f(x, k=3):
    print("tracing f", k)
    return x * k

print(f(tf.constant([1.0, 2.0])))
print(f(tf.constant([1.0, 2.0, 4.0])))
print(f.experimental_get_tracing_count())

@tf.function
def va(*xs, **kw):
    print("tracing va", len(xs), sorted(kw))
    t = xs[0]
    for x in xs[1:]:
        t = t + x
    return t * kw.get("s", 1.0)

print(va(tf.constant(1.0), tf.constant(2.0)))
print(va(tf.constant(1.0), tf.constant(2.0), s=2.0))
print(va(tf.constant(1.0), tf.constant(2.0), tf.constant(3.0)))
print(va.experimental_get_tracing_count())

v = tf.Variable(1.0)
@tf.function
def with_var(var, x):
    print("tracing with_var")
    return var * x
print(with_var(v, tf.constant(2.0)))
v.assign(3.0)
print(with_var(v, tf.constant(2.0)))
print(with_var.experimental_get_tracing_count())

@tf.function
def step(x):
    tf.print("x is", x, "and list", [x, 2], output_stream=sys.stdout)
    return None
print(step(tf.constant([1, 2, 3, 4, 5, 6, 7])))
print(step(tf.constant([1.5, -2.25])))
