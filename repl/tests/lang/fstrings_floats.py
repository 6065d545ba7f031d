for f in [0.1, 1e-05, 1.0, 1e16, 1e15, 123.456, -2.5e-07, 0.1 + 0.2, 1 / 3, 2.0 ** 0.5, 1e300 * 10, 100.0, 3e-5, 12345678901234567890.0, 5e-324]:
    print(f, repr(f), str(f))
print(float("nan"), -0.0, 0.0, 1e22, 1e21, 123e-10)
pi = 3.14159265
n = 1234567
print(f"{pi:.3f} {pi:.0f} {pi:10.4f}| {pi:<10.2f}| {pi:^10.1f}| {pi:+.2f}")
print(f"{n:,} {n:>12,} {n:d} {n:08d} {-n:,} {n:_}")
print(f"{pi:e} {pi:.2e} {n:.3e} {0.000123:E}")
print(f"{0.5:%} {0.125:.1%} {1:.0%}")
print(f"{pi:g} {n:g} {0.0001:g} {1e-5:g} {123456789.0:g} {pi:.3g}")
print(f"{'left':<8}|{'right':>8}|{'mid':^9}|{'fill':*^10}|")
print(f"{42:x} {42:X} {42:o} {42:b} {42:#x} {42:#b}")
name = "world"
print(f"hello {name!r} {name!s} {name.upper()} {len(name) * 2} {{literal}}")
width = 7
print(f"[{n:>{width}}] [{pi:.{2}f}]")
x = 10
print(f"{x=}", f"{x + 1 = }")
print(f"{True} {None} {[1, 2.0]} {(1,)} {{}}")
print(format(3.14159, ".2f"), format(42, "05d"), format("s", ">3"))
print(7 / 2, 7 // 2, -7 // 2, 7 % 3, -7 % 3, 7.5 % 2, -7.5 // 2, 2 ** -1, 2 ** 10, 10 / 5)
print(1e308 * 10, -1e308 * 10, 0.1 * 3, 1.1 + 2.2, 3 * 1.1)
print(int(1e10), 2 ** 62, -(2 ** 62) * 2, 9007199254740993.0)
