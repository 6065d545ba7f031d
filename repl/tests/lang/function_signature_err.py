import tensorflow as tf

@tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)])
def add_one(x):
    return x + 1.0

print(add_one(tf.constant([1.0, 2.0])))
print(add_one.experimental_get_tracing_count())
add_one(tf.constant([[1.0, 2.0]]))
