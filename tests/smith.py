#!/usr/bin/env python3
"""smith: random well-formed symgrad problems, differential testing (issue 11).

In the spirit of Csmith: instead of mutating bytes (libFuzzer rarely makes a
well-formed problem with many names), this writes random problems that are
valid and shape-correct by construction -- every declaration kind, the
function set, recurrences, grad/jacobian/hessian/output requests, names drawn
to collide with C (keywords, macros, <math.h>, the generated code's own
names, Greek letters in both spellings, concatenations of other names, long
names) -- and runs each one through every mode of symgrad:

  C (-o), C with a header (-H), --formulas (and --ascii), --latex (a sample
  through pdflatex when it exists), --eval, --check

each under a 2 s timeout, the plain build also under a 500 MB address-space
limit with its max RSS measured (os.wait4), the ASan/UBSan build for crashes.
The oracle is differential: the generated C (compiled with gcc -Wall -Wextra
-Werror -pedantic; clang and g++ on a sample) is driven by a small C program
written per problem from the header, at the same inputs as --eval, and every
result must agree with --eval to a relative 1e-7 of the result's scale;
the --check program (central finite differences of the C's own values) must
exit 0.

  python3 tests/smith.py -n 100 --seed 1            # 100 problems
  python3 tests/smith.py -n 100 --avoid known      # skip the classes being fixed
  python3 tests/smith.py --replay tests/smith-regressions/*.sg
  python3 tests/smith.py --print --seed 7          # show one problem
  python3 tests/smith.py -n 200 --fast --jobs 2    # make test's batch: the same checks,
                                                   # less CPU (tests/README-smith.md)
  python3 tests/smith.py -n 20 --profile           # CPU per phase

A problem carries its inputs in comments (# smith-dims:, # smith-eval:), so a
saved file replays alone. Failures are kept under --out (default
build/smith/fail/) with the mode and reason printed; --reduce drops lines
while the same failure stays.

Classes of problems. --avoid known leaves out the ones that still fail
(OPEN; none today). The notations of the spec that once failed, sqrt (the
prefix root), deltaname (Δ₁, ΔW, Δ as names), seqorder (a step reading a
later sequence at t-1), normsub (‖e‖₂, ‖e‖_F), supn (ℝⁿ) and pi (the
constant π), are accepted now and generated in every run; their minimal
inputs are regressions in tests/smith-regressions/. --force CLASS,... makes
any class on purpose. The classes fixed by issue 11 are
generated in every run, so a regression fails it:
  cnames   names starting sg_ / the prefix + _, macro names (linux, NULL,
           SG_UNROLL, ...), C++ keywords as results
  latex    a node with more than 16 inputs
  front    flat sums of over 1000 terms, exponential name splitting
  hess     Hessians through deep chains of definitions
  squares  zₖ = c·(zₖ₋₁ ⊙ zₖ₋₁): a DAG of k nodes, a tree of 2ᵏ factors
  splitpostfix ((Ax)ᵀ), uninit (gcc -Wmaybe-uninitialized), latexempty (a
  recurrence with no shared matrix), checktol (--check on right Hessians),
  stored and seqdiff (assertions in cgen.c and diff.c)
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "sigma",
         "tau", "upsilon", "phi", "chi", "psi", "omega"]
SUBS = "₀₁₂₃₄₅₆₇₈₉"

# words of the language and its functions: never names
LANG_WORDS = set("""grad jacobian hessian output prefix dim wrt for in answer t T I eye ones
exp log log2 sqrt abs sign step sin cos tan arcsin arccos arctan sinh cosh tanh erf sigmoid
relu swish softplus log1p max min sum mean tr det logdet norm norm1 logsumexp softmax
logsoftmax inv diag dot pi sigma scalar vector matrix symmetric spd onehot R d e""".split())
# C99 keywords: the checker refuses them as names (a designed error)
C99_KW = set("""auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while""".split())
# names that collide with C but which symgrad must rename (not known classes)
COLLIDE = ["bool", "class", "new", "delete", "this", "template", "true",
           "false", "not", "and", "or", "xor",
           "main", "y0", "y1", "j0", "j1", "jn", "yn", "floor", "fabs",
           "fmax", "hypot", "lgamma", "tgamma", "erfc",
           "size_t", "uintptr_t", "work", "dims", "out", "scratch", "pack", "i",
           "j", "t1", "t2", "FILE", "printf", "malloc", "memcpy", "x_",
           "unix_", "gammaf", "restrict_"]
CXX_KW = set("""bool class new delete this template true false not and or xor""".split())
# known class "cnames": macros (predefined, <math.h>, <stdio.h>, the generated code's own):
# a struct field or local of that name is expanded by the preprocessor
MACROS = ["linux", "unix", "i386", "NAN", "NULL", "INFINITY", "HUGE_VAL", "EOF", "EDOM",
          "M_PI", "DBL_MAX", "CHAR_BIT", "errno", "assert", "offsetof", "stdin",
          "SG_RESTRICT", "SG_UNROLL", "SG_CHUNK"]

PREFIXES = ["q", "net", "p1", "f", "model", "gp", "loss_fn", "Z"]


def plain(name):
    """A source name as symgrad normalises it (Greek spelled out, subscripts as digits)."""
    out = []
    for ch in name:
        cp = ord(ch)
        if 0x2080 <= cp <= 0x2089:
            out.append(chr(ord('0') + cp - 0x2080))
        elif 0x3b1 <= cp <= 0x3c9:
            out.append(GREEK[cp - 0x3b1])
        elif 0x391 <= cp <= 0x3a9 and cp != 0x3a2:
            w = GREEK[cp - 0x391]
            out.append(w[0].upper() + w[1:])
        else:
            out.append(ch)
    return "".join(out)


class Sym:
    """A declared input or a definition."""

    def __init__(self, name, kind, shape, seq=False):
        self.name = name          # as written in the source
        self.kind = kind          # scalar vector matrix symmetric spd onehot def
        self.shape = shape        # None (scalar) or (rows, cols)
        self.seq = seq            # a sequence x[t]


class Gen:
    def __init__(self, rng, avoid_known, force=None):
        self.rng = rng
        self.avoid = avoid_known
        self.force = force or set()       # known classes to produce on purpose
        self.classes = set()              # the known classes this problem contains
        self.taken = set()                # normalised names in use
        self.dims = {}                    # dim name -> value
        self.syms = []                    # declared inputs, in order
        self.defs = []                    # definitions usable in expressions
        self.lines = []
        self.pos_scalars = []             # names known positive
        self.uni = rng.random() < 0.6     # Unicode or ASCII spelling, mostly

    def skip(self, cls):
        """--avoid known: leave out a class that still fails (OPEN), unless forced"""
        return bool(self.avoid) and cls in OPEN and cls not in self.force

    # ---- names --------------------------------------------------------------

    def fresh(self, base):
        n = plain(base)
        if n in self.taken or n in LANG_WORDS or n in C99_KW or len(n) > 200:
            return None
        if n in self.dims:
            return None
        if n.lower() == getattr(self, "prefix", "").lower():
            # a sequence named like the prefix in capitals hangs C generation (cnames)
            if self.skip("cnames"):
                return None
            self.classes.add("cnames")
        self.taken.add(n)
        return base

    def new_name(self, hint="x"):
        r = self.rng
        for _ in range(50):
            c = r.random()
            if c < 0.25:
                base = r.choice("abcdfghkuvwxyzABCDFGHKLMPRSUVWXYZ")
            elif c < 0.4:
                base = r.choice("abcdfgkuvwxyzWUVAB") + (r.choice(SUBS) if r.random() < 0.5
                                                          else str(r.randint(0, 9)))
            elif c < 0.55:
                g = r.randrange(len(GREEK))
                if GREEK[g] in ("pi", "sigma", "omicron"):
                    continue
                if GREEK[g] == "delta" and (self.skip("deltaname")):
                    continue
                if r.random() < 0.5:
                    base = chr(0x3b1 + g) if r.random() < 0.8 else chr(0x391 + g)
                    if 0x391 + g == 0x3a2:
                        continue
                else:
                    base = GREEK[g]
                if r.random() < 0.3:
                    base += r.choice(SUBS)
            elif c < 0.7:
                base = r.choice(COLLIDE)
            elif c < 0.78:
                base = r.choice("WUVAbh") + "_" + "".join(r.choice("xyhqz") for _ in range(2))
            elif c < 0.84:
                # a long name, up to the 200-character limit
                n = r.choice([30, 80, 199, 200])
                base = "w" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789_")
                                     for _ in range(n - 1))
            elif c < 0.92 and len(self.taken) >= 2:
                # a concatenation of two names already declared
                a = r.choice(sorted(self.taken))
                b = r.choice(sorted(self.taken))
                if len(a) + len(b) > 200 or not a[0].isalpha():
                    continue
                base = a + b
            elif "cnames" in self.force or (not self.skip("cnames") and r.random() < 0.3):
                k = r.random()
                if k < 0.4:
                    base = "sg_" + r.choice("xyzW")
                elif k < 0.7:
                    base = self.prefix + "_" + r.choice("xyzW")
                else:
                    base = r.choice(MACROS)
                self.classes.add("cnames")
            else:
                continue
            if not base[0].isalpha():
                continue
            got = self.fresh(base)
            if got:
                if got[0] == "Δ":
                    self.classes.add("deltaname")
                return got
        # fall back on a numbered plain name
        i = 0
        while True:
            got = self.fresh(hint + str(i))
            if got:
                return got
            i += 1

    # ---- text helpers -------------------------------------------------------

    def dim_text(self, d):
        return str(d)

    def shape_decl(self, shape):
        u = self.uni
        if shape is None:
            return "ℝ" if u else "scalar"
        r, c = shape
        if c == 1:
            if u and r == "n" and self.rng.random() < 0.3 and (not self.skip("supn")):
                self.classes.add("supn")
                return "ℝⁿ"
            return ("ℝ^" + self.brace(r)) if u else "vector(%s)" % r
        if u:
            return "ℝ^{%s×%s}" % (r, c)
        return "matrix(%s, %s)" % (r, c) if self.rng.random() < 0.7 else "R^(%s x %s)" % (r, c)

    def brace(self, r):
        s = str(r)
        return s if len(s) == 1 else "{" + s + "}"

    def T(self, e):
        split = getattr(self, "concats", {}).get(e)
        if split:
            if self.skip("splitpostfix"):
                e = "(%s %s)" % split
            else:
                self.classes.add("splitpostfix")
        return e + self.rng.choice(["ᵀ", "'", ".T", "^T"] if not self.uni else ["ᵀ", "ᵀ", "'"])

    # ---- declarations -------------------------------------------------------

    def make_dims(self):
        r = self.rng
        pool = ["n", "m", "k", "p", "D", "H", "N", "C", "Q", "K_", "d1", "M", "nx", "NUL"]
        r.shuffle(pool)
        for name in pool[:r.randint(1, 3)]:
            if plain(name) in self.taken:
                continue
            self.taken.add(plain(name))
            self.dims[name] = r.randint(2, 4)
        self.dimlist = list(self.dims) + [2, 3]
        self.dimline = r.random() < 0.5
        if self.dimline:
            self.lines.append("dim " + ", ".join(self.dims))

    def rdim(self):
        ds = [d for d in self.dims if d != "T"]
        if self.dims and self.rng.random() < 0.8 and ds:
            return self.rng.choice(ds)
        return self.rng.choice(self.dimlist)

    def shapes(self):
        out = []
        for s in self.syms + self.defs:
            if s.shape is not None and not s.seq:
                out.append(s.shape)
                out.append((s.shape[1], s.shape[0]))
        return out

    def vdim(self):
        """A dimension some name has, mostly."""
        ds = [d for sh in self.shapes() for d in sh if d != 1]
        return self.rng.choice(ds) if ds and self.rng.random() < 0.85 else self.rdim()

    def mshape(self, square=False):
        ms = [sh for sh in self.shapes() if sh[1] != 1 and sh[0] != 1 and (sh[0] == sh[1] or not square)]
        if ms and self.rng.random() < 0.85:
            return self.rng.choice(ms)
        n = self.vdim()
        return (n, n) if square else (n, self.vdim())

    def declare(self, kind, shape, seq=False, count=1):
        name = ", ".join(self.new_name() for _ in range(count))
        s = Sym(name, kind, shape, seq)
        u = self.uni
        if kind in ("scalar", "vector", "matrix"):
            typ = self.shape_decl(shape)
        elif kind == "symmetric":
            typ = ("𝕊^" + self.brace(shape[0])) if u else "symmetric(%s)" % shape[0]
        elif kind == "spd":
            typ = ("𝕊₊₊^" + self.brace(shape[0])) if u else "spd(%s)" % shape[0]
        elif kind == "onehot":
            if shape[1] == 1:
                typ = ("Δ^" + self.brace(shape[0])) if u else "onehot(%s)" % shape[0]
            else:
                typ = ("Δ^{%s×%s}" % shape) if u else "onehot(%s, %s)" % shape
        if seq:
            self.lines.append("%s[t] %s %s for t = 1..T" % (name, "∈" if u else ":", typ))
        else:
            sep = "∈" if u else "in" if typ.startswith("R^") else ":"
            self.lines.append("%s %s %s" % (name, sep, typ))
        for n in name.split(", "):
            self.syms.append(Sym(n, kind, shape, seq))
        return self.syms[-1]

    # ---- expressions --------------------------------------------------------
    # gen(shape, depth) returns the text of an expression of that shape that
    # is safe as an operand (parenthesised when compound).

    def names_of(self, shape, pool=None):
        out = []
        for s in (pool if pool is not None else self.syms + self.defs):
            if s.seq:
                continue
            if s.shape == shape:
                out.append(s.name)
            elif s.shape is not None and shape is not None and s.shape == (shape[1], shape[0]) \
                    and s.kind in ("symmetric", "spd"):
                out.append(s.name)
        return out

    def respell(self, name):
        """The same name spelled otherwise, now and then: β as beta, W₁ as W1."""
        if plain(name) != name and self.rng.random() < 0.3:
            return plain(name)
        return name

    def atom(self, shape):
        """A name of the shape, a transposed one, or a constant; None if none."""
        r = self.rng
        names = self.names_of(shape) + [e for e in self.seq_atoms if e[1] == shape and e[0]]
        cands = [self.respell(n) if isinstance(n, str) else n[0] for n in names]
        if shape is not None:
            tr = self.names_of((shape[1], shape[0]))
            cands += [self.T(n) for n in tr if shape[0] != shape[1] or r.random() < 0.3]
        if shape is None:
            c = r.choice(["0.5", "½", "2", "1e-1", "0.25", "¾", "3", "⅓", "⅔", "⅕", "⅙", "⅛",
                          "1e-3", "π"] if self.uni else ["0.5", "2", "1e-1", "0.25", "3", "1.5e0"])
            if c == "π" and self.skip("pi"):
                c = "3"
            if c == "π":
                self.classes.add("pi")
            cands += [c] if r.random() < 0.3 else []
            if self.dims and r.random() < 0.15:
                cands.append("(%s/2)" % r.choice(list(self.dims)))
        if not cands:
            return None
        return r.choice(cands)

    def gen(self, shape, depth):
        r = self.rng
        self.budget -= 1
        if depth <= 0 or self.budget <= 0 or r.random() < 0.3:
            a = self.atom(shape)
            if a is not None:
                return a
            if shape is not None:
                a = self.product_atom(shape)
                if a is not None:
                    return a
            if depth <= -1 or self.budget <= 0:
                return self.const_of(shape)
        if shape is None:
            return self.gen_scalar(depth)
        if shape[1] == 1:
            return self.gen_vector(shape, depth)
        return self.gen_matrix(shape, depth)

    def product_atom(self, shape):
        """A product of two names that makes the shape, or None."""
        r = self.rng
        m = self.inner(shape[0], shape[1])
        if m is None:
            return None
        a = self.atom((shape[0], m))
        b = self.atom((m, shape[1]))
        if a is None or b is None:
            return None
        if self.rng.random() < 0.5 and self.can_concat(a, b):
            return self.concat(a, b)
        return "(%s%s%s)" % (a, self.mul(), b)

    def prod(self, a, b):
        if self.rng.random() < 0.6 and self.can_concat(a, b):
            return self.concat(a, b)
        return "(%s%s%s)" % (a, self.mul(), b)

    def concat(self, a, b):
        """a b written as on paper, ab, in parentheses (a postfix binds to the last part)."""
        e = "(%s)" % (a + b)
        if not hasattr(self, "concats"):
            self.concats = {}
        self.concats[e] = (a, b)
        return e

    def can_concat(self, a, b):
        """a b may be written ab: plain names, ab no name, and exactly one split of it."""
        word = re.compile(r"^[A-Za-z\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff\u2080-\u2089]*$")
        bn = re.sub("(ᵀ|')$", "", b)
        if not word.match(a) or not word.match(bn) or a in LANG_WORDS or bn in LANG_WORDS:
            return False
        whole = plain(a + bn)
        if whole in self.taken or whole in LANG_WORDS or len(whole) > 200:
            return False
        names = set(plain(x.name) for x in self.syms + self.defs) | \
            set(plain(d) for d in self.dims) | {"I"}
        return count_splits(whole, names) == 1

    def inner(self, a, b):
        """An inner dimension m for which names of shapes (a, m) and (m, b) exist."""
        have = set()
        for s in self.syms + self.defs:
            if s.shape is not None and not s.seq:
                have.add(s.shape)
                have.add((s.shape[1], s.shape[0]))
        for sh, _ in getattr(self, "seq_atoms", []):
            if sh is not None:
                pass
        ms = [m for m in self.dimlist if (a, m) in have and (m, b) in have]
        if not ms:
            ms = [m for m in self.dimlist if (a, m) in have or (m, b) in have]
        return self.rng.choice(ms) if ms else None

    def rinner(self, a, b):
        m = self.inner(a, b)
        return m if m is not None and self.rng.random() < 0.8 else self.rdim()

    def const_of(self, shape):
        if shape is None:
            return "0.5"
        r, c = shape
        if c == 1:
            return "ones(%s)" % r
        if r == c:
            return "I(%s)" % r
        return "(ones(%s) %s)" % (r, self.T("ones(%s)" % c))

    def elem(self, e, shape):
        """An elementwise function of e, bounded where it matters."""
        r = self.rng
        f = r.choice(["σ", "tanh", "tanh", "relu", "swish", "softplus", "exp_b", "log_p", "sqrt_p",
                      "sin", "cos", "abs", "log1p_p", "sq", "cube", "expm1_b", "root"])
        if f == "σ":
            return ("σ(%s)" if self.uni else "sigmoid(%s)") % e
        if f == "expm1_b":
            return "expm1(tanh(%s))" % e
        if f == "exp_b":
            return "exp(tanh(%s))" % e
        if f == "log_p":
            return "log(%s)" % self.positive(e, shape)
        if f == "sqrt_p":
            if self.uni and (not self.skip("sqrt")) and self.rng.random() < 0.5:
                self.classes.add("sqrt")
                return "√(%s)" % self.positive(e, shape)
            return "sqrt(%s)" % self.positive(e, shape)
        if f == "log1p_p":
            return "log1p(%s)" % self.positive(e, shape)
        if f == "sq":
            return "(%s%s)" % (e, ".^2" if shape is not None else r.choice(["²", "^2"]))
        if f == "root":
            return "(%s.^0.5)" % self.positive(e, shape) if shape is not None else \
                "(%s^0.5)" % self.positive(e, shape)
        if f == "cube":
            return "(%s%s)" % (e, ".^3" if shape is not None else r.choice(["³", "^3"]))
        return "%s(%s)" % (f, e)

    def positive(self, e, shape):
        """An expression > 0 everywhere made from e."""
        r = self.rng
        k = r.randrange(4)
        if k == 0:
            return "exp(tanh(%s))" % e
        if k == 1:
            return ("σ(%s)" if self.uni else "sigmoid(%s)") % e
        if k == 2:
            return "softplus(%s)" % e
        if shape is None:
            return "(%s² + 1)" % e if self.uni else "(%s^2 + 1)" % e
        return "(%s.^2 + 1)" % e

    def mul(self):
        return self.rng.choice([" ", " ", "*", " * ", "·"] if self.uni else [" ", "*", " * "])

    def had(self):
        return self.rng.choice(["⊙", " ⊙ ", ".*"] if self.uni else [".*", " .* "])

    def gen_scalar(self, depth):
        r = self.rng
        k = r.randrange(20)
        d = depth - 1
        if k == 0:
            v = (self.vdim(), 1)
            return "sum(%s)" % self.gen(v, d)
        if k == 1:
            v = self.mshape()
            return "mean(%s)" % self.gen(v, d)
        if k == 2:
            n = self.mshape(True)[0]
            return r.choice(["tr(%s)", "trace(%s)"]) % self.gen((n, n), d)
        if k == 3:
            v = (self.vdim(), 1)
            e = self.gen(v, d)
            if r.random() < 0.3:
                e = self.gen(self.mshape(), d)
                f = r.choice(["‖%s‖_F", "‖%s‖_F²", "‖%s‖", "‖%s‖²", "norm(%s)"] if self.uni else
                             ["norm(%s)", "norm(%s)^2"])
                if "_F" in f and self.skip("normsub"):
                    f = "‖%s‖"
                if "_F" in f:
                    self.classes.add("normsub")
                return f % e
            f = r.choice(["‖%s‖", "‖%s‖²", "norm(%s)", "norm(%s)^2", "‖%s‖₁", "norm1(%s)",
                          "‖%s‖₂", "‖%s‖₂²"])
            if "₂" in f and self.skip("normsub"):
                f = "‖%s‖²"
            if "₂" in f:
                self.classes.add("normsub")
            return f % e \
                if self.uni else r.choice(["norm(%s)", "norm(%s)^2", "norm1(%s)"]) % e
        if k == 4:
            v = (self.vdim(), 1)
            return "logsumexp(%s)" % self.gen(v, d)
        if k == 5:
            n = self.vdim()
            a = self.gen((n, 1), d)
            b = self.gen((n, 1), d)
            return "(%s%s%s)" % (self.T(a), self.mul(), b)
        if k == 6:
            v = self.mshape()
            a, b = self.gen(v, d), self.gen(v, d)
            return ("⟨%s, %s⟩" if self.uni and r.random() < 0.5 else "dot(%s, %s)") % (a, b)
        if k == 7:
            spd = [s for s in self.syms if s.kind == "spd"]
            if spd:
                s = r.choice(spd)
                return r.choice(["logdet(%s)", "log|%s|", "det(%s)", "|%s|", "log(det(%s))"]
                                if self.uni else ["logdet(%s)", "det(%s)"]) % s.name
            return self.elem(self.gen(None, d), None)
        if k == 8:
            spd = [s for s in self.syms if s.kind == "spd"]
            if spd:
                s = r.choice(spd)
                n = s.shape[0]
                x = self.gen((n, 1), d)
                inv = r.choice(["⁻¹", "^-1"]) if self.uni else "^-1"
                if r.random() < 0.5:
                    return "(%s %s%s %s)" % (self.T(x), s.name, inv, x)
                return "(%s inv(%s) %s)" % (self.T(x), s.name, x)
            return self.elem(self.gen(None, d), None)
        if k == 9 and self.uni:
            return "|%s|" % self.gen(None, d)
        if k == 10:
            n = self.mshape(True)[0]
            x = self.gen((n, self.vdim()), d)
            # x xᵀ written xxᵀ only after a bracket: after a name it would be
            # another name (chi chiᵀ is not chichiᵀ when chichi is declared)
            glue = "" if x.endswith(")") else " "
            return r.choice(["log|%s%s%s + I|", "logdet(%s %s%s + I)", "det(%s%s%s + I)"]) % (
                x, glue, self.T(x)) if self.uni else "logdet(%s %s%s + I)" % (x, glue, self.T(x))
        if k in (9, 10, 11):
            return self.elem(self.gen(None, d), None)
        if k in (12, 13):
            op = r.choice([" + ", " − " if self.uni else " - ", "-", "+"])
            return "(%s%s%s)" % (self.gen(None, d), op, self.gen(None, d))
        if k == 14:
            return "(%s%s%s)" % (self.gen(None, d), self.mul(), self.gen(None, d))
        if k == 15:
            return "(%s / %s)" % (self.gen(None, d), self.positive(self.gen(None, d), None))
        if k == 16:
            return "(-%s)" % self.gen(None, d)
        if k == 18:
            # a quadratic form with a declared matrix
            n = self.mshape(True)[0]
            x = self.gen((n, 1), d)
            return "(%s %s %s)" % (self.T(x), self.gen((n, n), d), x)
        return self.elem(self.gen(None, d), None)

    def gen_vector(self, shape, depth):
        r = self.rng
        n = shape[0]
        d = depth - 1
        k = r.randrange(14)
        if k in (0, 1):
            m = self.rinner(n, 1)
            return self.prod(self.gen((n, m), d), self.gen((m, 1), d))
        if k in (2, 3):
            return self.elem(self.gen(shape, d), shape)
        if k == 4:
            op = r.choice([" + ", " − " if self.uni else " - ", "+"])
            return "(%s%s%s)" % (self.gen(shape, d), op, self.gen(shape, d))
        if k == 5:
            return "(%s%s%s)" % (self.gen(shape, d), self.had(), self.gen(shape, d))
        if k == 6:
            return "(%s%s%s)" % (self.gen(shape, d), r.choice(["⊘", " ./ "] if self.uni else [" ./ "]),
                                 self.positive(self.gen(shape, d), shape))
        if k == 7:
            return "(%s%s%s)" % (self.gen(None, d), self.mul(), self.gen(shape, d))
        if k == 8:
            return "%s(%s)" % (r.choice(["softmax", "logsoftmax"]), self.gen(shape, d))
        if k == 9:
            return "diag(%s)" % self.gen((n, n), d)
        if k == 10:
            spd = [s for s in self.syms if s.kind == "spd" and s.shape[0] == n]
            if spd:
                s = r.choice(spd)
                inv = r.choice(["⁻¹", "^-1"]) if self.uni else "^-1"
                return "(%s%s %s)" % (s.name, inv, self.gen(shape, d))
        if k == 11:
            return "(%s + %s)" % (self.gen(shape, d), "ones(%s)" % n if r.random() < 0.5 else
                                  ("𝟙" if self.uni else "ones"))
        if k == 12:
            m = self.rinner(n, 1)
            return "(%s%s%s)" % (self.T(self.gen((m, n), d)), self.mul(), self.gen((m, 1), d))
        return "(-%s)" % self.gen(shape, d)

    def gen_matrix(self, shape, depth):
        r = self.rng
        a, b = shape
        d = depth - 1
        k = r.randrange(13)
        if k in (0, 1):
            m = self.rinner(a, b)
            return self.prod(self.gen((a, m), d), self.gen((m, b), d))
        if k == 2:
            return self.elem(self.gen(shape, d), shape)
        if k == 3:
            op = r.choice([" + ", " − " if self.uni else " - ", "+"])
            return "(%s%s%s)" % (self.gen(shape, d), op, self.gen(shape, d))
        if k == 4:
            return "(%s%s%s)" % (self.gen(shape, d), self.had(), self.gen(shape, d))
        if k == 5:
            return "(%s%s%s)" % (self.gen(None, d), self.mul(), self.gen(shape, d))
        if k == 6:
            return "(%s%s%s)" % (self.gen((a, 1), d), self.mul(), self.T(self.gen((b, 1), d)))
        if k == 7:
            return self.T(self.gen((b, a), d))
        if k == 8 and a == b:
            spd = [s for s in self.syms if s.kind == "spd" and s.shape[0] == a]
            if spd:
                s = r.choice(spd)
                return r.choice(["%s⁻¹", "inv(%s)"] if self.uni else ["%s^-1", "inv(%s)"]) % s.name
            x = self.gen((a, self.vdim()), d)
            return r.choice(["(%s%s%s + I)", "(%s%s%s + I)⁻¹", "inv(%s%s%s + I)"] if self.uni else
                            ["(%s%s%s + I)", "(%s%s%s + I)^-1"]) % (x, self.mul(), self.T(x))
        if k == 9 and a == b:
            return "diag(%s)" % self.gen((a, 1), d)
        if k == 10 and a == b:
            c = self.gen(None, d)
            # cI only after a bracket: after a name, cI would be another
            # (perhaps too long, perhaps declared) name
            glue = ["I", " I", "*I"] if self.uni and c.endswith(")") else [" I", "*I"]
            return "(%s + %s%s)" % (self.gen(shape, d), c, r.choice(glue))
        if k == 11:
            return "softmax(%s)" % self.gen(shape, d)
        return "(%s ./ %s)" % (self.gen(shape, d), self.positive(self.gen(shape, d), shape))

    # ---- the problem --------------------------------------------------------

    def def_name(self, hint):
        """A definition's name; C++ keywords (known class cnames) only when allowed."""
        for _ in range(20):
            name = self.new_name(hint)
            if plain(name) not in CXX_KW:
                return name
            if not self.skip("cnames"):
                self.classes.add("cnames")
                return name
            self.taken.discard(plain(name))
        return self.new_name(hint)

    def define(self, shape, depth, seqpool=None):
        name = self.def_name("z")
        e = self.gen(shape, depth)
        self.lines.append("%s = %s" % (name, e))
        s = Sym(name, "def", shape)
        self.defs.append(s)
        return s

    def problem(self):
        r = self.rng
        self.prefix = r.choice(PREFIXES)
        self.seq_atoms = []
        self.taken.add(self.prefix)
        self.lines.append("# smith problem")
        self.lines.append("prefix " + self.prefix)
        self.budget = 14
        self.make_dims()
        recurrent = r.random() < 0.25
        # inputs
        nin = r.randint(2, 6)
        kinds = ["scalar", "vector", "vector", "matrix", "matrix", "symmetric", "spd", "onehot"]
        for _ in range(nin):
            kd = r.choice(kinds)
            c = 2 if r.random() < 0.2 else 1
            if kd == "scalar":
                self.declare("scalar", None, count=c)
            elif kd == "vector":
                self.declare("vector", (self.rdim(), 1), count=c)
            elif kd == "matrix":
                self.declare("matrix", (self.rdim(), self.rdim()), count=c)
            elif kd in ("symmetric", "spd"):
                n = self.rdim()
                self.declare(kd, (n, n), count=c)
            else:
                self.declare("onehot", (self.rdim(), 1), count=c)
        if not self.dimline:
            used = set(d for sy in self.syms if sy.shape for d in sy.shape)
            for d in list(self.dims):
                if d not in used:
                    del self.dims[d]
                    self.taken.discard(plain(d))
            self.dimlist = list(self.dims) + [2, 3]
        requests = []
        if recurrent:
            self.recurrence(requests)
        else:
            self.plain(requests)
        self.lines.extend(requests)
        return "\n".join(self.lines) + "\n"

    def wrt_candidates(self):
        return [s for s in self.syms if not s.seq]

    def plain(self, requests):
        r = self.rng
        ndef = r.randint(1, 4)
        depth = r.randint(2, 3)
        for _ in range(ndef - 1):
            shape = r.choice([None, (self.vdim(), 1), self.mshape()])
            self.budget = 14
            self.define(shape, depth)
        if "latex" in self.force or (not self.skip("latex") and r.random() < 0.05):
            self.many_inputs()
        if "front" in self.force or (not self.skip("front") and r.random() < 0.03):
            self.front()
        if "hess" in self.force or (not self.skip("hess") and r.random() < 0.03):
            return self.hess_chain(requests)
        if "squares" in self.force or (not self.skip("squares") and r.random() < 0.03):
            return self.squares(requests)
        self.budget = 18
        L = self.define(None, depth)
        wrt = self.wrt_candidates()
        outs, grads, jacs, hess = [], [], [], []
        sel = r.sample(wrt, k=r.randint(1, min(3, len(wrt))))
        grads.append("grad %s wrt %s" % (L.name, ", ".join(s.name for s in sel)))
        self.results = [(L.name, None)]
        self.dresults = [("d%s_d%s" % (plain(L.name), plain(s.name)), s.shape) for s in sel]
        vecdefs = [s for s in self.defs if s is not L and (s.shape is None or s.shape[1] == 1)]
        if vecdefs and r.random() < 0.5:
            v = r.choice(vecdefs)
            z = r.choice([s for s in wrt if s.shape is None or s.shape[1] == 1] or [None])
            if z is None:
                return self.finish(requests, outs, grads, jacs, hess, L)
            jacs.append("jacobian %s wrt %s" % (v.name, z.name))
            self.results.append((v.name, v.shape))
            self.jres = [(v, z)]
        else:
            self.jres = []
        chain = len(self.defs) > 1
        if r.random() < 0.3 and (not chain or not self.skip("hess")):
            if chain:
                self.classes.add("hess")
            z = r.choice([s for s in wrt if s.shape is None or s.shape[1] == 1] or [None])
            if z is None:
                return self.finish(requests, outs, grads, jacs, hess, L)
            hess.append("hessian %s wrt %s" % (L.name, z.name))
            self.hres = [(L, z)]
        else:
            self.hres = []
        self.finish(requests, outs, grads, jacs, hess, L)

    def finish(self, requests, outs, grads, jacs, hess, L):
        r = self.rng
        others = [s for s in self.defs if s is not L and s.name not in [x[0] for x in self.results]]
        if others and r.random() < 0.5:
            o = r.choice(others)
            outs.append("output " + o.name)
            self.results.insert(0, (o.name, o.shape))
        requests.extend(outs + grads + jacs + hess)

    def many_inputs(self):
        """Known class latex: a node with more than 16 inputs."""
        self.classes.add("latex")
        names = [s.name for s in self.syms if s.shape is None]
        while len(names) < 24:
            names.append(self.declare("scalar", None).name)
        self.define_text(" + ".join(names) if self.rng.random() < 0.5 else
                         " * ".join("(1 + %s)" % n for n in names))

    def front(self):
        """Class front: a flat sum of over 1000 terms. (The other half of the
        class, a name with exponentially many partial splits such as abab…ab
        with a, b, ab declared, can only end in the ambiguity error, never in
        a valid problem: tests/front.sh times it.)"""
        self.classes.add("front")
        x = self.declare("scalar", None).name
        self.define_text("+".join([x] * 1001) if len(x) == 1 else "sum(%s)" % x)

    def hess_chain(self, requests):
        """Known class hess: the Hessian through a deep chain of definitions."""
        self.classes.add("hess")
        n = self.vdim()
        x = self.declare("vector", (n, 1))
        W = self.declare("matrix", (n, n))
        prev = x.name
        for _ in range(self.rng.randint(12, 20)):
            z = self.new_name("z")
            self.lines.append("%s = tanh(%s %s)" % (z, W.name, prev))
            self.defs.append(Sym(z, "def", (n, 1)))
            prev = z
        L = self.new_name("L")
        self.lines.append("%s = sum(%s)" % (L, prev))
        requests.append("hessian %s wrt %s" % (L, x.name))
        self.results = [(L, None)]

    def squares(self, requests):
        """Class squares: zₖ = c·(zₖ₋₁ ⊙ zₖ₋₁), a DAG of k nodes that is 2ᵏ
        factors as a tree (the printers and the ⊙ flattening walked it as one)."""
        self.classes.add("squares")
        r = self.rng
        n = self.vdim()
        x = self.declare("vector", (n, 1))
        prev = x.name
        had = "⊙" if self.uni else ".*"
        for _ in range(r.randint(10, 30)):
            z = self.new_name("z")
            c = r.choice(["0.5", "¼" if self.uni else "0.25", "½" if self.uni else "0.5"])
            form = r.choice(["%s %s %s * %s", "%s * (%s %s %s)", "%s * (%s %s %s) + %s"])
            if form.startswith("%s *") and form.endswith("+ %s"):
                self.lines.append("%s = %s" % (z, form % (c, prev, had, prev, prev)))
            elif form.startswith("%s *"):
                self.lines.append("%s = %s" % (z, form % (c, prev, had, prev)))
            else:
                self.lines.append("%s = %s" % (z, form % (prev, had, prev, c)))
            self.defs.append(Sym(z, "def", (n, 1)))
            prev = z
        L = self.new_name("L")
        self.lines.append("%s = sum(%s)" % (L, prev))
        requests.append("grad %s wrt %s" % (L, x.name))
        self.results = [(L, None)]

    def define_text(self, e):
        name = self.def_name("z")
        self.lines.append("%s = %s" % (name, e))
        s = Sym(name, "def", None)
        self.defs.append(s)

    def recurrence(self, requests):
        r = self.rng
        u = self.uni
        n = self.rdim()
        T = "T"
        self.dims["T"] = r.randint(1, 3)
        xs = []
        for _ in range(r.randint(1, 2)):
            shape = r.choice([None, (self.rdim(), 1), (n, n)])
            xs.append(self.declare("vector" if shape else "scalar", shape, seq=True))
        h0 = self.declare("vector", (n, 1))
        seqs = []
        nseq = r.randint(1, 2)
        names = [self.def_name("h") for _ in range(nseq)]
        # h[0] for the sequences read at t-1
        self.seq_atoms = [("%s[t]" % x.name, x.shape) for x in xs]
        prev = []
        tm1 = "t−1" if u else "t-1"
        for nm in names:
            self.lines.append("%s[0] = %s" % (nm, h0.name))
            prev.append(("%s[%s]" % (nm, tm1), (n, 1)))
        later = not self.skip("seqorder")
        for i, nm in enumerate(names):
            self.seq_atoms = [("%s[t]" % x.name, x.shape) for x in xs] + \
                             (prev if later else prev[:i + 1]) + \
                             [("%s[t]" % m, (n, 1)) for m in names[:i]]
            self.budget = 10
            e = self.gen((n, 1), r.randint(1, 3))
            if not any(p[0] in e for p in prev):
                e = "(%s + %s)" % (e, prev[i][0])
            if any(p[0] in e for p in prev[i + 1:]):
                self.classes.add("seqorder")
            self.lines.append("%s[t] = tanh(%s) for t = 1..%s" % (nm, e, T))
            seqs.append(nm)
        self.seq_atoms = [("%s[t]" % x.name, x.shape) for x in xs] + \
                         [("%s[t]" % m, (n, 1)) for m in names]
        self.budget = 10
        body = self.gen(None, r.randint(1, 3))
        if not any("%s[t]" % m in body for m in names):
            body = "(%s + sum(%s[t]))" % (body, r.choice(names))
        self.seq_atoms = []
        L = self.def_name("L")
        if u and r.random() < 0.6:
            self.lines.append("%s = Σ_{t=1}^{T} %s" % (L, body))
        else:
            self.lines.append("%s = sum(t = 1..T, %s)" % (L, body))
        self.defs.append(Sym(L, "def", None))
        wrt = self.wrt_candidates()
        sel = r.sample(wrt, k=r.randint(1, min(3, len(wrt))))
        requests.append("grad %s wrt %s" % (L, ", ".join(s.name for s in sel)))
        self.results = [(L, None)]
        self.dresults = [("d%s_d%s" % (plain(L), plain(s.name)), s.shape) for s in sel]
        self.jres, self.hres = [], []


def count_splits(s, names, cap=2):
    """How many ways s is a concatenation of names (counting stops at cap)."""
    ways = [0] * (len(s) + 1)
    ways[0] = 1
    for i in range(1, len(s) + 1):
        for n in names:
            if len(n) <= i and ways[i - len(n)] and s.startswith(n, i - len(n)):
                ways[i] = min(cap, ways[i] + ways[i - len(n)])
    return ways[len(s)]


# ---- inputs -------------------------------------------------------------------

def rnd_matrix(rng, r, c):
    return [[round(rng.uniform(-1, 1), 3) for _ in range(c)] for _ in range(r)]


def value_of(rng, s, dims):
    def dv(x):
        return dims[x] if isinstance(x, str) else x

    def one():
        if s.shape is None:
            return round(rng.uniform(-1, 1), 3)
        r, c = dv(s.shape[0]), dv(s.shape[1])
        if s.kind == "symmetric":
            a = rnd_matrix(rng, r, r)
            return [[(a[i][j] + a[j][i]) / 2 for j in range(r)] for i in range(r)]
        if s.kind == "spd":
            a = rnd_matrix(rng, r, r)
            return [[sum(a[i][l] * a[j][l] for l in range(r)) / r + (1 if i == j else 0)
                     for j in range(r)] for i in range(r)]
        if s.kind == "onehot":
            a = [[0.1 + rng.random() for _ in range(c)] for _ in range(r)]
            cols = [sum(a[i][j] for i in range(r)) for j in range(c)]
            a = [[a[i][j] / cols[j] for j in range(c)] for i in range(r)]
            return [row[0] for row in a] if c == 1 else a
        m = rnd_matrix(rng, r, c)
        return [row[0] for row in m] if c == 1 else m
    if s.seq:
        return [one() for _ in range(dims["T"])]
    return one()


def fmt_value(v):
    if isinstance(v, list):
        return "[" + ",".join(fmt_value(x) for x in v) + "]"
    return repr(float(v)) if v != int(v) else str(int(v))


def flatten(v):
    if isinstance(v, list):
        out = []
        for x in v:
            out.extend(flatten(x))
        return out
    return [float(v)]


def make_problem(seed, avoid, force=None):
    """(text, classes) of problem number seed."""
    rng = random.Random(seed)
    for attempt in range(20):
        g = Gen(rng, avoid, force)
        text = g.problem()
        if len(text.encode()) <= 4096:
            break
    vals = [(s.name, value_of(rng, s, g.dims)) for s in g.syms]
    dims = dict((k, v) for k, v in g.dims.items())
    head = "# smith-dims: %s\n# smith-eval: %s\n" % (
        " ".join("%s=%d" % (k, v) for k, v in dims.items()),
        "; ".join("%s=%s" % (n, fmt_value(v)) for n, v in vals))
    if g.classes:
        head += "# smith-classes: %s\n" % " ".join(sorted(g.classes))
    return head + text, g.classes


# ---- running ------------------------------------------------------------------

# exit 1 with one of these is a documented limitation, not a failure: the
# problem is counted as refused and skipped
LIMITS = [r"only vectors and scalars may lie between", r"not supported yet"]

# with --avoid known, a failure whose reason matches one of these is a known
# finding, not fixed yet (tests/smith-regressions/pending/): listed apart
# the classes that still fail today (none): --avoid known leaves these out.
# The classes fixed since (cnames, latex, front, hess, splitpostfix, uninit,
# latexempty, checktol, stored, seqdiff, and the notations sqrt, deltaname,
# seqorder, normsub, supn, pi) are generated, so that a regression in any of
# them fails the run.
OPEN = set()

# failures recognised by their message, for classes that are not a kind of
# input (none open today)
SIGNATURES = {
}

MEM = 500 << 20
TIMEOUT = 2.0


class Result:
    def __init__(self, rc, out, err, secs, rss_kb, timed_out):
        self.rc, self.out, self.err = rc, out, err
        self.secs, self.rss_kb, self.timed_out = secs, rss_kb, timed_out


# CPU and wall seconds of the children by phase (--profile): phase -> [cpu, wall, runs]
PROF = {}


class _Late(Exception):
    pass


def _late(signum, frame):
    raise _Late()


_FILES = []


def run4(argv, limit_mem=False, timeout=TIMEOUT, cwd=None, phase=None):
    """Like run, with the child's own max RSS from os.wait4 (output to files).

    The parent blocks in wait4 under an interval timer (no polling: a busy
    parent would steal the CPU the children are measured on), and reuses its
    two output files."""
    t0 = time.time()
    if not _FILES or _FILES[0] != os.getpid():
        # opened and unlinked at once: nothing left behind, whatever ends the process
        _FILES[:] = [os.getpid()]
        for what in ("out", "err"):
            f = open("/tmp/.smith_%s_%d" % (what, os.getpid()), "w+b")
            os.unlink(f.name)
            _FILES.append(f)
    outf, errf = _FILES[1], _FILES[2]
    for f in (outf, errf):
        f.seek(0)
        f.truncate()
    pid = proc = None
    if not limit_mem:
        # subprocess's child (vfork where it can) is cheaper than forking Python
        try:
            proc = subprocess.Popen(argv, stdout=outf, stderr=errf, cwd=cwd,
                                    start_new_session=True, close_fds=False)
            pid = proc.pid
        except OSError:
            pid = None
    if pid is None:
        pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.dup2(outf.fileno(), 1)
            os.dup2(errf.fileno(), 2)
            if cwd:
                os.chdir(cwd)
            if limit_mem:
                resource.setrlimit(resource.RLIMIT_AS, (MEM, MEM))
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    timed_out = False
    old = signal.signal(signal.SIGALRM, _late)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        wpid, status, ru = os.wait4(pid, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
    except _Late:
        timed_out = True
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wpid, status, ru = os.wait4(pid, 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    rc = os.waitstatus_to_exitcode(status)
    if proc:
        proc.returncode = rc      # reaped here: subprocess must not wait for it again
    outf.seek(0)
    errf.seek(0)
    out, err = outf.read(), errf.read()
    res = Result(rc, out, err, time.time() - t0, ru.ru_maxrss, timed_out)
    res.cpu = ru.ru_utime + ru.ru_stime
    p = PROF.setdefault(phase or os.path.basename(argv[0]), [0.0, 0.0, 0])
    p[0] += res.cpu
    p[1] += res.secs
    p[2] += 1
    return res


def header_fields(h, struct):
    m = re.search(r"typedef struct \{\n([^}]*?)\n\} (\w+)_%s;" % struct, h)
    if not m:
        return None, None
    fields = re.findall(r"^\s+(?:const )?(?:double|long) \*?(\w+);", m.group(1), re.M)
    return fields, m.group(2)


def parse_eval(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+) = (.*)$", line)
        if not m:
            continue
        v = m.group(2).replace("nan", "NaN").replace("-inf", "-Infinity").replace("inf", "Infinity")
        try:
            out[m.group(1)] = flatten(json.loads(v))
        except ValueError:
            out[m.group(1)] = None
    return out


def problem_meta(text):
    dims, vals, classes = {}, [], set()
    for line in text.splitlines():
        if line.startswith("# smith-dims:"):
            for kv in line.split(":", 1)[1].split():
                k, v = kv.split("=")
                dims[k] = int(v)
        elif line.startswith("# smith-eval:"):
            for kv in line.split(":", 1)[1].strip().split("; "):
                k, v = kv.split("=", 1)
                vals.append((k.strip(), v))
        elif line.startswith("# smith-classes:"):
            classes = set(line.split(":", 1)[1].split())
    return dims, vals, classes


def result_keys(text):
    """The results the C returns, in order, and their --eval names (from the requests)."""
    outs, reqs, ders = [], [], []
    for line in text.splitlines():
        w = line.split()
        if not w:
            continue
        if w[0] == "output":
            for n in line[len("output"):].split(","):
                if plain(n.strip()) not in reqs:
                    reqs.append(plain(n.strip()))
        elif w[0] in ("grad", "jacobian", "hessian") and "wrt" in w:
            f = plain(w[1])
            if f not in reqs:
                reqs.append(f)
            for z in line.split(" wrt ", 1)[1].split(","):
                z = plain(z.strip())
                ders.append("d2%s_d%s2" % (f, z) if w[0] == "hessian" else "d%s_d%s" % (f, z))
    return reqs + ders


def driver_c(prefix, h, dims, vals, keys):
    dfields, _ = header_fields(h, "dims")
    ifields, _ = header_fields(h, "in")
    ofields, _ = header_fields(h, "out")
    if dfields is None or ifields is None or ofields is None:
        return None, "cannot parse the header's structs"
    if len(ifields) != len(vals):
        return None, "header has %d inputs, the problem %d" % (len(ifields), len(vals))
    if len(ofields) != len(keys):
        return None, "header has %d results, expected %d (%s)" % (len(ofields), len(keys), keys)
    dv = []
    byplain = dict((plain(k), v) for k, v in dims.items())
    for f in dfields:
        base = f
        while base not in byplain and base.endswith("_"):
            base = base[:-1]
        dv.append(str(byplain.get(base, 1)))
    lines = ['#include "gen.h"', "#include <stdio.h>", "#include <stdlib.h>", ""]
    lines.append("int main(void)\n{")
    for i, (n, v) in enumerate(vals):
        xs = flatten(json.loads(v))
        lines.append("    static const double in%d[] = {%s};" % (i, ", ".join(repr(x) for x in xs)))
    lines.append("    %s_dims d = {%s};" % (prefix, ", ".join(dv) if dv else "0"))
    lines.append("    %s_in in = {%s};" % (prefix, ", ".join("in%d" % i for i in range(len(vals)))))
    lines.append("    static double res[%d][4096];" % max(1, len(keys)))
    lines.append("    %s_out o = {%s};" % (prefix, ", ".join("res[%d]" % i for i in range(len(keys)))))
    lines.append("    int rc, i, k;")
    lines.append("    void *w;")
    lines.append("    for (k = 0; k < %d; k++)\n        for (i = 0; i < 4096; i++)\n"
                 "            res[k][i] = 123456789.0;" % max(1, len(keys)))
    lines.append("    w = malloc(%s_work_size(&d) + 1);" % prefix)
    lines.append("    if (!w)\n        return 2;")
    lines.append("    rc = %s_eval(&d, &in, &o, w);" % prefix)
    lines.append('    printf("rc %d\\n", rc);')
    lines.append("    for (k = 0; k < %d; k++) {" % len(keys))
    lines.append("        for (i = 0; i < 4096 && res[k][i] != 123456789.0; i++)")
    lines.append('            printf("%.17g ", res[k][i]);')
    lines.append('        printf("\\n");\n    }')
    lines.append("    free(w);\n    return 0;\n}")
    return "\n".join(lines) + "\n", None


class Runner:
    def __init__(self, args):
        self.args = args
        self.plain = os.path.abspath(args.symgrad)
        self.asan = os.path.abspath(args.asan) if args.asan and os.path.exists(args.asan) else None
        if self.asan == self.plain:
            self.asan = None      # one build: it runs every mode under the limits
        self.pdflatex = shutil.which("pdflatex") if not args.no_latex else None
        self.clang = shutil.which("clang")
        self.gpp = shutil.which("g++")
        self.count = {"problems": 0, "runs": 0, "compiles": 0, "checks": 0, "compared": 0,
                      "values": 0, "pdflatex": 0, "refused": 0, "unbatched": 0}
        self.fast = args.fast
        self.fails = []
        self.max_rss = 0
        self.max_secs = 0.0

    def sg(self, args, wd, bound=True):
        """symgrad with args: the plain build under the limits, then ASan. A failure string or None.

        With --fast a mode that is not bound runs the ASan build only (its
        outputs are the ones compiled): a crash, a sanitizer report or an
        unclean exit is a failure as with both builds, the ASan build's own
        timeout stands for the time bound."""
        if self.fast and self.asan and not bound:
            self.count["runs"] += 1
            a = run4([self.asan] + args, timeout=20, cwd=wd, phase="symgrad asan")
            err = a.err.decode(errors="replace")
            if a.timed_out:
                return a, "timeout under ASan (> 20s)"
            if b"runtime error" in a.err or b"Sanitizer" in a.err:
                return a, "ASan/UBSan (status %d): %s" % (a.rc, err[-600:])
            if a.rc < 0 or a.rc > 4:
                return a, "crashed (status %d): %s" % (a.rc, err[-300:])
            if a.rc != 0:
                return a, "exit %d: %s" % (a.rc, err.strip()[:600])
            return a, None
        self.count["runs"] += 1
        r = run4([self.plain] + args, limit_mem=True, cwd=wd, phase="symgrad plain")
        self.max_rss = max(self.max_rss, r.rss_kb)
        self.max_secs = max(self.max_secs, r.secs)
        if r.timed_out:
            return r, "timeout (> %gs)" % TIMEOUT
        if r.rss_kb > MEM // 1024:
            return r, "max RSS %d MB" % (r.rss_kb // 1024)
        if r.rc < 0 or r.rc > 4:
            return r, "crashed (status %d): %s" % (r.rc, r.err.decode(errors="replace")[-300:])
        if r.rc != 0:
            return r, "exit %d: %s" % (r.rc, r.err.decode(errors="replace").strip()[:600])
        if self.asan:
            # the files written too: the same problem must give the same bytes every run
            files = [args[i + 1] for i, x in enumerate(args[:-1]) if x in ("-o", "-H")]
            first = [open(os.path.join(wd, f), "rb").read() for f in files]
            self.count["runs"] += 1
            a = run4([self.asan] + args, timeout=20, cwd=wd, phase="symgrad asan")
            if a.rc != 0 or b"runtime error" in a.err or b"Sanitizer" in a.err:
                return a, "ASan/UBSan (status %d): %s" % (a.rc, a.err.decode(errors="replace")[-600:])
            if a.out != r.out:
                return a, "ASan build prints differently from the plain build"
            for f, b in zip(files, first):
                if open(os.path.join(wd, f), "rb").read() != b:
                    return a, "the ASan build writes a different %s from the plain build's" % f
        return r, None

    def cc(self, argv, wd, what):
        self.count["compiles"] += 1
        r = run4(argv, timeout=60, cwd=wd, phase="cc " + what)
        if r.rc != 0:
            return "%s: %s" % (what, r.err.decode(errors="replace")[:1500])
        return None

    def later(self, batch, wd, kind, incs, compile_, exe, run, fail):
        """Compiles a program and runs it: now, or (batch) with the batch's other programs."""
        if batch is None:
            why = compile_()
            if why:
                fail(why)
            else:
                run([exe])
        else:
            batch.add(wd, kind, incs, compile_, exe, run, fail)

    def one(self, path, sample, batch=None):
        """Every mode on one problem file; a list of (mode, reason).

        With a batch the C programs are only queued (the list is completed
        when the batch is built and run)."""
        fails = []
        self.count["problems"] += 1
        text = open(path, encoding="utf-8").read()
        wd = path + ".d"
        os.makedirs(wd, exist_ok=True)
        f = os.path.abspath(path)
        dims, vals, _ = problem_meta(text)
        # --fast: the C at -O0 (the oracle is about values), -O1 on the sample,
        # where gcc's -Wmaybe-uninitialized needs the optimiser
        cflags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                  "-O0" if self.fast and not sample else "-O1"]

        r, why = self.sg([f, "-o", "one.c"], wd, bound=sample)
        # the whole message, not the reason cut at 600 characters: a long path
        # and long names push the phrase past the cut (CI's /check/work/...)
        if why and r.rc == 1 and any(re.search(p, r.err.decode(errors="replace")) for p in LIMITS):
            self.count["refused"] += 1
            return []
        if why:
            return [("C", why)]
        if sample:
            why = self.cc(["gcc"] + cflags + ["-fsyntax-only", "one.c"], wd, "gcc one.c")
            if why:
                fails.append(("C", why))
        r, why = self.sg([f, "-o", "gen.c", "-H", "gen.h"], wd, bound=sample)
        if why:
            fails.append(("-H", why))
        if sample:
            r, why = self.sg([f, "-t", "float", "-o", "float.c"], wd)
            if why:
                fails.append(("-t float", why))
            else:
                why = self.cc(["gcc"] + cflags + ["-fsyntax-only", "float.c"], wd, "gcc float.c")
                if why:
                    fails.append(("-t float", why))
        for mode in (["--formulas"], ["--formulas", "--ascii"], ["--steps"], ["--steps", "--ascii"]):
            r, why = self.sg([f] + mode, wd, bound=sample)
            if why:
                fails.append((" ".join(mode), why))
        r, why = self.sg([f, "--latex", "-o", "doc.tex"], wd)
        if why:
            fails.append(("--latex", why))
        elif sample and self.pdflatex:
            self.count["pdflatex"] += 1
            p = run4([self.pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                     timeout=60, cwd=wd)
            if p.rc != 0:
                log = p.out.decode(errors="replace")
                i = log.find("\n!")
                fails.append(("pdflatex", log[i:i + 400] if i >= 0 else log[-400:]))
        # --check: the generated C differentiates itself by finite differences
        r, why = self.sg([f, "--check", "-o", "check.c"], wd)
        if why:
            fails.append(("--check", why))
        else:
            def check_run(cmd):
                self.count["checks"] += 1
                c = run4(cmd, timeout=10, cwd=wd, phase="check")
                if c.rc != 0:
                    fails.append(("--check", "the check program exits %d: %s" %
                                  (c.rc, c.out.decode(errors="replace")[-600:])))
            self.later(batch, wd, "c", [["check.c"]],
                       lambda: self.cc(["gcc"] + cflags + ["check.c", "-o", "check", "-lm"], wd,
                                       "gcc check.c"),
                       "./check", check_run, lambda why: fails.append(("--check", why)))
        # --eval against the C, at the same inputs
        if vals:
            declared = set()
            for line in text.splitlines():
                if line.startswith("dim "):
                    declared |= set(x.strip() for x in line[4:].split(","))
            ev = "; ".join(["%s=%d" % kv for kv in dims.items() if kv[0] in declared] +
                           ["%s=%s" % kv for kv in vals])
            r, why = self.sg([f, "--eval", ev], wd)
            if why:
                fails.append(("--eval", why))
            elif os.path.exists(os.path.join(wd, "gen.h")):
                fails += self.compare(wd, text, dims, vals, r.out.decode(errors="replace"),
                                      cflags, sample, batch, fails)
        return fails

    def compare(self, wd, text, dims, vals, evout, cflags, sample, batch=None, sink=None):
        h = open(os.path.join(wd, "gen.h"), encoding="utf-8").read()
        keys = result_keys(text)
        prefix = header_fields(h, "dims")[1]
        src, why = driver_c(prefix, h, dims, vals, keys)
        if why:
            return [("driver", why)]
        with open(os.path.join(wd, "driver.c"), "w") as fp:
            fp.write(src)
        fails = []
        want = parse_eval(evout)

        def drv_compile():
            return self.cc(["gcc"] + cflags[:-1] + ["-O0", "gen.c", "driver.c", "-o", "drv", "-lm"],
                           wd, "gcc gen.c driver.c")
        if batch is not None:
            # what follows is for the sample, which is not batched
            # two files, as a user would: the driver sees the header only
            batch.add(wd, "d", [["gen.c"], ["driver.c"]], drv_compile, "./drv",
                      lambda cmd: sink.extend(self.run_driver(wd, prefix, keys, want,
                                                              "differential", cmd)),
                      lambda why: sink.append(("-H", why)))
            return []
        why = drv_compile()
        if why:
            return [("-H", why)]
        if sample:
            if self.clang:
                why = self.cc(["clang"] + cflags + ["-fsyntax-only", "gen.c"], wd, "clang")
                if why:
                    fails.append(("clang", why))
            if self.gpp:
                why = self.cc(["g++", "-x", "c++", "-Wall", "-Wextra", "-Werror", "-pedantic",
                               "-fsyntax-only", "gen.c"], wd, "g++")
                if why:
                    fails.append(("g++", why))
        fails += self.run_driver(wd, prefix, keys, want, "differential")
        if sample and dims and not fails:
            # the same with every dimension fixed at generation (--dim): constants in the C
            fixed = os.path.join(wd, "fixed")
            os.makedirs(fixed, exist_ok=True)
            dfields = header_fields(h, "dims")[0] or []
            opts = []
            for k, v in dims.items():
                if plain(k) in [f.rstrip("_") for f in dfields]:
                    opts += ["--dim", "%s=%d" % (k, v)]
            r, why = self.sg([os.path.abspath(os.path.join(wd, "..", os.path.basename(wd)[:-2]))]
                             + opts + ["-o", "gen.c", "-H", "gen.h"], fixed)
            if why:
                return fails + [("--dim", why)]
            shutil.copy(os.path.join(wd, "driver.c"), fixed)
            why = self.cc(["gcc"] + cflags + ["gen.c", "driver.c", "-o", "drv", "-lm"], fixed,
                          "gcc gen.c driver.c (--dim)")
            if why:
                return fails + [("--dim", why)]
            fails += self.run_driver(fixed, prefix, keys, want, "differential --dim")
        return fails

    def run_driver(self, wd, prefix, keys, want, mode, cmd=("./drv",)):
        fails = []
        d = run4(list(cmd), timeout=10, cwd=wd, phase="drv")
        if d.rc != 0:
            return [(mode, "the driver exits %d: %s" % (d.rc, d.err[-300:]))]
        lines = d.out.decode().splitlines()
        if lines[0] != "rc 0":
            return [(mode, "%s_eval returned %s at the --eval inputs" % (prefix, lines[0]))]
        for key, line in zip(keys, lines[1:]):
            got = [float(x) for x in line.split()]
            w = want.get(key)
            if w is None:
                fails.append(("--eval", "prints no %s" % key))
                continue
            self.count["compared"] += 1
            if len(w) != len(got):
                fails.append((mode, "%s: %d values in C, %d from --eval" % (key, len(got), len(w))))
                continue
            # the scale of the finite values: an infinity must be matched
            # exactly (inf − inf is NaN, and a scale of inf would admit anything)
            scale = max([abs(x) for x in w + got if abs(x) < float("inf")] + [1e-300])
            for i, (a, b) in enumerate(zip(w, got)):
                self.count["values"] += 1
                if a == b or (a != a and b != b):
                    continue
                if not (abs(a - b) <= 1e-7 * scale + 1e-11):
                    fails.append((mode, "%s[%d]: --eval %r, C %r (scale %.3g)" %
                                  (key, i, a, b, scale)))
                    break
        return fails


class Batch:
    """The C programs of many problems compiled by one gcc and linked into one program (--fast).

    Each file of a program becomes a file that #includes it with main renamed
    smith_<name>; objcopy then makes every other symbol of its object local
    (two problems may share a prefix, and a kernel need not be static), and
    one main dispatches on argv[1]. The sources are the ones the per-problem
    path compiles, with the same warnings as errors; if the batch does not
    build, every program is compiled and run on its own, which names the
    culprit."""

    def __init__(self, runner, where):
        self.runner = runner
        self.dir = where
        self.jobs = []

    def add(self, wd, kind, incs, compile_, exe, run, fail):
        name = "%s%d" % (kind, len(self.jobs))
        self.jobs.append((name, wd, incs, compile_, exe, run, fail))

    def build(self):
        """The program's path, or None when the batch does not build."""
        d = self.dir
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        imm, other = [], ["smith_main.c"]
        for name, wd, units, _, _, _, _ in self.jobs:
            for k, unit in enumerate(units):
                src = "%s_%d.c" % (name, k)
                text = ""
                with open(os.path.join(d, src), "w", encoding="utf-8") as fp:
                    fp.write("#define main smith_%s\n" % name)
                    for f in unit:
                        fp.write('#include "%s"\n' % os.path.abspath(os.path.join(wd, f)))
                        text += open(os.path.join(wd, f), encoding="utf-8").read()
                # <immintrin.h> (the streaming stores, included before any of
                # the C's own code) is 1.4 MB to parse: precompiled once per worker
                (imm if "#include <immintrin.h>" in text else other).append(src)
        lines = ["#include <string.h>"]
        lines += ["int smith_%s(void);" % j[0] for j in self.jobs]
        lines.append("int main(int argc, char **argv)\n{")
        lines += ['    if (argc == 2 && !strcmp(argv[1], "%s"))\n        return smith_%s();' % (j[0], j[0])
                  for j in self.jobs]
        lines.append("    return 99;\n}\n")
        with open(os.path.join(d, "smith_main.c"), "w") as fp:
            fp.write("\n".join(lines))
        cflags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O0"]
        r = self.runner
        if r.cc(["gcc", "-pipe"] + cflags + ["-c"] + other, d, "gcc -c (batch)"):
            return None
        if imm:
            pch = self.pch(cflags)
            if r.cc(["gcc", "-pipe"] + cflags + (["-include", pch, "-Winvalid-pch"] if pch else []) +
                    ["-c"] + imm, d, "gcc -c (batch, immintrin)"):
                return None
        for name, _, units, _, _, _, _ in self.jobs:
            objs = ["%s_%d.o" % (name, k) for k in range(len(units))]
            # a program of several files (the -H C and its driver) is linked
            # by itself first, so that only its renamed main stays global
            if len(objs) > 1:
                if r.cc(["ld", "-r", "-o", name + ".o"] + objs, d, "ld -r (batch)"):
                    return None
            else:
                os.rename(os.path.join(d, objs[0]), os.path.join(d, name + ".o"))
            if r.cc(["objcopy", "-G", "smith_" + name, name + ".o"], d, "objcopy (batch)"):
                return None
        if r.cc(["gcc", "-o", "prog"] + [j[0] + ".o" for j in self.jobs] + ["smith_main.o", "-lm"], d,
                "gcc link (batch)"):
            return None
        return os.path.join(d, "prog")

    def pch(self, cflags):
        """<immintrin.h> precompiled with cflags (None if that fails)."""
        if "pch" not in _W:
            d = os.path.join(self.runner.args.out, "work", "pch%d" % os.getpid())
            os.makedirs(d, exist_ok=True)
            h = os.path.join(d, "smith_imm.h")
            with open(h, "w") as fp:
                fp.write("#include <immintrin.h>\n#include <stdint.h>\n")
            bad = self.runner.cc(["gcc"] + cflags + ["-x", "c-header", h, "-o", h + ".gch"], d,
                                 "gcc (precompiled header)")
            _W["pch"] = None if bad else h
        return _W["pch"]

    def run(self):
        prog = self.build() if self.jobs else None
        if prog is None:
            self.runner.count["unbatched"] += len(self.jobs)
        for name, wd, incs, compile_, exe, run, fail in self.jobs:
            if prog:
                run([prog, name])
            else:
                why = compile_()
                if why:
                    fail(why)
                else:
                    run([exe])
        if not self.runner.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.jobs = []


def reduce_file(runner, path, fails):
    """Drops lines (not the smith comments or the prefix) while the same modes still fail."""
    modes = set(m for m, _ in fails)
    lines = open(path, encoding="utf-8").read().split("\n")
    i = len(lines) - 1
    while i >= 0:
        if lines[i].startswith("# smith") or not lines[i].strip():
            i -= 1
            continue
        trial = lines[:i] + lines[i + 1:]
        tp = path + ".try.sg"
        with open(tp, "w", encoding="utf-8") as fp:
            fp.write("\n".join(trial))
        got = runner.one(tp, False)
        if got and set(m for m, _ in got) & modes and not any("exit 1" in w for _, w in got):
            lines = trial
        i -= 1
    with open(path + ".min.sg", "w", encoding="utf-8") as fp:
        fp.write("\n".join(lines))
    return path + ".min.sg"


_W = {}


def _init(args):
    _W["runner"] = Runner(args)
    _W["args"] = args


def _chunk(items):
    """Worker: a few problems (seeds, or files to replay); what the parent prints and counts.

    With --fast the C programs of the chunk's problems off the sample are
    built together (Batch), after every problem's symgrad runs."""
    args, runner = _W["args"], _W["runner"]
    avoid = args.avoid == "known"
    force = set(x for x in args.force.split(",") if x)
    work = os.path.join(args.out, "work")
    before = dict(runner.count)
    prof0 = dict((k, list(v)) for k, v in PROF.items())
    tm0 = os.times()
    batch = Batch(runner, os.path.join(work, "batch%d_%d" % (os.getpid(), items[0][0]))) \
        if args.fast else None
    started = []
    for k, what in items:
        if args.seconds and time.time() > args.deadline:
            break             # queued before the time was up
        if isinstance(what, str):
            text = open(what, encoding="utf-8").read()
            path = os.path.join(work, os.path.basename(what))
            classes = problem_meta(text)[2]
        else:
            text, classes = make_problem(what, avoid, force)
            path = os.path.join(work, "p%d.sg" % what)
        with open(path, "w", encoding="utf-8") as fp:
            fp.write(text)
        sample = isinstance(what, str) or k % max(1, args.sample) == 0
        started.append((path, classes, runner.one(path, sample, None if sample else batch)))
    if batch:
        batch.run()
    out, nfail, failed_classes, known_classes = [], 0, [], []
    for path, classes, fails in started:
        if avoid:
            known = [(m, w, c) for m, w in fails for c, sig in SIGNATURES.items() if re.search(sig, w)]
            for m, w, c in known:
                out.append("KNOWN %s [%s] %s" % (path, m, c))
            known_classes += sorted(set(c for m, w, c in known))
            fails = [(m, w) for m, w in fails
                     if not any(re.search(sig, w) for sig in SIGNATURES.values())]
            if known and not args.keep:
                keep = os.path.join(args.out, "fail", os.path.basename(path))
                shutil.copy(path, keep)
        keep = None
        if fails:
            nfail += 1
            failed_classes += sorted(classes)
            keep = os.path.join(args.out, "fail", os.path.basename(path))
            shutil.copy(path, keep)
            for mode, why in fails:
                out.append("FAIL %s [%s] %s%s" % (keep, mode, why.strip().replace("\n", "\n    "),
                                                  "  (known: %s)" % ",".join(sorted(classes))
                                                  if classes else ""))
            if args.reduce:
                out.append("  reduced: " + reduce_file(runner, keep, fails))
        if not args.keep:
            shutil.rmtree(path + ".d", ignore_errors=True)
            if not fails:
                os.remove(path)
    delta = dict((c, runner.count[c] - before.get(c, 0)) for c in runner.count)
    tm1 = os.times()
    prof = dict((k, [v[i] - prof0.get(k, [0, 0, 0])[i] for i in range(3)]) for k, v in PROF.items())
    prof["python (self)"] = [tm1.user + tm1.system - tm0.user - tm0.system, 0.0, len(items)]
    delta["prof"] = prof
    return out, nfail, failed_classes, delta, runner.max_rss, runner.max_secs, known_classes


# --self-test: symgrad broken on purpose, each way caught by the --fast batch.
# The wrapper runs the real binary (argv[1]) and spoils one thing.
BREAK_WRAPPER = r"""import os, re, subprocess, sys
real, how, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if how == "abort" and "--ascii" in args:
    os.kill(os.getpid(), 6)
r = subprocess.run([real] + args, stdout=subprocess.PIPE)
out = r.stdout
if how == "eval" and "--eval" in args:
    out = re.sub(rb"[1-8]", b"9", out, count=1)
sys.stdout.buffer.write(out)
sys.stdout.flush()
def spoil(name, pat, rep):
    text = open(name).read()
    open(name, "w").write(re.sub(pat, rep, text, flags=re.M))
if r.returncode == 0 and how == "genc" and "-H" in args:
    spoil("gen.c", r"^( *\*?out->\w+(\[\w+\])?) = (.*);$", r"\1 = (\3) + 0.5;")
if r.returncode == 0 and how == "header" and "-H" in args:
    spoil("gen.h", r"^int \w+_eval\(.*\);$", "")
if r.returncode == 0 and how == "warn" and "-H" in args:
    spoil("gen.c", r"^\{$", "{ int smith_unused;")
if r.returncode == 0 and how == "check" and "--check" in args:
    spoil("check.c", r"^( *\*?out->d\w+(\[\w+\])?) = (.*);$", r"\1 = (\3) + 0.5;")
sys.exit(r.returncode)
"""

# what each way must be caught as (the mode printed), on a problem off the sample
BREAKS = {"eval": "differential", "abort": "--formulas --ascii", "genc": "differential",
          "warn": "-H", "check": "--check",
           "header": "-H"}


def self_test(args):
    """The --fast batch on a few problems with a broken symgrad: each breakage must fail."""
    base = os.path.join(args.out, "selftest")
    os.makedirs(base, exist_ok=True)
    wrapper = os.path.join(base, "break.py")
    with open(wrapper, "w") as fp:
        fp.write(BREAK_WRAPPER)
    bad = 0
    for how, mode in sorted(BREAKS.items()):
        exes = []
        for which, real in (("plain", args.symgrad), ("asan", args.asan)):
            exe = os.path.join(base, "%s-%s" % (how, which))
            with open(exe, "w") as fp:
                fp.write('#!/bin/sh\nexec "%s" "%s" "%s" %s "$@"\n' %
                         (sys.executable, wrapper, os.path.abspath(real), how))
            os.chmod(exe, 0o755)
            exes.append(exe)
        n, seed = 3, 2     # fixed: problems 3 and 4 show every breakage
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--symgrad", exes[0],
                            "--asan", exes[1], "-n", str(n), "--seed", str(seed), "--fast",
                            "--chunk", str(n), "--sample", str(n), "--avoid", "known",
                            "--out", os.path.join(base, how)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.decode(errors="replace")
        # the first problem is the sample (full path); the others go through the batch
        batched = [line for line in out.splitlines() if line.startswith("FAIL")
                   and "[%s]" % mode in line and not line.split()[1].endswith("/p%d.sg" % seed)]
        ok = p.returncode == 1 and batched
        bad += not ok
        print("smith --self-test: symgrad broken (%s): %s" %
              (how, "caught, %d failures off the sample" % len(batched) if ok else
               "NOT caught (exit %d)\n%s" % (p.returncode, out[-2000:])))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=100, help="problems to generate")
    ap.add_argument("--seed", type=int, default=1, help="the first problem's seed")
    ap.add_argument("--avoid", default="", help="'known': skip the known classes")
    ap.add_argument("--force", default="", help="classes to produce on purpose (comma-separated)")
    ap.add_argument("--symgrad", default=os.path.join(ROOT, "build", "symgrad"))
    ap.add_argument("--asan", default=os.path.join(ROOT, "build", "asan", "symgrad"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "smith"))
    ap.add_argument("--sample", type=int, default=10, help="pdflatex, clang, g++ on 1 problem in N")
    ap.add_argument("--no-latex", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=0, help="run for this long instead of -n")
    ap.add_argument("--replay", nargs="*", help="problem files to run instead of generating")
    ap.add_argument("--print", action="store_true", help="print problem --seed and stop")
    ap.add_argument("--reduce", action="store_true", help="reduce each failure by dropping lines")
    ap.add_argument("--fast", action="store_true",
                    help="make test's batch: ASan only on -o/-H/--formulas, -O0 off the sample, "
                         "the C of many problems compiled and linked together")
    ap.add_argument("--chunk", type=int, default=10,
                    help="--fast: problems whose C is built into one program")
    ap.add_argument("--self-test", action="store_true",
                    help="check that the --fast batch catches a symgrad broken on purpose")
    ap.add_argument("--profile", action="store_true", help="print CPU time per phase")
    ap.add_argument("--keep", action="store_true", help="keep the work files of passing problems")
    args = ap.parse_args()
    if args.print:
        avoid = args.avoid == "known"
        force = set(x for x in args.force.split(",") if x)
        sys.stdout.write(make_problem(args.seed, avoid, force)[0])
        return 0
    if not os.path.exists(args.symgrad):
        print("smith: no %s (make it first)" % args.symgrad)
        return 2
    if args.self_test:
        args.out = os.path.abspath(args.out)
        return self_test(args)
    args.out = os.path.abspath(args.out)    # the batch's program runs in each problem's directory
    os.makedirs(os.path.join(args.out, "fail"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "work"), exist_ok=True)
    t0 = time.time()

    def problems():
        if args.replay is not None:
            for k, p in enumerate(args.replay):
                yield (k, p)
            return
        k = 0
        while (time.time() - t0 < args.seconds) if args.seconds else k < args.n:
            yield (k, args.seed + k)
            k += 1

    def items():
        chunk = []
        for it in problems():
            chunk.append(it)
            if len(chunk) >= (args.chunk if args.fast else 1):
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    args.deadline = t0 + args.seconds
    count = dict((c, 0) for c in Runner(args).count)
    nfail, max_rss, max_secs, classes_hit = 0, 0, 0.0, {}
    if args.jobs > 1:
        import multiprocessing
        import threading
        # the pool reads items() ahead of the workers: a few chunks only, or
        # --seconds would queue every problem it can name before the time is up
        ahead = threading.Semaphore(2 * args.jobs)

        def fed():
            for chunk in items():
                ahead.acquire()
                yield chunk
        pool = multiprocessing.Pool(args.jobs, _init, (args,))
        results = pool.imap(_chunk, fed())
    else:
        _init(args)
        pool = None
        results = map(_chunk, items())
    known_hit = {}
    prof = {}
    for out, failed, classes, delta, rss, secs, known in results:
        if pool:
            ahead.release()
        for c in known:
            known_hit[c] = known_hit.get(c, 0) + 1
        for line in out:
            print(line)
        sys.stdout.flush()
        nfail += failed
        for ph, v in delta.pop("prof").items():
            t = prof.setdefault(ph, [0.0, 0.0, 0])
            for i in range(3):
                t[i] += v[i]
        for c in delta:
            count[c] += delta[c]
        max_rss, max_secs = max(max_rss, rss), max(max_secs, secs)
        for c in classes:
            classes_hit[c] = classes_hit.get(c, 0) + 1
    if pool:
        pool.close()
        pool.join()
    if not args.keep:
        for d in os.listdir(os.path.join(args.out, "work")):
            if d.startswith("pch"):
                shutil.rmtree(os.path.join(args.out, "work", d), ignore_errors=True)
    secs = time.time() - t0
    c = count
    print("smith: %d problems in %.1f s (%.2f/s), %d failed; %d symgrad runs, %d compiles, "
          "%d --check programs, %d results (%d values) compared with --eval, %d pdflatex; "
          "%d refused as a documented limitation; max RSS %d MB, slowest symgrad run %.2f s" %
          (c["problems"], secs, c["problems"] / secs if secs else 0, nfail, c["runs"], c["compiles"],
           c["checks"], c["compared"], c["values"], c["pdflatex"], c["refused"], max_rss // 1024,
           max_secs))
    if args.profile and c["problems"]:
        n = c["problems"]
        print("smith: CPU (and wall) per problem by phase, ms:")
        for ph, (cpu, wall, runs) in sorted(prof.items(), key=lambda kv: -kv[1][0]):
            print("  %-28s %7.1f cpu %7.1f wall  (%d runs)" % (ph, 1000 * cpu / n, 1000 * wall / n, runs))
        print("  %-28s %7.1f cpu" % ("total", 1000 * sum(v[0] for v in prof.values()) / n))
    if c["unbatched"]:
        print("smith: %d programs compiled on their own (their batch did not build)" % c["unbatched"])
    if known_hit:
        print("smith: known findings (not failures with --avoid known): " +
              ", ".join("%s %d" % kv for kv in sorted(known_hit.items())))
    if classes_hit:
        print("smith: failed problems by class: " +
              ", ".join("%s %d" % kv for kv in sorted(classes_hit.items())))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
