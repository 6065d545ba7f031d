import sys
import tensorflow as tf

@tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)])
def add_one(x):
    print("tracing add_one")
    return x + 1.0

print(add_one(tf.constant([1.0])))
print(add_one(tf.constant([1.0, 2.0, 3.0])))
print(add_one([4.0, 5.0]))
print(add_one.experimental_get_tracing_count())
print(add_one.input_signature)
print(add_one.pretty_printed_concrete_signatures())

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
print(poly.experimental_get_tracing_count())

spec = tf.TensorSpec([None, 3], tf.int32, name="batch")
print(spec)
print(repr(tf.TensorSpec([])))
print(spec.shape, spec.dtype, spec.name)

@tf.function
def scale(x, factor=2.0):
    print("tracing scale")
    return x * factor

cf = scale.get_concrete_function(tf.TensorSpec([None], tf.float32))
print(cf)
print(cf(tf.constant([1.0, 2.0])))
print(cf(tf.constant([3.0])))
print(scale(tf.constant([3.0, 4.0])))
print(scale.experimental_get_tracing_count())
cf2 = scale.get_concrete_function(tf.constant([[1.0]]), 3.0)
print(cf2(tf.constant([[2.0]])))
print(scale.experimental_get_tracing_count())
print(cf.structured_input_signature)
print(add_one.get_concrete_function()(tf.constant([7.0])))
print(add_one.experimental_get_tracing_count())

try:
    add_one(tf.constant([1, 2]))
except TypeError as e:
    print("TypeError raised")

try:
    add_one(tf.constant([[1.0]]))
except TypeError as e:
    print("TypeError raised again")

@tf.function
def bad(x):
    raise ValueError("bad input " + str(x.shape))

try:
    bad(tf.constant([1.0]))
except ValueError as e:
    print("caught a ValueError")
print(bad.experimental_get_tracing_count())

leak = []
@tf.function
def h(x):
    leak.append(x * 2.0)
    return x + 1.0
print(h(tf.constant(1.0)))
try:
    print(leak[0] + 1.0)
except Exception as e:
    print("a symbolic tensor cannot escape its function")

class C:
    def __init__(self):
        self.v = None

    @tf.function
    def f(self, x):
        print("tracing C.f")
        if self.v is None:
            self.v = tf.Variable(1.0)
        return self.v + x

c = C()
print(c.f(1.0))
print(c.f(1.0))
c.v = None
try:
    c.f(2.0)
except ValueError as e:
    print("ValueError:", "only supports singleton tf.Variables created on the first call" in str(e))
print(c.f.experimental_get_tracing_count())
