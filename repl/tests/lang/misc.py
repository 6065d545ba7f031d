class Stack:
    def __init__(self):
        self.items = []
    def push(self, x):
        self.items.append(x)
        return self
    def __len__(self):
        return len(self.items)
    def __bool__(self):
        return bool(self.items)
    def __contains__(self, x):
        return x in self.items
s = Stack().push(1).push(2)
print(len(s), bool(Stack()), 2 in s, 5 in s)
print([(i, j) for i in range(3) for j in range(i) if (i + j) % 2])
matrix = [[1, 2, 3], [4, 5, 6]]
print([list(r) for r in zip(*matrix)], [x for row in matrix for x in row])
print({n: n ** 2 for n in range(4)}, dict(zip("abc", range(3))))
words = "the quick brown fox jumps over the lazy dog".split()
counts = {}
for w in words:
    counts[w] = counts.get(w, 0) + 1
print(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
print(max(words, key=len), min(words), sorted(words, key=len, reverse=True)[:2])
def gen_like(n):
    out = []
    i = 0
    while True:
        i += 1
        if i > n:
            break
        if i % 2:
            continue
        out.append(i)
    return out
print(gen_like(10))
a = [3, 1, 2]
b = a
b.append(4)
print(a, a is b, a == [3, 1, 2, 4], [1, 2] < [1, 3], (1, 2) > (1,), "abc" < "abd")
print(10 / 4, 10 // 4, -10 // 4, 10 % -3, 2 ** 0.5, abs(-0.0), 1e3, 1.5e-7, 123456789.123)
x = 5
print(f"{x:>4}|{x:<4}|{x:^5}|{x:+d}|{-x:05d}|{x / 3:.4f}|{x * 1000000:,.2f}")
print(str(1.0), str(10.0 ** 20), str(1 / 7), repr(0.5), 3.0 * 2, 7.0 // 2, True + True)
t = 1,
print(t, (), (1, 2) + (3,), [0] * 3, "ab" * 2, list(range(0)), tuple("hi"))
try:
    {}["missing"]
except LookupError as e:
    print("lookup", type(e).__name__, e)
try:
    raise ValueError("bad", 42)
except ValueError as e:
    print(e.args, e)
print(isinstance(ValueError(), Exception), issubclass(KeyError, LookupError))
print(any(x > 3 for x in [1, 5]), all(isinstance(x, int) for x in [1, 2]))
print(round(0.125, 2), round(0.375, 2), round(7.0), type(round(7.5)).__name__)
n = None
print(n is None, n == None, not n, [] == [], {} == {}, {1, 2} == {2, 1})
print(sorted({3: "a", 1: "b"}), list({3: "a", 1: "b"}.values()))
print("x".join(map(str, [1, 2, 3])), ", ".join(f"{k}={v}" for k, v in {"a": 1}.items()))
