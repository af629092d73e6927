#!/usr/bin/env python3
"""cgen.py: a driver for any generated C, written from its header, and the
comparison of what it prints with symgrad --eval (tests/gencode/cgen.sh).

  cgen.py driver FILE.sg DECLS DIMS [float]   writes driver.c and eval.txt
  cgen.py compare FILE.sg DECLS OUT EVAL MASK RTOL   exit 0 when OUT agrees with EVAL

DECLS is the header (or, without one, the .c that holds the declarations);
DIMS the run-time dimensions by their source names ("T=5 n=3"). The driver
knows each input, result and dimension from the three structs of the header
and their comments (shapes, steps of a sequence, a dimension fixed with
--dim: "must be 3"); a result ∂L/∂x[t] holds every step of x, and --eval
prints it step by step (dL_dx[1] = …); it was written in C by test_cgen.c for the problems
it built, and is now written from what a user sees.

The inputs are drawn here, not in C, so that the same numbers go into the
driver (exactly, as %.17g; rounded to float first with -t float) and into
--eval. How each is drawn comes from a comment in the problem,
"# gencode-fill: y=POS S=SPD" (RAND by default: uniform in [-1, 1]; POS in
[0.5, 1.5]; PROB in [0.1, 0.9]; ONEHOT the second unit vector; SPD AAᵀ/n + I;
NEGDEF its negative; SYM (A + Aᵀ)/2; SIMPLEX positive, summing to 1).
--eval takes its values on the command line, which holds 128 KiB in one
argument: past 6000 numbers the inputs are small integers instead (SPD then
(n + 9)I plus a symmetric matrix of -1, 0 and 1). A field renamed from its
source name (NULL_ for NULL) is found by dropping the suffix the renaming
rule adds, or is named by "# gencode-names: a_b=a__b".

The driver's argument says what to do, as test_cgen.c's did:
  MASK (e.g. "1011", one character per result; "" is none): the values alone
      first, then what MASK asks for, with exactly P_work_size bytes of work
      filled with 0xff; a value must be the same bit for bit both times;
      prints "R v0 v1 ..." for each result R asked for
  rcMASK: prints the code P_eval returns (everything without MASK)
  touchMASK: prints how many bytes of work the call for MASK wrote
  edims: the first fixed dimension off by one must give P_EDIMS
The comparison allows RTOL of each result's scale (its largest entry, at
least 1e-3) plus the rounding of --eval's 10 digits.
"""

import os
import random
import re
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from smith import flatten, parse_eval  # noqa: E402

LIMIT = 6000  # numbers past which --eval's argument would not fit


def structs(text):
    """{'dims': [...], 'in': [...], 'out': [...]} of (field, type, comment), and the prefix."""
    out, prefix = {}, None
    for m in re.finditer(r"typedef struct \{\n(.*?)\n\} (\w+)_(dims|in|out);", text, re.S):
        prefix = m.group(2)
        fields = []
        for line in m.group(1).split("\n"):
            f = re.match(r"\s+(?:const )?(double|float|long) \*?(\w+);\s*(?:/\* (.*) \*/)?", line)
            if f:
                fields.append((f.group(2), f.group(1), f.group(3) or ""))
        out[m.group(3)] = fields
    return out, prefix


def evaluate(expr, dims):
    """A dimension expression of a header comment: 'n', '3', 'T − 1', '(m*n)'."""
    expr = expr.replace("−", "-").strip()
    total, sign = 0, 1
    for tok in re.findall(r"[+-]|[^\s+-]+", expr):
        if tok in "+-":
            sign = 1 if tok == "+" else -1
            continue
        value = 1
        for part in tok.strip("()").split("*"):  # a product: the length of a matrix's vec
            if re.match(r"^\d+$", part):
                value *= int(part)
            elif part in dims:
                value *= dims[part]
            else:
                raise SystemExit("cgen.py: no value for the dimension %s (give it in DIMS)" % part)
        total += sign * value
    return total


def shape(text, dims):
    """(rows, cols, kind) of 'scalar', 'n' or 'm×n'."""
    text = text.strip()
    if text == "scalar":
        return 1, 1, "scalar"
    parts = text.split("×")
    if len(parts) == 1:
        return evaluate(parts[0], dims), 1, "vector"
    return evaluate(parts[0], dims), evaluate(parts[1], dims), "matrix"


def base_name(field, known):
    """The source name of a renamed field: NULL_ → NULL, M_PI_3 → M_PI_."""
    name = field
    while name not in known:
        m = re.match(r"^(.*?)_\d*$", name)
        if not m or not m.group(1):
            return field
        name = m.group(1)
    return name


def directive(text, key):
    out = {}
    for line in text.splitlines():
        if line.startswith("# gencode-%s:" % key):
            for kv in line.split(":", 1)[1].split():
                k, v = kv.split("=", 1)
                out[k] = v
    return out


def as_float(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def draw(kind, r, c, rng, small):
    """r×c numbers, row-major, drawn as kind says."""
    if small:
        if kind in ("SPD", "NEGDEF", "SYM"):
            a = [[rng.choice((-1, 0, 1)) for _ in range(c)] for _ in range(r)]
            s = [[a[i][j] + a[j][i] for j in range(c)] for i in range(r)]
            if kind != "SYM":
                s = [[s[i][j] + (c + 9 if i == j else 0) for j in range(c)] for i in range(r)]
            sign = -1 if kind == "NEGDEF" else 1
            return [sign * s[i][j] for i in range(r) for j in range(c)]
        if kind in ("POS", "PROB", "SIMPLEX", "ONEHOT"):
            raise SystemExit("cgen.py: %s is not drawn in small integers" % kind)
        return [rng.choice((-1, 0, 1)) for _ in range(r * c)]
    u = [rng.random() for _ in range(r * c)]
    if kind in ("SPD", "NEGDEF", "SYM"):
        a = [2 * x - 1 for x in u]
        v = []
        for i in range(r):
            for j in range(c):
                if kind == "SYM":
                    x = 0.5 * (a[i * c + j] + a[j * c + i])
                else:
                    x = (1.0 if i == j else 0.0) + sum(a[i * c + k] * a[j * c + k]
                                                       for k in range(c)) / c
                    x = -x if kind == "NEGDEF" else x
                v.append(x)
        return v
    if kind == "SIMPLEX":
        s = sum(x + 0.1 for x in u)
        return [(x + 0.1) / s for x in u]
    if kind == "POS":
        return [0.5 + x for x in u]
    if kind == "PROB":
        return [0.1 + 0.8 * x for x in u]
    if kind == "ONEHOT":
        return [1.0 if i == 1 % (r * c) else 0.0 for i in range(r * c)]
    if kind != "RAND":
        raise SystemExit("cgen.py: unknown fill %s" % kind)
    return [2 * x - 1 for x in u]


def num(x):
    return repr(float(x)) if x != int(x) else str(int(x))


def value_text(v, r, c, kind):
    if kind == "scalar":
        return num(v[0])
    if kind == "vector":
        return "[" + ",".join(num(x) for x in v) + "]"
    return "[" + ",".join("[" + ",".join(num(x) for x in v[i * c:(i + 1) * c]) + "]"
                          for i in range(r)) + "]"


def draw_inputs(st, dims, text, single):
    """The inputs' numbers, each a flat list in P_in's order, and --eval's text."""
    fills, names = directive(text, "fill"), directive(text, "names")
    rng = random.Random(20240229)
    inputs = []  # (eval name, rows, cols, kind, steps or None)
    for field, _, comment in st["in"]:
        m = re.search(r"\((.+?) (?:steps of (.+)|numbers)\)$", comment)
        steps = evaluate(m.group(1), dims) if m else None
        r, c, kind = shape(m.group(2) or "scalar" if m else comment, dims)
        inputs.append((names.get(field, field), r, c, kind, steps))
    small = sum(r * c * (s if s is not None else 1) for _, r, c, _, s in inputs) > LIMIT
    values, evals = [], ["%s=%d" % kv for kv in sorted(dims.items())]
    for name, r, c, kind, steps in inputs:
        vals, parts = [], []
        for _ in range(steps if steps is not None else 1):
            v = draw(fills.get(name, "RAND"), r, c, rng, small)
            v = [as_float(x) for x in v] if single else v
            vals += v
            parts.append(value_text(v, r, c, kind))
        values.append(vals)
        evals.append("%s=%s" % (name, "[" + ",".join(parts) + "]" if steps is not None else parts[0]))
    return values, "; ".join(evals)


def ask(results, cond, indent):
    """The lines that point each result of P_out at its array when cond(k) holds."""
    out = []
    for k, (field, _, _) in enumerate(results):
        out.append("%sif (%s)" % (indent, cond(k)))
        out.append("%s    out.%s = res_%d;" % (indent, field, k))
    return out


def modes_c(P, results, fixed):
    """edims, touchMASK and rcMASK: the driver's calls that print one number."""
    lines = ['    if (!strcmp(want, "edims")) {']
    if fixed:  # the first fixed dimension off by one
        lines += ["        dims.%s++;" % fixed[0], "        memset(&out, 0, sizeof out);",
                  "        out.%s = res_0;" % results[0][0],
                  "        rc = %s_eval(&dims, &in, &out, work);" % P,
                  "        free(work);", "        return rc == %s_EDIMS ? 0 : 1;" % P.upper()]
    else:
        lines += ["        free(work);", "        return 2;"]
    lines.append("    }")
    # touchMASK: the bytes of work the call wrote; rcMASK: the code it returns
    for mode, n in (("touch", 5), ("rc", 2)):
        every = "!*m || " if mode == "rc" else ""
        lines += ['    if (!strncmp(want, "%s", %d)) {' % (mode, n),
                  "        const char *m = want + %d;" % n, "        size_t k, n = 0;",
                  "        memset(&out, 0, sizeof out);", "        memset(work, 0xff, bytes);"]
        lines += ask(results, lambda k: "%s((int)strlen(m) > %d && m[%d] == '1')" % (every, k, k),
                     "        ")
        lines += ["        rc = %s_eval(&dims, &in, &out, work);" % P,
                  "        for (k = 0; k < bytes; k++)",
                  "            n += ((unsigned char *)work)[k] != 0xff;",
                  '        printf("%%lu\\n", (unsigned long)(%s));' % ("n" if mode == "touch"
                                                                        else "(unsigned)rc"),
                  "        free(work);", "        return %s;" % ("rc" if mode == "touch" else "0"),
                  "    }"]
    return lines


def request_c(P, results):
    """MASK: the values alone, then what MASK asks for; the values must agree."""
    PU = P.upper()
    lines = ["    memset(&out, 0, sizeof out);", "    memset(work, 0xff, bytes);"]
    for k, (field, _, isval) in enumerate(results):
        if isval:
            lines.append("    out.%s = first_%d;" % (field, k))
    lines += ["    rc = %s_eval(&dims, &in, &out, work);" % P,
              "    if (rc != %s_OK)" % PU, "        return 10 + rc;",
              "    memset(&out, 0, sizeof out);", "    memset(work, 0xff, bytes);"]
    lines += ask(results, lambda k: "(int)strlen(want) > %d && want[%d] == '1'" % (k, k), "    ")
    lines += ["    rc = %s_eval(&dims, &in, &out, work);" % P,
              "    if (rc != %s_OK)" % PU, "        return 20 + rc;"]
    for k, (field, n, isval) in enumerate(results):
        if isval:
            lines += ["    if (out.%s && memcmp(first_%d, res_%d, sizeof res_%d)) {" % (field, k, k, k),
                      '        fprintf(stderr, "%s differs with derivatives\\n");' % field,
                      "        return 30;", "    }"]
        lines += ["    if (out.%s) {" % field, "        int i;", '        printf("%d");' % k,
                  "        for (i = 0; i < %d; i++)" % n,
                  '            printf(" %%.17g", (double)res_%d[i]);' % k,
                  '        printf("\\n");', "    }"]
    return lines + ["    free(work);", "    return 0;", "}", ""]


def driver(sg, decls, dimtext, single):
    st, P = structs(open(decls, encoding="utf-8").read())
    if not P or set(st) != {"dims", "in", "out"}:
        raise SystemExit("cgen.py: no dims, in and out structs in %s" % decls)
    T = "float" if single else "double"
    dims = dict((k, int(v)) for k, v in (kv.split("=") for kv in dimtext.split()))
    values, evals = draw_inputs(st, dims, open(sg, encoding="utf-8").read(), single)
    results = []  # (field, entries, is a value)
    for field, _, comment in st["out"]:
        m = re.search(r"\((.+?) (?:steps of (.+)|numbers)\)$", comment)
        if m:  # ∂L/∂x[t], laid out as x: "(T steps of k)"
            r, c, _ = shape(m.group(2) or "scalar", dims)
            results.append((field, evaluate(m.group(1), dims) * r * c, False))
            continue
        what, _, shp = comment.rpartition(", ")
        r, c, _ = shape(shp, dims)
        results.append((field, r * c, "∂" not in what))
    lines = ['#include <stdio.h>', '#include <stdlib.h>', '#include <string.h>',
             '#include "%s"' % os.path.basename(decls), ""]
    for i, vals in enumerate(values):
        lines.append("static const %s in_%d[%d] = {%s};" % (T, i, max(1, len(vals)),
                                                           ", ".join("%.17g" % x for x in vals) or "0"))
    for k, (field, n, isval) in enumerate(results):
        lines.append("static %s res_%d[%d];" % (T, k, max(1, n)))
        if isval:
            lines.append("static %s first_%d[%d];" % (T, k, max(1, n)))
    lines += ["", "int main(int argc, char **argv)", "{",
              "    %s_dims dims;" % P, "    %s_in in;" % P, "    %s_out out;" % P,
              "    size_t bytes;", "    void *work;", "    int rc;",
              '    const char *want = argc > 1 ? argv[1] : "";',
              "    memset(&dims, 0, sizeof dims);", "    memset(&in, 0, sizeof in);"]
    for field, _, comment in st["dims"]:
        if comment == "the problem has no dimensions":
            continue
        if base_name(field, dims) not in dims:
            raise SystemExit("cgen.py: no value for the dimension %s (give it in DIMS)" % field)
        lines.append("    dims.%s = %d;" % (field, dims[base_name(field, dims)]))
    for i, (field, _, _) in enumerate(st["in"]):
        lines.append("    in.%s = in_%d;" % (field, i))
    lines += ["    bytes = %s_work_size(&dims);" % P, "    work = malloc(bytes ? bytes : 1);"]
    lines += modes_c(P, results, [f for f, _, c in st["dims"] if c.startswith("must be ")])
    lines += request_c(P, results)
    with open("driver.c", "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    with open("eval.txt", "w", encoding="utf-8") as f:
        f.write(evals + "\n")


def compare(sg, decls, outfile, evalfile, mask, rtol):
    st, _ = structs(open(decls, encoding="utf-8").read())
    fields = [f for f, _, _ in st["out"]]
    ev = parse_eval(open(evalfile, encoding="utf-8").read())
    names = directive(open(sg, encoding="utf-8").read(), "names")
    got = {}
    for line in open(outfile).read().splitlines():
        w = line.split()
        got[int(w[0])] = [float(x) for x in w[1:]]
    bad = []
    want = [k for k in range(len(fields)) if k < len(mask) and mask[k] == "1"]
    if sorted(got) != want:
        bad.append("the driver printed results %s, asked %s" % (sorted(got), want))
    for k in want:
        if k not in got:
            continue
        name = names.get(fields[k], base_name(fields[k], ev))
        ref = ev.get(name)
        steps = sorted((int(key[len(name) + 1:-1]), key) for key in ev
                       if re.match(re.escape(name) + r"\[-?\d+\]$", key))
        if ref is None and steps:  # ∂L/∂x[t]: name[t] = … for each step, in order
            ref = [x for _, key in steps for x in (ev[key] or [float("nan")])]
        if ref is None:
            bad.append("no %s in --eval" % name)
            continue
        v = got[k]
        if len(ref) == 1 and len(v) > 1 and ref[0] == 0:
            ref = ref * len(v)  # a zero printed once
        if len(ref) != len(v):
            bad.append("%s: %d numbers, --eval has %d" % (fields[k], len(v), len(ref)))
            continue
        scale = max([1e-3] + [abs(x) for x in ref])
        for i, (a, b) in enumerate(zip(v, ref)):
            if not abs(a - b) <= rtol * scale + 6e-10 * abs(b):
                bad.append("%s[%d] = %.17g, --eval %.10g" % (fields[k], i, a, b))
                break
    for b in bad:
        print(b)
    return 1 if bad else 0


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "driver":
        driver(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5 and sys.argv[5] == "float")
        return 0
    if len(sys.argv) == 8 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6],
                       float(sys.argv[7]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
