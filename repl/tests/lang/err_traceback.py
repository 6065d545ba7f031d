def divide(a, b):
    return a / b


def average(values):
    total = sum(values)
    return divide(total, len(values))


print("before")
print(average([1, 2, 3]))
print(average([]))
print("never")
