#!/usr/bin/env python3
"""Differential check of the parser against CPython's `ast`: random expressions with every
operator, display and comprehension are parsed by both, and the trees compared in the
s-expression form of `tensile_repl::sexp`.

Usage: python3 repl/fuzz/differential.py [SEED] [COUNT]   (from the workspace root)
"""
import ast, json, os, random, subprocess, sys, tempfile

random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
BIN = ['+','-','*','/','//','%','**','@','<<','>>','&','|','^']
CMP = ['==','!=','<','<=','>','>=','in','not in','is','is not']
def atom(d):
    r = random.random()
    if d <= 0 or r < 0.25:
        return random.choice(['a','b','c','x','1','2','0x1f','1.5','None','True','...','"s"'])
    k = random.randrange(14)
    e = lambda: gen(d-1)
    if k == 0: return f'({e()})'
    if k == 1: return f'{atom(d-1)}.attr'
    if k == 2: return f'{atom(d-1)}({e()}, *{atom(d-1)}, k={e()})'
    if k == 3: return f'{atom(d-1)}[{e()}]'
    if k == 4: return f'{atom(d-1)}[{e()}:{e()}, ::{e()}, ...]'
    if k == 5: return f'[{e()}, {e()}]'
    if k == 6: return f'({e()}, {e()},)'
    if k == 7: return f'{{{e()}: {e()}, **{atom(d-1)}}}'
    if k == 8: return f'{{{e()}}}'
    if k == 9: return f'[{e()} for {random.choice(["i","(i, j)","i, j"])} in {atom(d-1)} if {atom(d-1)}]'
    if k == 10: return f'({e()} for i in {atom(d-1)})'
    if k == 11: return f'{{i: {e()} for i in {atom(d-1)}}}'
    if k == 12: return f'{atom(d-1)}()'
    return f'({e()},)'
def gen(d):
    if d <= 0: return atom(0)
    k = random.randrange(9)
    g = lambda: gen(d-1)
    if k == 0: return f'{g()} {random.choice(BIN)} {g()}'
    if k == 1: return f'{random.choice(["-","+","~","not "])}{g()}'
    if k == 2: return f'{g()} {random.choice(CMP)} {g()} {random.choice(CMP)} {g()}'
    if k == 3: return f'{g()} {random.choice(["and","or"])} {g()}'
    if k == 4: return f'{g()} if {g()} else {g()}'
    if k == 5: return f'{g()} {random.choice(CMP)} {g()}'
    if k == 6: return f'lambda: {g()}'
    return atom(d)

SYM = {ast.Add:'+',ast.Sub:'-',ast.Mult:'*',ast.Div:'/',ast.FloorDiv:'//',ast.Mod:'%',ast.Pow:'**',ast.MatMult:'@',ast.LShift:'<<',ast.RShift:'>>',ast.BitAnd:'&',ast.BitOr:'|',ast.BitXor:'^',
       ast.USub:'-',ast.UAdd:'+',ast.Invert:'~',ast.Not:'not',ast.Eq:'==',ast.NotEq:'!=',ast.Lt:'<',ast.LtE:'<=',ast.Gt:'>',ast.GtE:'>=',ast.In:'in',ast.NotIn:'not-in',ast.Is:'is',ast.IsNot:'is-not'}
def s(n):
    t = type(n)
    if n is None: return '_'
    if t is ast.Name: return n.id
    if t is ast.Constant:
        v = n.value
        if v is None: return 'None'
        if v is True: return 'True'
        if v is False: return 'False'
        if v is Ellipsis: return '...'
        if isinstance(v, str): return json.dumps(v)
        return repr(v)
    if t is ast.BinOp: return f'({SYM[type(n.op)]} {s(n.left)} {s(n.right)})'
    if t is ast.UnaryOp: return f'({SYM[type(n.op)]} {s(n.operand)})'
    if t is ast.BoolOp: return '(' + ('and' if type(n.op) is ast.And else 'or') + ''.join(' '+s(v) for v in n.values) + ')'
    if t is ast.Compare:
        if len(n.ops) == 1: return f'({SYM[type(n.ops[0])]} {s(n.left)} {s(n.comparators[0])})'
        return '(cmp ' + s(n.left) + ''.join(f' {SYM[type(o)]} {s(c)}' for o, c in zip(n.ops, n.comparators)) + ')'
    if t is ast.IfExp: return f'(if {s(n.test)} {s(n.body)} {s(n.orelse)})'
    if t is ast.Lambda: return f'(lambda () {s(n.body)})'
    if t is ast.Call:
        parts = [s(a) for a in n.args] + [f'(= {k.arg} {s(k.value)})' if k.arg else f'(** {s(k.value)})' for k in n.keywords]
        return '(call ' + s(n.func) + ''.join(' '+p for p in parts) + ')'
    if t is ast.Starred: return f'(* {s(n.value)})'
    if t is ast.Attribute: return f'(. {s(n.value)} {n.attr})'
    if t is ast.Subscript: return f'([] {s(n.value)} {s(n.slice)})'
    if t is ast.Slice: return f'(: {s(n.lower)} {s(n.upper)} {s(n.step)})'
    if t is ast.Tuple: return '(tuple' + ''.join(' '+s(e) for e in n.elts) + ')'
    if t is ast.List: return '(list' + ''.join(' '+s(e) for e in n.elts) + ')'
    if t is ast.Set: return '(set' + ''.join(' '+s(e) for e in n.elts) + ')'
    if t is ast.Dict: return '(dict' + ''.join(f' ({s(k)} {s(v)})' if k is not None else f' (** {s(v)})' for k, v in zip(n.keys, n.values)) + ')'
    def gens(g): return ''.join(f' (for {s(c.target)} {s(c.iter)}' + ''.join(f' (if {s(i)})' for i in c.ifs) + ')' for c in g)
    if t is ast.ListComp: return f'(listcomp {s(n.elt)}{gens(n.generators)})'
    if t is ast.SetComp: return f'(setcomp {s(n.elt)}{gens(n.generators)})'
    if t is ast.GeneratorExp: return f'(genexp {s(n.elt)}{gens(n.generators)})'
    if t is ast.DictComp: return f'(dictcomp {s(n.key)} {s(n.value)}{gens(n.generators)})'
    raise Exception(t)

srcs, want = [], []
while len(srcs) < COUNT:
    src = gen(random.randrange(1, 5))
    try:
        tree = ast.parse(src, mode='eval')
    except SyntaxError:
        continue
    srcs.append(src)
    want.append(s(tree.body))
with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
    f.write('\n'.join(srcs) + '\n')
out = subprocess.run(['cargo', 'run', '-q', '-p', 'tensile-repl', '--example', 'parse_file', f.name],
                     capture_output=True, text=True)
os.unlink(f.name)
if out.returncode != 0:
    sys.exit('parse failed: ' + out.stderr)
got = out.stdout.splitlines()
bad = [(a, b, c) for a, b, c in zip(srcs, got, want) if b != c]
for a, b, c in bad[:10]:
    print(f'source: {a}\nours:   {b}\nPython: {c}\n')
print(f'{len(srcs)} expressions, {len(bad)} mismatches')
sys.exit(1 if bad or len(got) != len(srcs) else 0)
