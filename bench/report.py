#!/usr/bin/python3
"""bench/report.py: BUILDDIR/*.tsv -> RESULTSDIR/results.md and the plots.

    python3 bench/report.py BUILDDIR RESULTSDIR [HAVE_GNUPLOT]

Reads what bench/run.sh, bench/harness and bench/torch_bench.py wrote
(c_results.tsv, torch_results.tsv, engine.tsv, scale.tsv, notes.tsv, env.tsv), writes
RESULTSDIR/results.md, RESULTSDIR/<problem>.png (gnuplot, time against size,
log scales) and prints the main table. Standard library only.
"""
import math
import os
import subprocess
import sys

IMPLS = ["symgrad", "hand", "blas", "torch"]
IMPL_TITLE = {"symgrad": "symgrad", "symgrad_blas": "symgrad --blas",
              "symgrad_dim": "symgrad --dim", "hand": "hand C",
              "blas": "OpenBLAS", "torch": "PyTorch", "torch_vec": "PyTorch vectorize=True",
              "numpy": "NumPy"}
PROBLEMS = ["autoencoder", "mlp_swish", "mlp_batch", "gp_loglik"]
PROBLEM_TITLE = {
    "autoencoder": "autoencoder ½‖WᵀWx − x‖²",
    "mlp_swish": "MLP swish, one example",
    "mlp_batch": "MLP swish 784-512-10 over a batch of N",
    "gp_loglik": "GP log-likelihood",
}
# issue 17: the Hessians of Laue, Mitterreiter and Giesen (NeurIPS 2018), timed as
# mode "hess" (the Hessian alone), and single products, mode "prod"
HESS_PROBLEMS = ["quadform_hess", "logreg_hess", "mf_hess"]
HESS_TITLE = {
    "quadform_hess": "xᵀAx in x: A + Aᵀ",
    "logreg_hess": "logistic regression in w: Xᵀdiag(p ⊙ (𝟙 − p))X/N + λI",
    "mf_hess": "‖T − UVᵀ‖² in U: 2(I ⊗ VᵀV)",
}
HESS_VS_TORCH = 100     # ≥ 100× faster than torch.autograd.functional.hessian, both modes
HESS_VS_NUMPY = 1.5     # ≥ 1.5× faster than the NumPy closed form
GEMM_OF_PEAK = 0.8      # the default GEMM ≥ 80% of OpenBLAS's dgemm at the same size
MLPB_VS_TORCH = 1.0     # the default batched MLP ≥ 1.0× PyTorch
GCC_100_OVER_10 = 10    # gcc -O2 time, 100 layers ÷ 10 layers ≤ ~10×
XLABEL = {
    "autoencoder": "m·n (entries of W)",
    "mlp_swish": "weights H·D + C·H",
    "mlp_batch": "weights × batch size N (N = 16, 64, 256)",
    "gp_loglik": "N (Q = 8, D = 4)",
}


def read_tsv(path):
    rows = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line:
                    rows.append(line.split("\t"))
    return rows


def fmt_time(t):
    if t is None:
        return None
    if t < 1e-6:
        return "%.1f ns" % (t * 1e9)
    if t < 1e-3:
        return "%.2f µs" % (t * 1e6) if t < 1e-5 else "%.1f µs" % (t * 1e6)
    if t < 1:
        return "%.2f ms" % (t * 1e3) if t < 1e-2 else "%.1f ms" % (t * 1e3)
    return "%.2f s" % t


def fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 100:
        return "%.0f×" % r
    if r >= 10:
        return "%.1f×" % r
    if r >= 0.1:
        return "%.2f×" % r
    return "%.2g×" % r


def pretty_size(problem, size):
    s = size.replace("x", "×")
    if problem == "mlp_batch":
        s = s.replace("_N", ", N = ")
    if problem == "gp_loglik":
        s = s.replace("N", "N = ").replace("_Q", ", Q = ").replace("_D", ", D = ")
    if problem in HESS_PROBLEMS or problem == "gemm":
        parts = size.split("_")
        op = {"NN": "AB", "NT": "ABᵀ"}
        s = ", ".join(op[w] if w in op else "%s = %s" % (w[0], w[1:]) for w in parts)
    return s


class Data:
    def __init__(self, build):
        self.time = {}      # (problem, size, impl, mode) -> (median, min, max, calls, batches)
        self.xsize = {}     # (problem, size) -> float
        self.check = {}     # (problem, size, impl) -> (rel, status, detail)
        self.bw = {}
        self.bound = {}     # (problem, size, mode) -> bytes
        self.notes = []     # (key, text)
        self.env = []
        self.engine = []
        self.meta = {}
        self.sizes = {p: [] for p in PROBLEMS + HESS_PROBLEMS + ["gemm"]}
        self.work = {}      # (problem, size) -> ("flops" or "bytes", count)
        self.paired = {}
        for name in ("c_results.tsv", "torch_results.tsv"):
            for r in read_tsv(os.path.join(build, name)):
                kind = r[0]
                if kind == "time":
                    prob, size, xs, impl, mode = r[1], r[2], float(r[3]), r[4], r[5]
                    self.time[(prob, size, impl, mode)] = (float(r[6]), float(r[7]),
                                                           float(r[8]), int(r[9]), int(r[10]))
                    self.xsize[(prob, size)] = xs
                    self.add_size(prob, size)
                elif kind == "check":
                    self.check[(r[1], r[2], r[3])] = (float(r[4]), r[5], r[6] if len(r) > 6 else "")
                    self.add_size(r[1], r[2])
                elif kind == "paired":
                    # (problem, size, impl) -> (median ratio, least, largest, PyTorch's
                    # median time, symgrad's, rounds): bench/torch_bench.py
                    # mode: grad, or hess:CONTENDER for the Hessians
                    self.paired[(r[1], r[2], r[3], r[4])] = (
                        float(r[5]), float(r[6]), float(r[7]), float(r[8]), float(r[9]),
                        int(r[10]))
                elif kind == "bw":
                    self.bw[r[1]] = float(r[2])
                elif kind == "bound":
                    self.bound[(r[1], r[2], r[3])] = float(r[4])
                elif kind == "work":
                    self.work[(r[1], r[2])] = (r[3], float(r[4]))
                elif kind == "note":
                    self.meta[r[1]] = r[2]
        for r in read_tsv(os.path.join(build, "notes.tsv")):
            self.notes.append((r[0], r[1] if len(r) > 1 else ""))
        self.env = [(r[1], r[2]) for r in read_tsv(os.path.join(build, "env.tsv")) if len(r) > 2]
        self.engine = [r[1:] for r in read_tsv(os.path.join(build, "engine.tsv"))]
        # input scaling: (family, mode) -> [(size, wall, rss_kb, bytes, status, runs, cpu)]
        # by size; cpu None when runstat did not give it
        self.scale = {}
        self.scale_meta = {}
        for r in read_tsv(os.path.join(build, "scale.tsv")):
            if r[0] == "meta":
                self.scale_meta[r[1]] = r[2]
            elif r[0] == "scale" and len(r) >= 9:
                fam, size, mode = r[1], int(r[2]), r[3]
                cpu = float(r[9]) if len(r) > 9 and r[9] != "nan" else None
                self.scale.setdefault((fam, mode), []).append(
                    (size, float(r[4]), int(r[5]), int(r[6]), r[7], int(r[8]), cpu))
        for v in self.scale.values():
            v.sort()
        # sizes in order of the abscissa
        datadir = os.path.join(build, "data")
        if os.path.isdir(datadir):
            for m in os.listdir(datadir):
                if m.endswith(".meta"):
                    with open(os.path.join(datadir, m)) as f:
                        kv = dict(line.split(None, 1) for line in f if " " in line)
                    prob, size = kv["problem"].strip(), kv["size"].strip()
                    self.xsize[(prob, size)] = float(kv["xsize"])
                    self.add_size(prob, size)
        for p in self.sizes:
            self.sizes[p].sort(key=lambda s: self.xsize.get((p, s), 0))
        self.has_torch = any(k[2] == "torch" for k in self.check)
        self.has_blas = any(k[2] == "blas" for k in self.check)

    def add_size(self, prob, size):
        if prob in self.sizes and size not in self.sizes[prob]:
            self.sizes[prob].append(size)

    def t(self, prob, size, impl, mode="grad"):
        v = self.time.get((prob, size, impl, mode))
        return v[0] if v else None

    def vs_torch(self, prob, size, impl="symgrad"):
        """PyTorch's time ÷ impl's for value + gradients: the paired ratio
        (bench/torch_bench.py: batches alternating in one process) where the
        run has it, else the ratio of the two medians; None without both"""
        pr = self.paired.get((prob, size, impl, "grad"))
        if pr:
            return pr[0]
        s, o = self.t(prob, size, impl), self.t(prob, size, "torch")
        return o / s if (s and o) else None

    def note(self, key):
        for k, text in self.notes:
            if k == key:
                return text
        return None

    def missing(self, prob, size, impl):
        """why there is no time for impl, as a short table cell"""
        c = self.check.get((prob, size, impl))
        if c and c[1] != "ok":
            return "✗ %s (%.1e)" % (c[1].lower(), c[0]) if c[0] != float("inf") else "✗ %s" % c[2]
        if impl in ("torch", "torch_vec", "numpy") and not self.has_torch:
            return "n/a (no torch)"
        if impl == "blas" and prob == "quadform_hess":
            return "n/a (no BLAS operation)"
        if impl == "blas" and not self.has_blas:
            return "n/a (no OpenBLAS)"
        if impl == "symgrad_blas":
            n = self.note("noblasgen")
            if n:
                return n.split(": ", 1)[1] if ": " in n else n
        return "n/a"


def best_bw(d):
    """the bandwidth of the bound: the best one measured (STREAM copy, triad, and the
    read in four streams), so that the bound is as tight as the run can show"""
    return max(d.bw.get("copy", 0), d.bw.get("triad", 0), d.bw.get("read4", 0))


SCALE_FAMILIES = ["sum", "outs", "dist", "deep", "line"]
SCALE_TITLE = {
    "sum": "sum of N terms: L = sum(a1 ⊙ x) + … + sum(aN ⊙ x), lines of 500 terms, grad L wrt x",
    "outs": "N outputs d_i = (i+1) x",
    "dist": "N distinct s_i = sum(x ⊙ x)/i, `grad s_i wrt x` each",
    "deep": "tanh network of N layers, the gradients asked 50 to a line",
    "line": "a line of N KiB of control bytes (rejected, exit 1)",
}
SCALE_UNIT = {"sum": "terms", "outs": "outputs", "dist": "requests", "deep": "layers",
              "line": "KiB"}
SCALE_MODES = ["c", "formulas", "latex", "check"]
SCALE_MODE_TITLE = {"c": "C (-o)", "formulas": "--formulas", "latex": "--latex",
                    "check": "--check"}
SCALE_LIMIT = 2.5   # time and peak memory ratio per doubling of the input


def scale_t(r):
    """the time of an input-scaling row: CPU time (user + system) when runstat gave
    it, which other processes on the cores change far less than the wall time"""
    return r[6] if r[6] is not None else r[1]


def ratio(a, b):
    return b / a if a and b and a > 0 else None


def per_doubling(a, b, xa, xb):
    """the ratio per doubling of the size from (size a, value xa) to (b, xb)"""
    if not xa or not xb or xa <= 0 or b <= a:
        return None
    return (xb / xa) ** (1.0 / math.log2(b / a))


class ScaleRow:
    """one family and mode of the input scaling.

    rows: by size; tr, mr: the time and memory ratios of consecutive sizes,
    (label, CPU ratio, wall ratio) and (label, ratio); tspan, mspan: the ratio per
    doubling over the whole measured span, N→4N (the target's: a noisy middle size
    moves its two single ratios in opposite directions and leaves it alone), as
    (label, value[, wall value]); why: why sizes are missing, or None"""

    def __init__(self, d, fam, mode):
        self.rows = rows = d.scale.get((fam, mode), [])
        self.tr, self.mr, self.why = [], [], None
        for a, b in zip(rows, rows[1:]):
            if a[4] == "ok" and b[4] == "ok":
                lab = "%s→%s" % (fmt_count(a[0]), fmt_count(b[0]))
                self.tr.append((lab, ratio(scale_t(a), scale_t(b)), ratio(a[1], b[1])))
                self.mr.append((lab, ratio(a[2], b[2])))
        ok = []
        for r in rows:
            if r[4] != "ok":
                self.why = scale_status(d, r)
                break
            ok.append(r)
        self.tspan = self.mspan = None
        if len(ok) >= 2:
            a, b = ok[0], ok[-1]
            lab = "%s→%s" % (fmt_count(a[0]), fmt_count(b[0]))
            self.tspan = (lab, per_doubling(a[0], b[0], scale_t(a), scale_t(b)),
                          per_doubling(a[0], b[0], a[1], b[1]))
            self.mspan = (lab, per_doubling(a[0], b[0], a[2], b[2]))

    def met(self):
        vals = [x[1] for x in (self.tspan, self.mspan) if x and x[1] is not None]
        if any(v > SCALE_LIMIT for v in vals):
            return False
        if self.why or not vals:
            return None
        return True


def scale_status(d, r):
    st = r[4]
    if st == "timeout":
        return "killed after %s s at %s" % (d.scale_meta.get("timeout", "?"), fmt_count(r[0]))
    if st == "skipped":
        return "skipped at %s: a smaller size was killed" % fmt_count(r[0])
    if st.startswith("exit:"):
        return "exit status %s at %s" % (st[5:], fmt_count(r[0]))
    if st == "empty":
        return "no output at %s" % fmt_count(r[0])
    return "%s at %s" % (st, fmt_count(r[0]))


def fmt_count(n):
    return "{:,}".format(n)


def fmt_kb(kb):
    return "%.1f MB" % (kb / 1024.0) if kb >= 1024 else "%d KB" % kb


def scale_targets(d):
    """per family: time and peak memory ratio per doubling ≤ SCALE_LIMIT in every mode,
    the ratio per doubling over the measured span (N→4N)"""
    out = []
    for fam in SCALE_FAMILIES:
        modes = [m for m in SCALE_MODES if (fam, m) in d.scale]
        if not modes:
            continue
        sizes = sorted({r[0] for m in modes for r in d.scale[(fam, m)]})
        span = "%s–%s %s" % (fmt_count(sizes[0]), fmt_count(sizes[-1]), SCALE_UNIT[fam])
        for what, idx in (("time", 1), ("peak memory", 2)):
            worst, gaps = None, []
            for m in modes:
                sr = ScaleRow(d, fam, m)
                sp = sr.tspan if idx == 1 else sr.mspan
                if sp and sp[1] is not None and (worst is None or sp[1] > worst[0]):
                    worst = (sp[1], m, sp[0])
                if sr.why:
                    gaps.append("%s %s" % (SCALE_MODE_TITLE[m], sr.why))
            desc = "input scaling, %s (%s, %s): %s ratio per doubling ≤ %g (linear, with slack)" % (
                fam, span, "every mode" if len(modes) > 1 else SCALE_MODE_TITLE[modes[0]],
                what, SCALE_LIMIT)
            if worst is None:
                out.append((None, desc, "n/a" + (" (" + "; ".join(gaps) + ")" if gaps else ""),
                            None))
                continue
            text = "worst %s per doubling (%s, %s)" % (fmt_ratio(worst[0]), SCALE_MODE_TITLE[worst[1]],
                                          worst[2])
            if gaps:
                text += "; not measured: " + "; ".join(gaps)
            met = False if worst[0] > SCALE_LIMIT else (None if gaps else True)
            out.append((None, desc, text, met))
    return out


def targets(d):
    """[(row key or None, description, measured text, met: True/False/None)]"""
    out = []

    def speed(prob, size, other, factor, label):
        s, o = d.t(prob, size, "symgrad"), d.t(prob, size, other)
        desc = "%s %s: ≥ %g× faster than %s" % (prob, pretty_size(prob, size), factor, label)
        if s is None or o is None:
            out.append(((prob, size), desc, d.missing(prob, size, other if s else "symgrad"), None))
        else:
            r = d.vs_torch(prob, size) if other == "torch" else o / s
            out.append(((prob, size), desc, fmt_ratio(r), r >= factor))

    def throughput(prob, size, impl, frac, label):
        s, o = d.t(prob, size, impl), d.t(prob, size, "torch")
        desc = "%s %s: %s ≥ %d%% of PyTorch's throughput" % (prob, pretty_size(prob, size), label,
                                                             round(frac * 100))
        if s is None or o is None:
            out.append(((prob, size), desc, d.missing(prob, size, impl if s is None else "torch"),
                        None))
        else:
            r = d.vs_torch(prob, size, impl)
            out.append(((prob, size), desc, "%.0f%%" % (100 * r), r >= frac))

    def tiny(prob, size, factor):
        """the tiny sizes: the best of the default output and --dim (every dimension
        fixed when generating, the issue's feature for tiny problems), said which"""
        o = d.t(prob, size, "torch")
        s, sd = d.t(prob, size, "symgrad"), d.t(prob, size, "symgrad_dim")
        desc = "%s %s: ≥ %g× faster than PyTorch (best of symgrad and symgrad --dim)" % (
            prob, pretty_size(prob, size), factor)
        if o is None or (s is None and sd is None):
            out.append(((prob, size), desc,
                        d.missing(prob, size, "torch" if o is None else "symgrad"), None))
            return
        parts = []
        if s is not None:
            parts.append(("default", d.vs_torch(prob, size, "symgrad")))
        if sd is not None:
            parts.append(("--dim", d.vs_torch(prob, size, "symgrad_dim")))
        best = max(parts, key=lambda p: p[1])
        text = "%s (%s)" % (fmt_ratio(best[1]), "; ".join(
            "%s %s" % (k, fmt_ratio(r)) for k, r in parts)) if len(parts) > 1 else fmt_ratio(
                best[1]) + " (%s)" % best[0]
        out.append(((prob, size), desc, text, best[1] >= factor))

    tiny("autoencoder", "3x5", 300)
    tiny("mlp_swish", "5-4-3", 300)
    for prob, size in (("autoencoder", "256x784"), ("mlp_swish", "784-256-10")):
        speed(prob, size, "torch", 3, "PyTorch")
        speed(prob, size, "hand", 2, "the hand-written C")
    speed("autoencoder", "1024x4096", "torch", 2, "PyTorch")
    # the memory-bandwidth bound
    key = ("autoencoder", "1024x4096")
    bw = best_bw(d)
    s = d.t(key[0], key[1], "symgrad")
    nbytes = d.bound.get(key + ("grad",))
    desc = ("autoencoder 1024×4096: value + gradients within 1.5× of the memory-bandwidth bound "
            "(24mn bytes: W read twice, ∂L/∂W written once)")
    if s is None or not nbytes or not bw:
        out.append((key, desc, "n/a", None))
    else:
        r = s / (nbytes / bw)
        out.append((key, desc, "%.2f× the bound" % r, r <= 1.5))
    throughput("mlp_batch", "784-512-10_N256", "symgrad", 0.5, "default output")
    throughput("mlp_batch", "784-512-10_N256", "symgrad_blas", 0.9, "--blas")
    # issue 17: the default batched MLP at least as fast as PyTorch, measured
    # paired (both in one process, batches alternating) where the run could
    key = ("mlp_batch", "784-512-10_N256")
    s, o = d.t(key[0], key[1], "symgrad"), d.t(key[0], key[1], "torch")
    pr = d.paired.get(key + ("symgrad", "grad"))
    desc = "mlp_batch %s: default output ≥ %.1f× PyTorch (PyTorch ÷ symgrad%s)" % (
        pretty_size(*key), MLPB_VS_TORCH, ", paired" if pr else "")
    if pr:
        sep = (", timed apart %s" % fmt_ratio(o / s)) if (s and o) else ""
        out.append((key, desc, "%s (rounds %s–%s%s)" % (fmt_ratio(pr[0]), fmt_ratio(pr[1]),
                                                       fmt_ratio(pr[2]), sep),
                    pr[0] >= MLPB_VS_TORCH))
    elif s is None or o is None:
        out.append((key, desc, d.missing(key[0], key[1], "torch" if s else "symgrad"), None))
    else:
        out.append((key, desc, fmt_ratio(o / s), o / s >= MLPB_VS_TORCH))
    for prob in PROBLEMS:
        for size in d.sizes[prob]:
            for impl in ("symgrad", "symgrad_blas", "symgrad_dim"):
                v, g = d.t(prob, size, impl, "value"), d.t(prob, size, impl, "grad")
                if impl != "symgrad" and g is None:
                    continue
                desc = "%s %s: %s value + gradients ≤ 3× the value alone" % (
                    prob, pretty_size(prob, size), IMPL_TITLE[impl])
                if v is None or g is None:
                    out.append(((prob, size), desc, d.missing(prob, size, impl), None))
                else:
                    out.append(((prob, size), desc, fmt_ratio(g / v), g / v <= 3))
    eng = {int(r[0]): r for r in d.engine}

    def eng_wall(L):
        r = eng.get(L)
        return float(r[1]) if r and r[5] == "0" else None

    w1000, w100 = eng_wall(1000), eng_wall(100)
    out.append((None, "engine, 1000 layers: symgrad ≤ 1 s",
                fmt_time(w1000) if w1000 is not None else "failed", w1000 is not None and w1000 <= 1))
    rss = int(eng[1000][2]) if 1000 in eng else None
    out.append((None, "engine, 1000 layers: symgrad ≤ 200 MB peak memory",
                "%.1f MB" % (rss / 1024) if rss else "n/a", rss is not None and rss / 1024 <= 200))
    if w1000 is not None and w100:
        out.append((None, "engine, 1000 layers: ≤ 12× the time for 100 layers",
                    fmt_ratio(w1000 / w100), w1000 / w100 <= 12))
    else:
        out.append((None, "engine, 1000 layers: ≤ 12× the time for 100 layers", "n/a", None))
    r = eng.get(100)
    if r and r[6] == "0":
        g = float(r[4])
        out.append((None, "gcc -O2 compiles the generated C for 100 layers in ≤ 3 s",
                    fmt_time(g), g <= 3))
    else:
        out.append((None, "gcc -O2 compiles the generated C for 100 layers in ≤ 3 s",
                    "failed" if r else "n/a", None if not r else False))
    g10, g100 = gcc_time(d, 10), gcc_time(d, 100)
    desc = "gcc -O2 time, 100 layers ÷ 10 layers ≤ ~%d× (compile time linear in the layers)" % (
        GCC_100_OVER_10)
    if g10 and g100:
        out.append((None, desc, fmt_ratio(g100 / g10), g100 / g10 <= GCC_100_OVER_10))
    else:
        out.append((None, desc, "n/a", None))
    out += hess_targets(d)
    out += gemm_targets(d)
    out += scale_targets(d)
    return out


def gcc_time(d, L):
    """gcc -O2's time on the generated C of the deep network of L layers, or None"""
    for r in d.engine:
        if int(r[0]) == L and r[5] == "0" and r[6] == "0":
            return float(r[4])
    return None


def hess_targets(d):
    """issue 17: every Hessian ≥ 100× faster than torch.autograd.functional.hessian,
    plain and vectorize=True, and ≥ 1.5× faster than the NumPy closed form"""
    out = []
    for prob in HESS_PROBLEMS:
        for size in d.sizes[prob]:
            s = d.t(prob, size, "symgrad", "hess")
            for impl, factor, label in (
                    ("torch", HESS_VS_TORCH, "torch.autograd.functional.hessian"),
                    ("torch_vec", HESS_VS_TORCH, "torch.autograd.functional.hessian "
                                                 "(vectorize=True)"),
                    ("numpy", HESS_VS_NUMPY, "the NumPy closed form")):
                o = d.t(prob, size, impl, "hess")
                desc = "%s %s: Hessian ≥ %g× faster than %s" % (prob, pretty_size(prob, size),
                                                               factor, label)
                pr = d.paired.get((prob, size, "symgrad", "hess:" + impl))
                if s is None or o is None:
                    out.append(((prob, size), desc, d.missing(prob, size, impl if s else "symgrad"),
                                None))
                elif pr:  # paired (bench/torch_bench.py), the two runs' ratio beside it
                    out.append(((prob, size), desc + " (paired)",
                                "%s (rounds %s–%s, timed apart %s)" % (
                                    fmt_ratio(pr[0]), fmt_ratio(pr[1]), fmt_ratio(pr[2]),
                                    fmt_ratio(o / s)), pr[0] >= factor))
                else:
                    out.append(((prob, size), desc, fmt_ratio(o / s), o / s >= factor))
    return out


def rate(d, prob, size, t):
    """(value, unit) of a time t: GFLOP/s for flop work, GB/s of output for byte work"""
    w = d.work.get((prob, size))
    if not w or not t:
        return None
    return (w[1] / t / 1e9, "GFLOP/s" if w[0] == "flops" else "GB/s")


def fmt_rate(r):
    return "%.1f %s" % r if r else "—"


def peak(d):
    """the machine's peak as this run measured it: the best OpenBLAS dgemm GFLOP/s on one
    thread over the product sizes; (GFLOP/s, size) or None"""
    best = None
    for size in d.sizes["gemm"]:
        r = rate(d, "gemm", size, d.t("gemm", size, "blas", "prod"))
        if r and (best is None or r[0] > best[0]):
            best = (r[0], size)
    return best


def gemm_targets(d):
    """issue 17: the default GEMM ≥ 80% of OpenBLAS's dgemm, size by size"""
    out = []
    for size in d.sizes["gemm"]:
        s, o = d.t("gemm", size, "symgrad", "prod"), d.t("gemm", size, "blas", "prod")
        desc = "gemm %s: default product ≥ %d%% of OpenBLAS dgemm's GFLOP/s" % (
            pretty_size("gemm", size), round(100 * GEMM_OF_PEAK))
        if s is None or o is None:
            out.append((("gemm", size), desc, d.missing("gemm", size, "blas" if s else "symgrad"),
                        None))
        else:
            out.append((("gemm", size), desc, "%.0f%%" % (100 * o / s), o / s >= GEMM_OF_PEAK))
    return out


def mlpb_flops(size, mode):
    """the batched MLP's products as dense general products, 2mnk each: W₁X and W₂H₁
    for the value; also ∂L/∂W₂ = G₂H₁ᵀ, W₂ᵀG₂ and ∂L/∂W₁ = G₁Xᵀ for the gradients"""
    dims, n = size.split("_N")
    D, H, C = (int(x) for x in dims.split("-"))
    N = int(n)
    if mode == "value":
        return 2.0 * N * (H * D + C * H)
    return 2.0 * N * (2 * H * D + 3 * C * H)


def hess_table(d, tg):
    """issue 17's tables: the Hessians of Laue et al., the products and the batched MLP"""
    md = []
    md.append("## Hessians (Laue et al.)")
    md.append("")
    md.append("The three Hessians of Laue, Mitterreiter and Giesen (NeurIPS 2018), the Hessian "
              "alone (the generated code with `out.L = NULL`): symgrad; "
              "`torch.autograd.functional.hessian(f, w)` plain and with `vectorize=True`; the "
              "NumPy closed form matrixcalculus.org prints (`A + A.T`; `X.T @ (d[:, None] * X) "
              "/ N + lam*np.eye(D)` with p = σ(Xw), d = p(1 − p); `2*np.kron(np.eye(m), V.T @ "
              "V)`); OpenBLAS where a BLAS operation applies (logistic regression: the scaled "
              "copy √(d/N) ⊙ X and dsyrk, mirrored, + λI; ‖T − UVᵀ‖²: dsyrk for 2VᵀV, then the "
              "Kronecker fill, memset and m diagonal blocks; A + Aᵀ is no BLAS operation, its "
              "reference is the hand C's blocked A + Aᵀ). Rates: logistic regression in "
              "GFLOP/s counting Xᵀdiag(d)X as the dense general product it is, 2·N·D² flops; "
              "xᵀAx and ‖T − UVᵀ‖² in GB/s of the Hessian written (8n² and 8(mk)² bytes): "
              "bandwidth work. The ratios to PyTorch and NumPy are paired (batches "
              "alternating in one process, see bench/README.md) where the run could. Targets: "
              "≥ %g× faster than PyTorch in both modes, ≥ %g× faster than NumPy."
              % (HESS_VS_TORCH, HESS_VS_NUMPY))
    md.append("")
    head = ["problem", "size", "symgrad", "PyTorch", "PyTorch vectorize", "NumPy", "OpenBLAS",
            "hand C", "PyTorch ÷ symgrad", "PyTorch vectorize ÷ symgrad", "NumPy ÷ symgrad",
            "OpenBLAS ÷ symgrad", "symgrad rate", "OpenBLAS (hand C) rate", "targets met"]
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "---|" * len(head))
    for prob in HESS_PROBLEMS:
        for size in d.sizes[prob]:
            s = d.t(prob, size, "symgrad", "hess")
            cells = [HESS_TITLE[prob], pretty_size(prob, size),
                     fmt_time(s) or d.missing(prob, size, "symgrad")]
            for impl in ("torch", "torch_vec", "numpy", "blas", "hand"):
                t = d.t(prob, size, impl, "hess")
                miss = d.missing(prob, size, impl)
                if impl == "hand" and (prob, size, impl) not in d.check:
                    miss = "—"
                cells.append(fmt_time(t) or miss)
            for impl in ("torch", "torch_vec", "numpy", "blas"):
                o = d.t(prob, size, impl, "hess")
                pr = d.paired.get((prob, size, "symgrad", "hess:" + impl))
                cells.append(fmt_ratio(pr[0]) + " (paired)" if (pr and o and s) else
                             fmt_ratio(o / s) if (o and s) else "—")
            cells.append(fmt_rate(rate(d, prob, size, s)))
            ob = d.t(prob, size, "blas", "hess")
            oh = d.t(prob, size, "hand", "hess")
            cells.append(fmt_rate(rate(d, prob, size, ob)) if ob else
                         ("%s (hand C)" % fmt_rate(rate(d, prob, size, oh)) if oh else "—"))
            mine = [t for t in tg if t[0] == (prob, size)]
            ok = sum(1 for t in mine if t[3])
            cells.append("%d/%d" % (ok, len(mine)) + ("" if ok == len(mine) else " ✗")
                         if mine else "—")
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    pk = peak(d)
    md.append("## Products: the default GEMM against OpenBLAS's dgemm")
    md.append("")
    md.append("One product P = AB or ABᵀ (bench/problems/gemm.sg, gemm_nt.sg) by the generated "
              "code's default kernel (templates/gemm.c) and by cblas_dgemm, one thread, at the "
              "batched MLP's two large products (W₁X: m = 512, k = 784, n = 256; ∂L/∂W₁ = G₁Xᵀ: "
              "m = 512, k = 256, n = 784, B transposed) and a square one. GFLOP/s count 2mnk. "
              "The machine's peak is OpenBLAS's dgemm on one thread, measured in the same run: "
              "%s. Target: the default GEMM ≥ %d%% of OpenBLAS's GFLOP/s at each size."
              % ("%.1f GFLOP/s (at %s)" % (pk[0], pretty_size("gemm", pk[1])) if pk else
                 "not measured", round(100 * GEMM_OF_PEAK)))
    md.append("")
    md.append("| product | default GEMM | OpenBLAS dgemm | default GFLOP/s | OpenBLAS GFLOP/s "
              "(the peak) | default ÷ OpenBLAS | ≥ %d%% |" % round(100 * GEMM_OF_PEAK))
    md.append("|---|---|---|---|---|---|---|")
    gt = {t[0]: t for t in tg if t[0] and t[0][0] == "gemm"}
    for size in d.sizes["gemm"]:
        s, o = d.t("gemm", size, "symgrad", "prod"), d.t("gemm", size, "blas", "prod")
        t = gt.get(("gemm", size))
        md.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            pretty_size("gemm", size), fmt_time(s) or d.missing("gemm", size, "symgrad"),
            fmt_time(o) or d.missing("gemm", size, "blas"), fmt_rate(rate(d, "gemm", size, s)),
            fmt_rate(rate(d, "gemm", size, o)), "%.0f%%" % (100 * o / s) if (o and s) else "—",
            met_text(t[3]) if t else "n/a"))
    md.append("")
    md.append("The batched MLP (784-512-10) in GFLOP/s: its products counted as dense general "
              "products, 2mnk each, 2N(HD + CH) flops for the value and 2N(2HD + 3CH) for value "
              "+ gradients (W₁X, W₂H₁; G₂H₁ᵀ, W₂ᵀG₂, G₁Xᵀ); %% of peak: of the run's peak "
              "above. PyTorch ÷ it: the two medians, each from its own run (bench/harness, then "
              "bench/torch_bench.py); paired: the median over rounds of one batch of each, "
              "alternating in one process (the generated code called through ctypes), and the "
              "least and largest round. Target at N = 256: the default output ≥ %.1f× PyTorch, "
              "paired where the run could." % MLPB_VS_TORCH)
    md.append("")
    head = ["output", "N", "time", "GFLOP/s", "% of peak", "PyTorch", "PyTorch GFLOP/s",
            "PyTorch ÷ it", "PyTorch ÷ it, paired", "OpenBLAS ÷ it"]
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "---|" * len(head))
    for impl in ("symgrad", "symgrad_blas", "blas"):
        for size in d.sizes["mlp_batch"]:
            t, o = d.t("mlp_batch", size, impl), d.t("mlp_batch", size, "torch")
            ob = d.t("mlp_batch", size, "blas")
            fl = mlpb_flops(size, "grad")
            cells = [IMPL_TITLE[impl] if impl != "symgrad" else "symgrad (default)",
                     size.split("_N")[1], fmt_time(t) or d.missing("mlp_batch", size, impl),
                     "%.1f" % (fl / t / 1e9) if t else "—",
                     "%.0f%%" % (100 * fl / t / 1e9 / pk[0]) if (t and pk) else "—",
                     fmt_time(o) or d.missing("mlp_batch", size, "torch"),
                     "%.1f" % (fl / o / 1e9) if o else "—",
                     fmt_ratio(o / t) if (o and t) else "—",
                     paired_cell(d.paired.get(("mlp_batch", size, impl, "grad"))),
                     fmt_ratio(ob / t) if (ob and t and impl != "blas") else "—"]
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    return md


def paired_cell(pr):
    """a paired measurement as a table cell: the median ratio and the rounds' range"""
    if not pr:
        return "—"
    return "%s (%s–%s)" % (fmt_ratio(pr[0]), fmt_ratio(pr[1]), fmt_ratio(pr[2]))


def met_text(m):
    return {True: "met", False: "**not met**", None: "n/a"}[m]


def main_table(d, tg):
    lines = []
    head = ["problem", "size", "symgrad", "hand C", "OpenBLAS", "PyTorch",
            "hand C ÷ symgrad", "OpenBLAS ÷ symgrad", "PyTorch ÷ symgrad",
            "grad ÷ value (symgrad)", "targets met"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for prob in PROBLEMS:
        rows = []
        for size in d.sizes[prob]:
            rows.append((size, "symgrad"))
            if d.t(prob, size, "symgrad_dim") is not None or (prob, size, "symgrad_dim") in d.check:
                rows.append((size, "symgrad_dim"))
        if prob == "mlp_batch":
            rows += [(size, "symgrad_blas") for size in d.sizes[prob]]
        for size, me in rows:
            s = d.t(prob, size, me)
            cells = [prob + {"symgrad_blas": " (--blas)", "symgrad_dim": " (--dim)"}.get(me, ""),
                     pretty_size(prob, size)]
            cells.append(fmt_time(s) or d.missing(prob, size, me))
            for impl in ("hand", "blas", "torch"):
                cells.append(fmt_time(d.t(prob, size, impl)) or d.missing(prob, size, impl))
            for impl in ("hand", "blas"):
                o = d.t(prob, size, impl)
                cells.append(fmt_ratio(o / s) if (o and s) else "—")
            r = d.vs_torch(prob, size, me) if s else None
            cells.append(fmt_ratio(r) if r else "—")
            v = d.t(prob, size, me, "value")
            cells.append(fmt_ratio(s / v) if (s and v) else "—")
            # a target belongs to the row of the output it names; the tiny sizes'
            # "best of" targets to both rows
            mine = [t for t in tg if t[0] == (prob, size) and
                    (("--blas" in t[1]) == (me == "symgrad_blas")) and
                    ("best of" in t[1] or ("--dim" in t[1]) == (me == "symgrad_dim"))]
            if mine:
                ok = sum(1 for t in mine if t[3])
                cells.append("%d/%d" % (ok, len(mine)) + ("" if ok == len(mine) else " ✗"))
            else:
                cells.append("—")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def scale_table(d):
    md = []
    cpu = any(r[6] is not None for v in d.scale.values() for r in v)
    md.append("## Input scaling: large inputs in every mode")
    md.append("")
    md.append("Large inputs must take time and memory linear in their size (issue 11). Each "
              "family of bench/gen_scale.sh at N, 2N and 4N through `./symgrad` in each mode "
              "(C output `-o`, `--formulas`, `--latex`, `--check`; the bad line in the default "
              "mode only), under bench/runstat, process start included: 3 runs when the first "
              "takes under 2 s%s, else one run; wall time: the median of the runs; %speak RSS: "
              "the largest. %s A run is killed after %s s, and the larger sizes of its family "
              "and mode are then skipped. Target per row: time and peak memory grow by ≤ %g× "
              "per doubling of the input (linear, with slack; quadratic is 4×), taken over the "
              "whole span, √(t(4N)/t(N)) for N→4N, so that one noisy middle size, "
              "which moves its two single ratios in opposite directions, does not decide it. "
              "Output: the bytes written at 4N (for the bad line, its diagnostics)."
              % (" of CPU time" if cpu else "",
                 "CPU time (user + system): the least of the runs; " if cpu else "",
                 "The time t of the ratios and the target is the CPU time, which other "
                 "processes sharing the cores change far less than the wall time; the wall "
                 "time's ratios are in parentheses." if cpu else "Time: wall seconds.",
                 d.scale_meta.get("timeout", "?"), SCALE_LIMIT))
    md.append("")
    for fam in SCALE_FAMILIES:
        if any((fam, m) in d.scale for m in SCALE_MODES):
            md.append("- **%s**: %s" % (fam, SCALE_TITLE[fam]))
    md.append("")
    head = ["family", "mode", "N"]
    if cpu:
        head.append("CPU time N / 2N / 4N")
    head += ["wall time N / 2N / 4N", "t(2N)/t(N)", "t(4N)/t(2N)", "t per doubling",
             "peak RSS N / 2N / 4N", "m(2N)/m(N)", "m(4N)/m(2N)", "m per doubling",
             "output at 4N", "≤ %g× per doubling" % SCALE_LIMIT]
    md.append("| " + " | ".join(head) + " |")
    md.append("|" + "---|" * len(head))

    def cell(r, val):
        if r[4] == "ok":
            return val
        if r[4] == "skipped":
            return "skipped"
        if r[4] == "timeout":
            return "> %s s" % d.scale_meta.get("timeout", "?")
        return "✗ exit %s" % r[4][5:] if r[4].startswith("exit:") else "✗ " + r[4]

    def tratio(t):
        if t is None or t[1] is None:
            return "—"
        if cpu and t[2] is not None:
            return "%s (%s)" % (fmt_ratio(t[1]), fmt_ratio(t[2]))
        return fmt_ratio(t[1])

    for fam in SCALE_FAMILIES:
        for mode in SCALE_MODES:
            if (fam, mode) not in d.scale:
                continue
            sr = ScaleRow(d, fam, mode)
            rows = sr.rows[:3]
            cells = [fam, SCALE_MODE_TITLE[mode], "%s %s" % (fmt_count(rows[0][0]), SCALE_UNIT[fam])]
            if cpu:
                cells.append(" / ".join(cell(r, fmt_time(r[6]) if r[6] is not None else "?")
                                        for r in rows))
            cells.append(" / ".join(cell(r, fmt_time(r[1])) for r in rows))
            labs = ["%s→%s" % (fmt_count(a[0]), fmt_count(b[0])) for a, b in zip(rows, rows[1:])]
            labs = (labs + [None, None])[:2]
            tmap = {t[0]: t for t in sr.tr}
            mmap = dict(sr.mr)
            for lab in labs:
                cells.append(tratio(tmap.get(lab)))
            cells.append(tratio(sr.tspan))
            cells.append(" / ".join(cell(r, fmt_kb(r[2])) if r[4] != "timeout" else
                                    "> %s" % fmt_kb(r[2]) for r in rows))
            for lab in labs:
                v = mmap.get(lab)
                cells.append(fmt_ratio(v) if v is not None else "—")
            cells.append(fmt_ratio(sr.mspan[1]) if sr.mspan and sr.mspan[1] else "—")
            last = rows[-1]
            cells.append(("%.1f MB" % (last[3] / 1e6) if last[3] >= 100000 else
                          "%d bytes" % last[3]) if last[4] == "ok" and last[3] else "—")
            cells.append(met_text(sr.met()) + (" (%s)" % sr.why if sr.why else ""))
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    return md


def plots(d, results, build):
    made = []
    pdir = os.path.join(build, "plots")
    os.makedirs(pdir, exist_ok=True)
    for prob in PROBLEMS:
        sizes = d.sizes[prob]
        if not sizes:
            continue
        series = []
        for impl in ("symgrad", "symgrad_blas", "hand", "blas", "torch"):
            for mode in ("grad", "value"):
                pts = [(d.xsize[(prob, s)], d.t(prob, s, impl, mode), s) for s in sizes
                       if d.t(prob, s, impl, mode)]
                if not pts:
                    continue
                fn = os.path.join(pdir, "%s_%s_%s.dat" % (prob, impl, mode))
                with open(fn, "w") as f:
                    for x, t, s in pts:
                        f.write("%.17g %.6e %s\n" % (x, t, s))
                series.append((impl, mode, fn))
        if not series:
            continue
        xs = [d.xsize[(prob, s)] for s in sizes]
        color = {"symgrad": "#1f77b4", "symgrad_blas": "#17becf", "hand": "#ff7f0e",
                 "blas": "#2ca02c", "torch": "#d62728"}
        gp = os.path.join(pdir, prob + ".gp")
        png = os.path.join(results, prob + ".png")
        with open(gp, "w") as f:
            f.write("set terminal pngcairo size 900,560 font ',10'\n")
            f.write("set output '%s'\n" % png)
            f.write("set title '%s: time per call (median, one thread)'\n" % PROBLEM_TITLE[prob])
            f.write("set logscale xy\nset grid\nset key left top\n")
            f.write("set format y '10^{%L}'\n")
            f.write("set xlabel '%s'\nset ylabel 'seconds per call'\n" % XLABEL[prob])
            f.write("set xrange [%g:%g]\n" % (min(xs) / 2, max(xs) * 2))
            cmds = []
            for impl, mode, fn in series:
                title = IMPL_TITLE[impl] + (" (value + gradients)" if mode == "grad" else " (value)")
                dash = "dt 1" if mode == "grad" else "dt 2"
                cmds.append("'%s' using 1:2 with linespoints lw 2 pt 7 %s lc rgb '%s' title '%s'"
                            % (fn, dash, color[impl], title))
            f.write("plot " + ", \\\n     ".join(cmds) + "\n")
        if subprocess.call(["gnuplot", gp]) == 0:
            made.append(prob + ".png")
    # the engine
    ok = [r for r in d.engine if r[5] == "0"]
    if ok:
        fn = os.path.join(pdir, "engine.dat")
        with open(fn, "w") as f:
            for r in ok:
                gw = r[4] if r[6] == "0" else "NaN"
                f.write("%s %s %s %s %s\n" % (r[0], r[1], gw, int(r[2]) / 1024.0, int(r[3]) / 1e6))
        gp = os.path.join(pdir, "engine.gp")
        png = os.path.join(results, "engine.png")
        with open(gp, "w") as f:
            f.write("set terminal pngcairo size 900,560 font ',10'\n")
            f.write("set output '%s'\n" % png)
            f.write("set title 'engine scaling: deep tanh network of L layers (width 8)'\n")
            f.write("set logscale xy\nset grid\nset key left top\n")
            f.write("set xlabel 'layers L'\nset ylabel 'seconds'\nset y2label 'MB'\n")
            f.write("set logscale y2\nset y2tics\nset xrange [5:2000]\n")
            f.write("plot '%s' using 1:2 with linespoints lw 2 pt 7 title 'symgrad time', \\\n"
                    "     '%s' using 1:3 with linespoints lw 2 pt 7 title 'gcc -O2 time on its C', \\\n"
                    "     '%s' using 1:4 axes x1y2 with linespoints lw 2 pt 5 dt 2 title 'symgrad peak RSS (MB)', \\\n"
                    "     '%s' using 1:5 axes x1y2 with linespoints lw 2 pt 5 dt 3 title 'C size (MB)'\n"
                    % (fn, fn, fn, fn))
        if subprocess.call(["gnuplot", gp]) == 0:
            made.append("engine.png")
    return made


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    build, results = sys.argv[1], sys.argv[2]
    want_plots = len(sys.argv) < 4 or sys.argv[3] == "1"
    os.makedirs(results, exist_ok=True)
    d = Data(build)
    tg = targets(d)
    md = []
    md.append("# symgrad benchmark results")
    md.append("")
    md.append("Written by `make bench` (bench/run.sh); how to read it: bench/README.md.")
    md.append("Times are the median time of one call, one thread, float64; value + gradients "
              "unless said otherwise. A ratio `X ÷ symgrad` above 1 means symgrad is faster. "
              "The C implementations of a problem and size are timed taking turns, batch by "
              "batch; `PyTorch ÷ symgrad` of value + gradients is paired where the run could "
              "(one batch of each alternating in PyTorch's process, the generated code called "
              "through ctypes: the median over the rounds), so that the machine's drift "
              "between runs does not decide it; the PyTorch column is its own run's median.")
    md.append("")
    for k, v in d.env:
        md.append("- %s: %s" % (k, v))
    if d.meta:
        md.append("- timing: median of %s batches, each ≥ %s s of repeated calls"
                  % (d.meta.get("batches", "?"), d.meta.get("min_batch", "?")))
    md.append("")
    if d.notes:
        md.append("**Notes:**")
        md.append("")
        for _, text in d.notes:
            md.append("- " + text)
        md.append("")
    md.append("## Value and gradients")
    md.append("")
    md.append("Rows marked (--blas) are `symgrad --blas`; rows marked (--dim) are the tiny sizes "
              "generated with every dimension fixed (`--dim m=3 --dim n=5`, `--dim D=5 --dim H=4 "
              "--dim C=3`), the issue's feature for tiny problems; their \"≥ 300×\" target takes "
              "the better of the two outputs and says which.")
    md.append("")
    table = main_table(d, tg)
    md += table
    md.append("")
    spread = sorted(((v[2] / v[1], k) for k, v in d.time.items() if v[1] > 0), reverse=True)
    if spread:
        noisy = ["%s %s %s %s %.2f" % (k[0], pretty_size(k[0], k[1]), IMPL_TITLE.get(k[2], k[2]),
                                       k[3], r) for r, k in spread if r > 1.25]
        md.append("Spread of the batches (slowest ÷ fastest batch of a measurement): at most "
                  "%.2f; median %.2f over %d measurements%s" % (
                      spread[0][0], spread[len(spread) // 2][0], len(spread),
                      (". Above 1.25 (noisy): " + "; ".join(noisy[:12]) +
                       (" …" if len(noisy) > 12 else "") + ".") if noisy else "."))
        md.append("")
    htable = hess_table(d, tg)
    md += htable
    md.append("## Targets")
    md.append("")
    md.append("| target | measured | |")
    md.append("|---|---|---|")
    for _, desc, measured, met in tg:
        md.append("| %s | %s | %s |" % (desc, measured, met_text(met)))
    nmet = sum(1 for t in tg if t[3])
    md.append("")
    md.append("%d of %d targets met." % (nmet, len(tg)))
    md.append("")
    md.append("## Value alone (gradient outputs NULL)")
    md.append("")
    md.append("| problem | size | symgrad | symgrad --blas | symgrad --dim | hand C | OpenBLAS | "
              "PyTorch | grad ÷ value: symgrad | hand C | OpenBLAS | PyTorch |")
    md.append("|" + "---|" * 12)
    for prob in PROBLEMS:
        for size in d.sizes[prob]:
            cells = [prob, pretty_size(prob, size)]
            for impl in ("symgrad", "symgrad_blas", "symgrad_dim", "hand", "blas", "torch"):
                cells.append(fmt_time(d.t(prob, size, impl, "value")) or "—")
            for impl in ("symgrad", "hand", "blas", "torch"):
                v, g = d.t(prob, size, impl, "value"), d.t(prob, size, impl, "grad")
                cells.append(fmt_ratio(g / v) if (v and g) else "—")
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    md.append("## Memory bandwidth (autoencoder 1024×4096)")
    md.append("")
    if d.bw:
        bw = best_bw(d)
        md.append("STREAM-style, one thread, %s MB arrays, best of 10: copy %.1f GB/s, "
                  "triad %.1f GB/s, read-only sum %.1f GB/s, and the same sum with the array "
                  "read as four quarters side by side %s. The bound uses the best of "
                  "them, %.1f GB/s: STREAM's copy and triad leave out the read an ordinary "
                  "store makes of the line it writes, and read one stream per array, so they "
                  "understate what code with several streams in flight and non-temporal "
                  "stores gets (the generated code reads four rows of W side by side, "
                  "sg_dot4, and writes ∂L/∂W with non-temporal stores, sg_stream)."
                  % (int(d.bw.get("array_mb", 0)), d.bw.get("copy", 0) / 1e9,
                     d.bw.get("triad", 0) / 1e9, d.bw.get("read", 0) / 1e9,
                     ("%.1f GB/s" % (d.bw["read4"] / 1e9)) if d.bw.get("read4") else "n/a",
                     bw / 1e9))
        md.append("")
        md.append("W (m×n = 1024×4096, 32 MB) does not fit in the caches. The value reads it "
                  "once (8mn bytes). The gradients read it twice: ∂L/∂W = W(xrᵀ + rxᵀ) needs "
                  "r = WᵀWx − x, which needs all of W, so a second pass over W can only start "
                  "when the first has ended; ∂L/∂W is written once: 24mn bytes, the bound of "
                  "the target. The 16mn row (W read once) is for reference only: no order of "
                  "the work reaches it while W is larger than the caches.")
        md.append("")
        md.append("| call | bytes it must move | bound | symgrad | ÷ bound | OpenBLAS | ÷ bound |")
        md.append("|---|---|---|---|---|---|---|")
        what_of = {
            "grad": "value + gradients: W read twice, ∂L/∂W written once (24mn)",
            "grad_once": "value + gradients, for reference: W read once, ∂L/∂W written once (16mn)",
            "value": "value: W read once (8mn)",
        }
        rank = {"grad": 0, "grad_once": 1, "value": 2}
        for (prob, size, mode), nbytes in sorted(d.bound.items(),
                                                 key=lambda kv: (kv[0][:2], rank.get(kv[0][2], 9))):
            b = nbytes / bw if bw else None
            tmode = "grad" if mode == "grad_once" else mode
            s, o = d.t(prob, size, "symgrad", tmode), d.t(prob, size, "blas", tmode)
            what = what_of.get(mode, mode)
            md.append("| %s | %.1f MB | %s | %s | %s | %s | %s |" % (
                what, nbytes / 1e6, fmt_time(b), fmt_time(s) or "—",
                "%.2f×" % (s / b) if (s and b) else "—", fmt_time(o) or "—",
                "%.2f×" % (o / b) if (o and b) else "—"))
        md.append("")
    md.append("## Engine scaling: deep tanh networks")
    md.append("")
    md.append("h₀ = x, h_k = tanh(W_k h_{k−1}), L = ½‖h_L − y‖², grad wrt every W_k ∈ ℝ^{8×8} "
              "(bench/gen_deep.sh). symgrad time: median of 3 runs; peak RSS: largest of 3; "
              "gcc time: median of 3 compilations (one when it takes over 20 s).")
    md.append("")
    md.append("| layers | symgrad time | symgrad peak RSS | generated C | gcc -O2 time on it |")
    md.append("|---|---|---|---|---|")
    for r in d.engine:
        L, wall, rss, nbytes, gwall, st, gst, gto = r[:8]
        if st != "0":
            md.append("| %s | symgrad failed (status %s) | | | |" % (L, st))
            continue
        if gst == "0":
            g = fmt_time(float(gwall))
        elif gst == "124":
            g = "> %s s (timed out)" % gto
        elif gst == "ice":
            g = "gcc crashed after %s (internal compiler error)" % fmt_time(float(gwall))
        else:
            g = "failed (status %s)" % gst
        md.append("| %s | %s | %.1f MB | %.1f KB | %s |" % (
            L, fmt_time(float(wall)), int(rss) / 1024, int(nbytes) / 1024, g))
    g10, g100 = gcc_time(d, 10), gcc_time(d, 100)
    md.append("| gcc time 100 layers ÷ 10 layers | | | | %s (target ≤ ~%d×: linear in the "
              "layers) |" % (fmt_ratio(g100 / g10) if (g10 and g100) else "n/a",
                             GCC_100_OVER_10))
    md.append("")
    if d.scale:
        md += scale_table(d)
    md.append("## Agreement with the generated code")
    md.append("")
    md.append("Before timing, every output of every implementation is compared with the "
              "generated code's: normwise relative difference max|a − b| / max|b| per output, "
              "the worst one shown; above 1e-9 the implementation is not timed.")
    md.append("")
    md.append("| problem | size | hand C | OpenBLAS | PyTorch | symgrad --blas | symgrad --dim | "
              "symgrad value alone |")
    md.append("|---|---|---|---|---|---|---|---|")
    for prob in PROBLEMS:
        for size in d.sizes[prob]:
            cells = [prob, pretty_size(prob, size)]
            for impl in ("hand", "blas", "torch", "symgrad_blas", "symgrad_dim", "symgrad"):
                c = d.check.get((prob, size, impl))
                cells.append("—" if not c else "%.1e %s" % (c[0], "✓" if c[1] == "ok" else
                                                              "✗ " + c[1] + ", " + c[2]))
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    md.append("The Hessians and the products (every output at once, no value alone):")
    md.append("")
    md.append("| problem | size | hand C | OpenBLAS | PyTorch | PyTorch vectorize | NumPy |")
    md.append("|---|---|---|---|---|---|---|")
    for prob in HESS_PROBLEMS + ["gemm"]:
        for size in d.sizes[prob]:
            cells = [prob, pretty_size(prob, size)]
            for impl in ("hand", "blas", "torch", "torch_vec", "numpy"):
                c = d.check.get((prob, size, impl))
                cells.append("—" if not c else "%.1e %s" % (c[0], "✓" if c[1] == "ok" else
                                                              "✗ " + c[1] + ", " + c[2]))
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    made = plots(d, results, build) if want_plots else []
    if made:
        md.append("## Plots")
        md.append("")
        for p in made:
            md.append("![%s](%s)" % (p[:-4], p))
        md.append("")
    with open(os.path.join(results, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    print("\n".join(table))
    print()
    print("\n".join(htable))
    print("| target | measured | |")
    print("|---|---|---|")
    for _, desc, measured, met in tg:
        print("| %s | %s | %s |" % (desc, measured, met_text(met)))
    print("\n%d of %d targets met. Full report: %s" % (nmet, len(tg),
                                                      os.path.join(results, "results.md")))


if __name__ == "__main__":
    main()
