def counter():
    count = 0
    def inc(step=1):
        nonlocal count
        count += step
        return count
    return inc

c = counter()
c()
c(5)
print(c())

total = 0
def add_global(v):
    global total
    total += v

for k in range(4):
    add_global(k)
print(total)

def make_adders():
    return [lambda x, i=i: x + i for i in range(3)]
print([f(10) for f in make_adders()])

def late():
    fs = [lambda: i for i in range(3)]
    return [f() for f in fs]
print(late())

def outer():
    x = "outer"
    def middle():
        def inner():
            return x
        return inner()
    x = "rebound"
    return middle()
print(outer())

def kwonly(a, *, b, c=3):
    return (a, b, c)
print(kwonly(1, b=2), kwonly(1, c=4, b=5))

def varargs(*args, **kwargs):
    return args, sorted(kwargs.items())
print(varargs(1, 2, x=1, y=2))
print(varargs(*[1, 2], **{"z": 3}))

square = lambda v: v * v
print(list(map(square, range(5))), list(filter(lambda v: v % 2, range(6))))
print(sorted(["banana", "Apple", "cherry"], key=lambda s: s.lower()))
print(sorted([3, 1, 2], reverse=True), max([1, 5, 2], key=lambda v: -v), min(4, 2, 8))

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print([fib(i) for i in range(12)])

def shadow():
    try:
        print(undefined_local)
    except NameError as e:
        print(type(e).__name__, e)
    undefined_local = 1
shadow()
