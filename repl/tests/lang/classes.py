class Animal:
    kind = "animal"
    count = 0

    def __init__(self, name):
        self.name = name
        Animal.count += 1

    def speak(self):
        return f"{self.name} makes a sound"

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"

    def __str__(self):
        return f"<{self.name}>"


class Dog(Animal):
    kind = "dog"

    def __init__(self, name, tricks=None):
        super().__init__(name)
        self.tricks = tricks or []

    def speak(self):
        base = super().speak()
        return base + " (woof)"


a = Animal("generic")
d = Dog("rex", ["sit"])
print(a.speak())
print(d.speak())
print(repr(d), str(d), d)
print([a, d])
print(Animal.count, d.kind, a.kind, isinstance(d, Animal), isinstance(a, Dog))
print(issubclass(Dog, Animal), hasattr(d, "tricks"), getattr(d, "missing", 42))
setattr(d, "age", 3)
print(d.age)


class Vec:
    def __init__(self, *xs):
        self.xs = list(xs)

    def __len__(self):
        return len(self.xs)

    def __getitem__(self, i):
        return self.xs[i]

    def __add__(self, other):
        return Vec(*[a + b for a, b in zip(self.xs, other.xs)])

    def __eq__(self, other):
        return self.xs == other.xs

    def __call__(self, k):
        return [k * x for x in self.xs]

    def __repr__(self):
        return "Vec(" + ", ".join(str(x) for x in self.xs) + ")"


v = Vec(1, 2, 3)
w = v + Vec(10, 20, 30)
print(len(v), v[1], v[-1], w, v == Vec(1, 2, 3), v(2))
print(list(v), [x * 2 for x in w])


class Temperature:
    def __init__(self, c):
        self._c = c

    @property
    def fahrenheit(self):
        return self._c * 9 / 5 + 32

    @staticmethod
    def describe():
        return "temperature"

    @classmethod
    def freezing(cls):
        return cls(0)


t = Temperature(100)
print(t.fahrenheit, Temperature.describe(), Temperature.freezing().fahrenheit)


class Countdown:
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return self

    def __next__(self):
        if self.n <= 0:
            raise StopIteration
        self.n -= 1
        return self.n


print(list(Countdown(4)))


class Resource:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        print("enter", self.name)
        return self

    def __exit__(self, exc_type, exc, tb):
        print("exit", self.name, exc_type.__name__ if exc_type else None)
        return exc_type is ValueError


with Resource("a") as r1, Resource("b") as r2:
    print("inside", r1.name, r2.name)
with Resource("c"):
    raise ValueError("suppressed")
print("after with")
