# Every statement kind.
x = 1
y: int = 2
a, b = 3, 4
first, *rest = [1, 2, 3, 4]
*init, last = (5, 6, 7)
(p, q), r = (8, 9), 10
print(x, y, a, b, first, rest, init, last, p, q, r)
x += 5
x -= 1
x *= 3
x //= 2
x %= 5
x **= 2
print(x)
lst = [1, 2]
lst += [3]
print(lst)
if x > 100:
    print("big")
elif x > 10:
    print("medium")
else:
    print("small")
n = 0
while n < 10:
    n += 1
    if n == 3:
        continue
    if n == 7:
        break
else:
    print("no break")
print("n =", n)
for i in range(3):
    pass
else:
    print("for-else ran", i)
for i, ch in enumerate("abc", start=1):
    print(i, ch, end="; ")
print()
d = {"a": 1, "b": 2}
del d["a"]
print(d)
lst = [0, 1, 2, 3, 4, 5]
del lst[1]
del lst[-2:]
print(lst)
z = 5
del z
try:
    print(z)
except NameError as e:
    print("NameError:", e)
assert x > 0, "x must be positive"
try:
    assert x < 0, "x must be negative"
except AssertionError as e:
    print("assert:", e)
import math
from math import sqrt as root, pi
print(root(16.0), round(pi, 4), math.floor(2.7))
import sys
print(type(sys.argv).__name__ if hasattr(type(sys.argv), "__name__") else "list")
def deco(f):
    def wrapper(*args, **kwargs):
        print("calling", f.__name__)
        return f(*args, **kwargs)
    return wrapper
@deco
def add(u, v=10):
    return u + v
print(add(1), add(1, v=2))
print(1 if x else 2, not x, x and 0, 0 or "default")
print(1 < 2 < 3, 1 < 3 < 2, 2 in [1, 2], 5 not in {1: 2}, None is None, [] is not [])
