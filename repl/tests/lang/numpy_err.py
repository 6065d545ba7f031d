import numpy as np

try:
    np.array([1.0]).reshape(2, 3)
except Exception as e:
    print(type(e).__name__)
print(np.ones((2, 2)).sum())
z = np.zeros((2, -3))
