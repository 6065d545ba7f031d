class AppError(Exception):
    pass


class CodeError(AppError):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def risky(kind):
    if kind == 0:
        return 1 / 0
    if kind == 1:
        return [1, 2][5]
    if kind == 2:
        return {"a": 1}["b"]
    if kind == 3:
        raise CodeError(42, "custom failure")
    if kind == 4:
        return int("abc")
    if kind == 5:
        return None.missing
    if kind == 6:
        return "a" + 1
    return "ok"


for k in range(8):
    try:
        result = risky(k)
    except (ZeroDivisionError, IndexError) as e:
        print(k, "arith/index:", type(e).__name__, e)
    except KeyError as e:
        print(k, "key:", e, repr(e))
    except AppError as e:
        print(k, "app:", e, e.code, isinstance(e, Exception), e.args)
    except Exception as e:
        print(k, "other:", type(e).__name__, e)
    else:
        print(k, "no error:", result)
    finally:
        print(k, "finally")


def nested():
    try:
        try:
            raise ValueError("inner")
        except ValueError:
            print("handling inner, re-raising")
            raise
    except ValueError as e:
        print("outer caught", repr(e))
        return "returned from except"
    finally:
        print("nested finally")


print(nested())


def finally_overrides():
    try:
        return 1
    finally:
        print("finally before return")


print(finally_overrides())

try:
    raise RuntimeError
except RuntimeError as e:
    print("bare class raised:", repr(e), str(e) == "")

errors = []
for v in ["1", "x", "2.5"]:
    try:
        errors.append(float(v))
    except ValueError as e:
        errors.append(str(e))
print(errors)

try:
    next(iter([]))
except StopIteration:
    print("StopIteration caught")

e = KeyError("k")
print(str(e), repr(ValueError("msg")), repr(TypeError("a", 1)))
