//! TensorFlow-style printing of tensors.
