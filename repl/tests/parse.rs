//! Parser tests: statement kinds, precedence (through the s-expression dump), spans,
//! error positions, REPL completeness, and a property test that nothing panics.

use proptest::prelude::*;
use tensile_repl::ast::{ExprKind, Span, StmtKind};
use tensile_repl::{is_complete, parse_expression, parse_module, sexp, Completeness};

fn parse(src: &str) -> String {
    match parse_module(src, "t.py") {
        Ok(m) => sexp::module(&m),
        Err(e) => panic!("{src:?} failed:\n{}", e.render(src, false)),
    }
}

fn expr(src: &str) -> String {
    match parse_expression(src, "t.py") {
        Ok(e) => sexp::expr(&e),
        Err(e) => panic!("{src:?} failed:\n{}", e.render(src, false)),
    }
}

fn error(src: &str) -> String {
    match parse_module(src, "t.py") {
        Ok(m) => panic!("{src:?} parsed as {}", sexp::module(&m)),
        Err(e) => e.to_string(),
    }
}

#[test]
fn precedence() {
    let cases = [
        ("-2**2", "(- (** 2 2))"),
        ("2**-1", "(** 2 (- 1))"),
        ("2**3**2", "(** 2 (** 3 2))"),
        ("a + b * c", "(+ a (* b c))"),
        ("a - b - c", "(- (- a b) c)"),
        ("a * b @ c // d % e / f", "(/ (% (// (@ (* a b) c) d) e) f)"),
        ("a | b ^ c & d << e + f", "(| a (^ b (& c (<< d (+ e f)))))"),
        ("a << b >> c", "(>> (<< a b) c)"),
        ("~a ** b", "(~ (** a b))"),
        ("-a * b", "(* (- a) b)"),
        ("not a == b", "(not (== a b))"),
        ("a and b or c and d", "(or (and a b) (and c d))"),
        ("a or b or c", "(or a b c)"),
        ("not a and not b", "(and (not a) (not b))"),
        ("a < b <= c != d", "(cmp a < b <= c != d)"),
        ("a in b", "(in a b)"),
        ("a not in b", "(not-in a b)"),
        ("a is not None", "(is-not a None)"),
        ("a is b", "(is a b)"),
        ("not a in b", "(not (in a b))"),
        ("a | b == c", "(== (| a b) c)"),
        ("x if c else y", "(if c x y)"),
        ("x if a else y if b else z", "(if a x (if b y z))"),
        ("lambda: 0", "(lambda () 0)"),
        ("lambda x, y=1, *a, k, **kw: x + y", "(lambda (x y=1 *a k **kw) (+ x y))"),
        ("lambda x: a if x else b", "(lambda (x) (if x a b))"),
        ("a or b if c else d", "(if c (or a b) d)"),
        ("1if x else 2", "(if x 1 2)"),
        ("x if 1.5else y", "(if 1.5 x y)"),
        ("x[1:.5e+3]", "([] x (: 1 500.0 _))"),
        ("-x.y[0](1)", "(- (call ([] (. x y) 0) 1))"),
        ("a @ b.T", "(@ a (. b T))"),
        ("(a + b) * c", "(* (+ a b) c)"),
    ];
    for (src, want) in cases {
        assert_eq!(expr(src), want, "{src}");
    }
}

#[test]
fn literals() {
    let cases = [
        ("0x_ff", "255"),
        ("0o17", "15"),
        ("0b1010", "10"),
        ("1_000_000", "1000000"),
        ("1.", "1.0"),
        (".5", "0.5"),
        ("1e-3", "0.001"),
        ("2.5E2", "250.0"),
        ("True", "True"),
        ("None", "None"),
        ("...", "..."),
        ("'a' \"b\"", "\"ab\""),
        ("'''x\ny'''", "\"x\\ny\""),
        (r"'\n\t\x41\u00e9\101\\'", "\"\\n\\tAéA\\\\\""),
        (r"r'\n\d'", "\"\\\\n\\\\d\""),
        ("'don\\'t'", "\"don't\""),
        ("'a\\\nb'", "\"ab\""),
    ];
    for (src, want) in cases {
        assert_eq!(expr(src), want, "{src}");
    }
}

#[test]
fn fstrings() {
    let cases = [
        ("f'{x}'", "(f {x})"),
        (r#"f"{x:.3f} {y!r}""#, "(f {x (spec \".3f\")} \" \" {y !r})"),
        ("f'a{{b}}c'", "(f \"a{b}c\")"),
        ("f'{a + b * 2}'", "(f {(+ a (* b 2))})"),
        ("f'{x:>{width}}'", "(f {x (spec \">\" {width})})"),
        ("'pre ' f'{x}' ' post'", "(f \"pre \" {x} \" post\")"),
        ("f'{d[\"k\"]}'", "(f {([] d \"k\")})"),
        ("f'{ {1: 2}[1] }'", "(f {([] (dict (1 2)) 1)})"),
        ("f'{a != b}'", "(f {(!= a b)})"),
        ("f'''{\nx\n}'''", "(f {x})"),
        ("f'\\n{x}'", "(f \"\\n\" {x})"),
        ("rf'\\n{x}'", "(f \"\\\\n\" {x})"),
        ("f'{x!s:10}'", "(f {x !s (spec \"10\")})"),
        ("f'{a, b}'", "(f {(tuple a b)})"),
        ("f'{x=}'", "(f \"x=\" {x !r})"),
        ("f'{x = :.2f}'", "(f \"x = \" {x (spec \".2f\")})"),
        ("f'{a==b}'", "(f {(== a b)})"),
    ];
    for (src, want) in cases {
        assert_eq!(expr(src), want, "{src}");
    }
    // Spans inside f-strings point into the original source.
    let src = "f'ab{value}'";
    let e = parse_expression(src, "t").unwrap();
    let ExprKind::FString(parts) = &e.kind else { panic!() };
    let tensile_repl::ast::FStringPart::Field { expr, .. } = &parts[1] else { panic!() };
    assert_eq!(&src[expr.span.range()], "value");
}

#[test]
fn collections_and_comprehensions() {
    let cases = [
        ("()", "(tuple)"),
        ("(1,)", "(tuple 1)"),
        ("(1)", "1"),
        ("[]", "(list)"),
        ("[1, 2,]", "(list 1 2)"),
        ("{}", "(dict)"),
        ("{1: 2, **d}", "(dict (1 2) (** d))"),
        ("{1, 2}", "(set 1 2)"),
        ("[*a, *b]", "(list (* a) (* b))"),
        ("[x * 2 for x in xs if x if y]", "(listcomp (* x 2) (for x xs (if x) (if y)))"),
        ("[(i, j) for i in a for j in b]", "(listcomp (tuple i j) (for i a) (for j b))"),
        ("{k: v for k, v in d.items()}", "(dictcomp k v (for (tuple k v) (call (. d items))))"),
        ("{x for x in s}", "(setcomp x (for x s))"),
        ("(x for x in s)", "(genexp x (for x s))"),
        ("sum(x for x in s)", "(call sum (genexp x (for x s)))"),
        ("[x for x in a if x or y]", "(listcomp x (for x a (if (or x y))))"),
        ("[a if c else b for a in s]", "(listcomp (if c a b) (for a s))"),
        ("1,", "(tuple 1)"),
        ("1, 2", "(tuple 1 2)"),
    ];
    for (src, want) in cases {
        assert_eq!(expr(src), want, "{src}");
    }
}

#[test]
fn calls_and_subscripts() {
    let cases = [
        ("f(a, b=1, *c, **d)", "(call f a (= b 1) (* c) (** d))"),
        ("f()", "(call f)"),
        ("f(a,)", "(call f a)"),
        ("f(x)(y)", "(call (call f x) y)"),
        ("a[1:2, ::-1, ..., None, tf.newaxis]", "([] a (tuple (: 1 2 _) (: _ _ (- 1)) ... None (. tf newaxis)))"),
        ("x[:, 0]", "([] x (tuple (: _ _ _) 0))"),
        ("x[..., ::2]", "([] x (tuple ... (: _ _ 2)))"),
        ("x[i]", "([] x i)"),
        ("x[i,]", "([] x (tuple i))"),
        ("x[a:]", "([] x (: a _ _))"),
        ("x[:b]", "([] x (: _ b _))"),
        ("x[::]", "([] x (: _ _ _))"),
        ("tf.nn.relu(x)", "(call (. (. tf nn) relu) x)"),
    ];
    for (src, want) in cases {
        assert_eq!(expr(src), want, "{src}");
    }
}

#[test]
fn simple_statements() {
    let cases = [
        ("x = 1", "(= x 1)"),
        ("a = b = c", "(= a b c)"),
        ("a, b = 1, 2", "(= (tuple a b) (tuple 1 2))"),
        ("[a, (b, c)] = v", "(= (list a (tuple b c)) v)"),
        ("x.y[0] = 1", "(= ([] (. x y) 0) 1)"),
        ("x += 1", "(+= x 1)"),
        ("x -= 1; y *= 2; z /= 3", "(-= x 1)\n(*= y 2)\n(/= z 3)"),
        ("x //= 1", "(//= x 1)"),
        ("x %= 1", "(%= x 1)"),
        ("x **= 2", "(**= x 2)"),
        ("x @= w", "(@= x w)"),
        ("x |= m", "(|= x m)"),
        ("x: int = 3", "(ann x int 3)"),
        ("self.w: tf.Tensor", "(ann (. self w) (. tf Tensor))"),
        ("return", "(return)"),
        ("return a, b", "(return (tuple a b))"),
        ("pass", "pass"),
        ("raise", "(raise)"),
        ("raise ValueError('x') from e", "(raise (call ValueError \"x\") from e)"),
        ("assert x > 0, 'msg'", "(assert (> x 0) \"msg\")"),
        ("del a, b[0]", "(del a ([] b 0))"),
        ("global a, b", "(global a b)"),
        ("nonlocal n", "(nonlocal n)"),
        ("import tensorflow as tf", "(import (as tensorflow tf))"),
        ("import os.path as p, sys", "(import (as os.path p) sys)"),
        ("import a.b.c", "(import a.b.c)"),
        ("from x import a as b, c", "(from x (as a b) c)"),
        ("from . import m", "(from . m)"),
        ("from ..pkg.mod import (a,\n b,)", "(from ..pkg.mod a b)"),
        ("from m import *", "(from m *)"),
        ("print('hi')  # comment", "(call print \"hi\")"),
    ];
    for (src, want) in cases {
        assert_eq!(parse(src), want, "{src}");
    }
}

#[test]
fn compound_statements() {
    let cases = [
        ("if a:\n    b\nelif c:\n    d\nelse:\n    e\n", "(if a (body b) (else (if c (body d) (else e))))"),
        ("if a: b; c\n", "(if a (body b c))"),
        ("while x:\n    break\nelse:\n    pass\n", "(while x (body break) (else pass))"),
        ("for i, (a, b) in enumerate(z):\n    continue\nelse:\n    pass\n", {
            "(for (tuple i (tuple a b)) (call enumerate z) (body continue) (else pass))"
        }),
        ("for x in 1, 2:\n    pass", "(for x (tuple 1 2) (body pass))"),
        ("with tf.GradientTape() as tape, open(f) as (a, b):\n    y = f(x)\n", {
            "(with (as (call (. tf GradientTape)) tape) (as (call open f) (tuple a b)) (body (= y (call f x))))"
        }),
        ("with lock:\n    pass", "(with lock (body pass))"),
        (
            "try:\n    f()\nexcept ValueError as e:\n    raise\nexcept (A, B):\n    pass\nexcept:\n    pass\nelse:\n    g()\nfinally:\n    h()\n",
            "(try (body (call f)) (except ValueError e (body (raise))) (except (tuple A B) (body pass)) (except (body pass)) (else (call g)) (finally (call h)))",
        ),
        ("try:\n    pass\nfinally:\n    pass", "(try (body pass) (finally pass))"),
        (
            "@tf.function(input_signature=[spec])\n@other\ndef f(a, b: int = 2, *args, c, d=4, **kw) -> int:\n    return a\n",
            "(def f (a b:int=2 *args c d=4 **kw) -> int (@ (call (. tf function) (= input_signature (list spec))) other) (body (return a)))",
        ),
        ("def f(*, k):\n    pass", "(def f (* k) (body pass))"),
        ("def f(): return 1", "(def f () (body (return 1)))"),
        (
            "class Model(tf.keras.Model):\n    def __init__(self):\n        super().__init__()\n",
            "(class Model (bases (. (. tf keras) Model)) (body (def __init__ (self) (body (call (. (call super) __init__))))))",
        ),
        ("@dataclass\nclass C:\n    x: int = 0\n", "(class C (bases) (@ dataclass) (body (ann x int 0)))"),
        ("class C(A, metaclass=M): pass", "(class C (bases A (= metaclass M)) (body pass))"),
        ("if a:\n    if b:\n        c\n    d\ne", "(if a (body (if b (body c)) d))\ne"),
        ("if x:\n\tpass\n", "(if x (body pass))"),
        ("x = [\n  1,\n    2]\ny = 3 + \\\n  4\n", "(= x (list 1 2))\n(= y (+ 3 4))"),
        ("\n\n# only a comment\n   \n", ""),
        ("x = 1\r\nif x:\r\n    y\r\n", "(= x 1)\n(if x (body y))"),
    ];
    for (src, want) in cases {
        assert_eq!(parse(src), want, "{src}");
    }
}

#[test]
fn spans_point_at_the_text() {
    let src = "x = foo(1, bar)\nif x:\n    y = x.attr[2:3]\n";
    let m = parse_module(src, "t").unwrap();
    assert_eq!(&src[m.body[0].span.range()], "x = foo(1, bar)");
    assert_eq!(&src[m.body[1].span.range()], "if x:\n    y = x.attr[2:3]");
    let StmtKind::Assign { targets, value } = &m.body[0].kind else { panic!() };
    assert_eq!(&src[targets[0].span.range()], "x");
    assert_eq!(&src[value.span.range()], "foo(1, bar)");
    let ExprKind::Call { args, .. } = &value.kind else { panic!() };
    let tensile_repl::ast::Arg::Positional(bar) = &args[1] else { panic!() };
    assert_eq!(bar.span, Span::new(11, 14));
    let StmtKind::If { body, .. } = &m.body[1].kind else { panic!() };
    let StmtKind::Assign { value, .. } = &body[0].kind else { panic!() };
    assert_eq!(&src[value.span.range()], "x.attr[2:3]");
    let ExprKind::Subscript { index, .. } = &value.kind else { panic!() };
    assert_eq!(&src[index.span.range()], "2:3");

    let src = "def f(a, b=2):\n    return (a, b)\n";
    let m = parse_module(src, "t").unwrap();
    let StmtKind::FunctionDef(f) = &m.body[0].kind else { panic!() };
    assert_eq!(&src[f.params.args[1].span.range()], "b=2");
    assert_eq!(&src[f.name.span.range()], "f");
    let StmtKind::Return(Some(r)) = &f.body[0].kind else { panic!() };
    assert_eq!(&src[r.span.range()], "(a, b)");
    assert_eq!(&src[m.body[0].span.range()], src.trim_end());
    let e = parse_expression("a + b * c", "t").unwrap();
    let ExprKind::BinOp { right, .. } = &e.kind else { panic!() };
    assert_eq!(right.span, Span::new(4, 9));
}

#[test]
fn error_positions_and_messages() {
    let cases = [
        ("x = (1,\n2", "t.py:1:5: '(' was never closed"),
        ("foo(a, [b)\n", "t.py:1:10: closing parenthesis ')' does not match opening parenthesis '['"),
        ("x = 1)\n", "t.py:1:6: unmatched ')'"),
        ("if x:\n    a\n  b\n", "t.py:3:1: unindent does not match any outer indentation level"),
        ("x = 1\n    y = 2\n", "t.py:2:1: unexpected indent"),
        ("if x:\npass\n", "t.py:2:1: expected an indented block after 'if' statement on line 1"),
        ("x = 1 2\n", "t.py:1:7: unexpected number '2'"),
        ("else:\n    pass\n", "t.py:1:1: 'else' without a matching 'if', 'for', 'while' or 'try'"),
        ("x = 1\nelif y:\n    pass\n", "t.py:2:1: 'elif' without a matching 'if'"),
        ("f() = 3\n", "t.py:1:1: cannot assign to function call"),
        ("a + 1 = 3\n", "t.py:1:1: cannot assign to expression"),
        ("x, 3 = 1, 2\n", "t.py:1:4: cannot assign to literal"),
        ("None = 1\n", "t.py:1:1: cannot assign to None"),
        ("a, b += 1\n", "t.py:1:1: 'tuple' is an illegal expression for augmented assignment"),
        ("del f()\n", "t.py:1:5: cannot delete function call"),
        ("for f() in x:\n    pass\n", "t.py:1:5: cannot assign to function call"),
        ("if x\n    pass\n", "t.py:1:5: expected ':', found end of line"),
        ("def f(a=1, b):\n    pass\n", "t.py:1:12: non-default argument follows default argument"),
        ("def f(a, a):\n    pass\n", "t.py:1:10: duplicate argument 'a' in function definition"),
        ("def f(*):\n    pass\n", "t.py:1:7: named arguments must follow bare *"),
        ("f(a=1, b)\n", "t.py:1:8: positional argument follows keyword argument"),
        ("f(a.b=1)\n", "t.py:1:3: expression cannot contain assignment, perhaps you meant \"==\"?"),
        ("f(x for x in y, 1)\n", "t.py:1:3: generator expression must be parenthesized"),
        ("x = \n", "t.py:1:5: expected an expression, found end of line"),
        ("x = 'abc\n", "t.py:1:5: unterminated string literal"),
        ("x = 1 if y\n", "t.py:1:11: expected 'else' after 'if' expression, found end of line"),
        ("try:\n    pass\nx = 1\n", "t.py:3:1: expected 'except' or 'finally' block"),
        ("x = $\n", "t.py:1:5: invalid character '$'"),
        ("x = 012\n", "t.py:1:5: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers"),
        ("x = 99999999999999999999999\n", "t.py:1:5: integer literal is too large"),
        ("f'{}'\n", "t.py:1:3: f-string: empty expression not allowed"),
        ("f'{x'\n", "t.py:1:3: f-string: expecting '}'"),
        ("f'}'\n", "t.py:1:3: f-string: single '}' is not allowed"),
        ("f'{x!z}'\n", "t.py:1:5: f-string: invalid conversion character: expected 's', 'r', or 'a'"),
        ("f'{a +}'\n", "t.py:1:7: expected an expression, found end of input"),
        ("f'{x:{y:{z}}}'\n", "t.py:1:9: f-string: expressions nested too deeply"),
        ("[*a for a in b]\n", "t.py:1:2: iterable unpacking cannot be used in comprehension"),
        ("True \\\n", "t.py:1:6: unexpected end of input after line continuation"),
        ("x = 0x\n", "t.py:1:5: invalid number literal"),
        ("x = 1e\n", "t.py:1:6: unexpected name 'e'"),
        ("b'x'\n", "t.py:1:1: bytes literals are not supported"),
        ("yield x\n", "t.py:1:1: 'yield' is not supported"),
        ("@dec\nx = 1\n", "t.py:2:1: expected 'def' or 'class' after a decorator, found name 'x'"),
        ("x = é + ü\ny = €\n", "t.py:2:5: invalid character '€' (U+20AC)"),
        ("if x:\n\tpass\n        pass\n", "t.py:3:1: inconsistent use of tabs and spaces in indentation"),
        ("x = 1 +\\ 2\n", "t.py:1:8: unexpected character after line continuation character"),
        ("print 'hello'\n", "t.py:1:7: unexpected string"),
        ("x: a, b = 1\n", "t.py:1:5: unexpected ','"),
        ("a, b: int\n", "t.py:1:1: only single target (not tuple) can be annotated"),
        ("lambda x: (yield)\n", "t.py:1:12: 'yield' is not supported"),
        ("x = 'a' '\\x4'\n", "t.py:1:10: truncated \\xXX escape"),
    ];
    for (src, want) in cases {
        assert_eq!(error(src), want, "{src:?}");
    }
}

#[test]
fn rendered_error_shows_line_and_caret() {
    let src = "x = 1\ny = f(1, 2\nz = 3\n";
    let e = parse_module(src, "script.py").unwrap_err();
    let text = e.render(src, false);
    assert!(text.contains("script.py:2:6"), "{text}");
    assert!(text.contains("y = f(1, 2"), "{text}");
    assert!(text.contains("'(' was never closed"), "{text}");
    assert!(text.contains('┬') || text.contains('^'), "{text}");
    // Errors at the end of input and on empty input render too.
    for src in ["if x:", "", "(", "x = \n", "é(", "f'{"] {
        if let Err(e) = parse_module(src, "s.py") {
            assert!(e.render(src, false).contains("s.py"));
            assert!(e.render(src, true).contains("s.py"));
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for depth in [99, 5000] {
        let src = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
        let r = parse_module(&src, "t.py");
        if depth < 100 {
            assert!(r.is_ok());
        } else {
            assert!(r.unwrap_err().message.contains("too deeply nested"));
        }
    }
    for src in [
        format!("x = {}1\n", "-".repeat(100_000)),
        format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        format!("x = {}\n", "not ".repeat(100_000)),
        format!("x = 1{}\n", " ** 1".repeat(100_000)),
        format!("x = 1{}\n", " + 1".repeat(100_000)),
        format!("x = a{}\n", ".b".repeat(100_000)),
        format!("x = a{}\n", "()".repeat(100_000)),
        format!("x = {}\n", "lambda: ".repeat(100_000)),
        (0..300).map(|i| format!("{}if x:\n", " ".repeat(i))).collect::<String>() + &" ".repeat(300) + "pass\n",
    ] {
        let e = parse_module(&src, "t.py").unwrap_err();
        assert!(e.message.contains("too deeply nested") || e.message.contains("f-string"), "{}", e.message);
    }
    // A long flat chain within the depth bound is fine.
    parse_module(&format!("x = 1{}\n", " + 1".repeat(2000)), "t.py").unwrap();
    // A long elif chain is not nesting.
    let src = "if a:\n    pass\n".to_string() + &"elif b:\n    pass\n".repeat(5000);
    parse_module(&src, "t.py").unwrap();
}

#[test]
fn completeness() {
    use Completeness::*;
    let cases: [(&str, bool); 24] = [
        ("x = 1", true),
        ("", true),
        ("f(1,", false),
        ("x = [1,\n2", false),
        ("x = '''doc", false),
        ("x = 1 + \\", false),
        ("x = 1 + \\\n", false),
        ("def f():", false),
        ("def f():\n    return 1", false),
        ("def f():\n    return 1\n", true),
        ("def f():\n    return 1\n    ", true),
        ("if x:\n    a\nelse:", false),
        ("if x:\n    a\nelse:\n    b\n", true),
        ("@tf.function", false),
        ("@tf.function\ndef f(x):", false),
        ("class A:", false),
        ("for i in range(3):\n    if i:\n        print(i)", false),
        ("for i in range(3):\n    if i:\n        print(i)\n", true),
        ("if x: pass", true),
        ("try:\n    a", false),
        ("x = (\n\n", false),
        ("x = 1  # c \\\n", true),
        // A nested header as the last line so far: its body comes next.
        ("def f(n):\n    i = 0\n    while i < n:", false),
        ("class A:\n    def f(self):", false),
    ];
    for (src, complete) in cases {
        let got = is_complete(src);
        if complete {
            assert_eq!(got, Complete, "{src:?}");
        } else {
            assert_eq!(got, Incomplete, "{src:?}");
        }
    }
    for src in [
        "x = )",
        "x = 1 2",
        "def f():\n",
        "def f(n):\n    while n:\n\n",
        "x = 'abc",
        "if x:\n    a\n  b",
        "else:",
        "try:\n    a\n",
        "f'{a +}'",
        "f'{(}'",
    ] {
        assert!(matches!(is_complete(src), Invalid(_)), "{src:?} -> {:?}", is_complete(src));
    }
}

const SOUP: &[&str] = &[
    "x", "y", "1", "2.5", "'s'", "f'{x}'", "f'{", "\"\"\"", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "...",
    "+", "-", "*", "**", "/", "//", "%", "@", "=", "==", "+=", "**=", "<", "not", "in", "is", "and", "or", "if",
    "else", "elif", "for", "while", "def", "class", "return", "lambda", "try", "except", "finally", "with", "as",
    "import", "from", "del", "pass", "yield", "\n", "\n    ", "\n  ", "\t", "\\", "\\\n", "#c", " ", "é", "$", "->",
    "~", "|", "&", "^", "<<", "r'\\'", "0x", "1e", "!",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(parts in proptest::collection::vec(0..SOUP.len(), 0..60)) {
        let src: String = parts.iter().map(|&i| SOUP[i]).collect();
        match parse_module(&src, "soup.py") {
            Ok(m) => { let _ = sexp::module(&m); }
            Err(e) => {
                prop_assert!(e.line >= 1 && e.column >= 1);
                prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len());
                let _ = e.render(&src, false);
            }
        }
        let _ = is_complete(&src);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,80}") {
        if let Err(e) = parse_module(&src, "any.py") {
            let _ = e.render(&src, false);
        }
        let _ = is_complete(&src);
    }
}

#[test]
fn a_tensorflow_script_parses() {
    let src = r#"import tensorflow as tf
import numpy as np

class Dense(tf.Module):
    """A dense layer."""

    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([in_features, out_features]), name='w')
        self.b = tf.Variable(tf.zeros([out_features]), name='b')

    def __call__(self, x):
        y = tf.matmul(x, self.w) + self.b
        return tf.nn.relu(y)


@tf.function(input_signature=[tf.TensorSpec(shape=[None, 3], dtype=tf.float32)])
def train_step(x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    for g, v in zip(grads, model.trainable_variables):
        v.assign_sub(0.1 * g)
    return loss


@tf.function
def collatz(n):
    steps = tf.constant(0)
    while n != 1:
        if n % 2 == 0:
            n //= 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps

model = Dense(3, 2)
x = np.array([[1., 2., 3.]], dtype=np.float32)
for epoch in range(3):
    loss = train_step(x)
    print(f"epoch {epoch}: loss={float(loss):.4f}")
print(x[:, ::-1], x[..., 0], x[0, tf.newaxis])
squares = {i: i * i for i in range(5) if i % 2}
"#;
    let m = parse_module(src, "script.py").unwrap();
    assert_eq!(m.body.len(), 10);
    let e = tensile_repl::parse_interactive("x = (").unwrap_err();
    assert_eq!(e.to_string(), "<stdin>:1:5: '(' was never closed");
    assert!(e.incomplete);
}

#[test]
fn nesting_limit_fits_a_small_stack() {
    // Deep input must not overflow even a small thread's stack, optimized or not: the
    // parser continues on a fresh stack segment when it runs low.
    let worst = [
        format!("x = {}1{}\n", "(".repeat(99), ")".repeat(99)),
        format!("x = {}1{}\n", "f([".repeat(49), "])".repeat(49)),
        format!("x = {}1{}\n", "(lambda: ".repeat(49), ")".repeat(49)),
        format!("x = {}1\n", "(".repeat(1000)),
    ];
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            for src in &worst {
                let _ = parse_module(src, "t.py");
                let _ = is_complete(src);
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
