//! Seeded random number generation: `Generator`, global seed + op seed as in TensorFlow.
