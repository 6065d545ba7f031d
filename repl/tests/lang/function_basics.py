import sys
import tensorflow as tf

@tf.function
def f(x, scale=2.0):
    print("tracing f", x.shape, scale)
    tf.print("running f", x, output_stream=sys.stdout)
    return x * scale, [x]

r = f(tf.constant([1.0, 2.0]))
print(r)
f(tf.constant([1.0, 2.0]))
f(tf.constant([3.0, 4.0]), 3.0)
f(tf.constant([1.0, 2.0, 3.0]), scale=3.0)
f(x=tf.constant([5.0, 6.0]), scale=3.0)
print(f.experimental_get_tracing_count())
print(f.pretty_printed_concrete_signatures())

g = tf.function(lambda a, b: a + b)
print(g(1, 2), g(tf.constant(1), 2))
print(g.experimental_get_tracing_count())

@tf.function
def structured(p):
    print("tracing structured")
    return {"sum": p[0] + p[1][1], "n": p[1][0]}
print(structured((tf.constant(1.0), [2, tf.constant(3.0)])))
print(structured((tf.constant(5.0), [2, tf.constant(7.0)])))
print(structured((tf.constant(5.0), [4, tf.constant(7.0)])))
print(structured.experimental_get_tracing_count())
print(structured.pretty_printed_concrete_signatures())

@tf.function
def poly(x, mode, n=None, flag=False):
    print("tracing poly", mode, n, flag)
    if mode == "double":
        x = x * 2.0
    if n is not None:
        x = x + n
    if flag:
        x = -x
    return x

x = tf.constant(1.5)
print(poly(x, "double"))
print(poly(x, "double"))
print(poly(x, "same"))
print(poly(x, "same", 3))
print(poly(x, "same", 3))
print(poly(x, "same", 4, True))
print(poly(x, "same", n=4, flag=True))
print(poly(x, mode="same", n=4, flag=True))
print(poly.experimental_get_tracing_count())

@tf.function
def counter(t, k):
    print("tracing counter", k)
    tf.print("counter", t, k, output_stream=sys.stdout)
    return t + k

for i in range(3):
    counter(tf.constant(i), 1)
counter(tf.constant(10), 2)
counter(tf.constant(20), 2)
print(counter.experimental_get_tracing_count())

@tf.function
def pair(a, b):
    return b, a

p = pair(tf.constant(1), tf.constant([2.0]))
print(type(p).__name__, p[0], p[1])
q = pair(tf.constant(1), [tf.constant(2), 3])
print(q)
print(pair.experimental_get_tracing_count())
print(pair.pretty_printed_concrete_signatures())
