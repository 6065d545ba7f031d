import sys
import tensorflow as tf

class Scaler:
    def __init__(self, s):
        self.v = tf.Variable(s)

    @tf.function
    def apply(self, x):
        print("tracing apply")
        return self.v * x

a = Scaler(2.0)
b = Scaler(3.0)
print(a.apply(tf.constant(1.0)), b.apply(tf.constant(1.0)), a.apply(tf.constant(2.0)))
print(a.apply.experimental_get_tracing_count(), b.apply.experimental_get_tracing_count())
print(Scaler.apply.experimental_get_tracing_count())
a.v.assign(10.0)
print(a.apply(tf.constant(1.0)))
print(a.apply.pretty_printed_concrete_signatures().split("Captures")[0])

class Lazy:
    def __init__(self):
        self.w = None

    @tf.function
    def __call__(self, x):
        print("tracing Lazy")
        if self.w is None:
            self.w = tf.Variable(tf.constant([0.5, 0.5]))
        return tf.reduce_sum(self.w * x)

m = Lazy()
print(m(tf.constant([1.0, 3.0])))
print(m(tf.constant([2.0, 4.0])))
m.w.assign([1.0, 1.0])
print(m(tf.constant([2.0, 4.0])))
print(m.__call__.experimental_get_tracing_count())

@tf.function
def inner(x):
    print("tracing inner")
    return x * 2.0

@tf.function
def outer(x):
    print("tracing outer")
    return inner(x) + inner(x + 1.0)

print(outer(tf.constant(1.0)))
print(inner.experimental_get_tracing_count(), outer.experimental_get_tracing_count())
print(inner(tf.constant(3.0)))
print(inner.experimental_get_tracing_count())

c = tf.constant([10.0, 20.0])
@tf.function
def uses_const(x):
    return x + c
print(uses_const(tf.constant([1.0, 2.0])))
