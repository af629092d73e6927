#!/usr/bin/python3
"""bench/torch_bench.py: the benchmark problems in PyTorch on the CPU.

    /usr/bin/python3 bench/torch_bench.py BUILDDIR [PROBLEM...]

Reads the inputs and the generated code's results that bench/harness wrote to
BUILDDIR/data/, checks that PyTorch agrees with them (normwise relative
difference <= 1e-9 on every output), then times one call the way harness.c
does: float64, one thread, autograd; the value alone under torch.no_grad(),
value + gradients as forward + torch.autograd.grad. A measurement is the
median over BENCH_BATCHES (default 5) batches of the per-call time; a batch
repeats the call until it lasts BENCH_MIN_BATCH seconds (default 0.2).
Appends lines in harness.c's format to BUILDDIR/torch_results.tsv.

The Hessians of Laue, Mitterreiter and Giesen (NeurIPS 2018; quadform_hess,
logreg_hess, mf_hess) are timed in one mode, "hess", three ways:
torch.autograd.functional.hessian(f, w) plain ("torch") and with
vectorize=True ("torch_vec"), and the NumPy closed form that
matrixcalculus.org prints ("numpy"; NumPy on OpenBLAS, OPENBLAS_NUM_THREADS=1),
each checked against the generated code's Hessian first.

Value + gradients are also timed paired: the generated code, built as shared
libraries by bench/run.sh (BUILDDIR/obj/NAME.so), is called through ctypes
from this process, and batches of it and of PyTorch alternate,
BENCH_PAIRED_ROUNDS rounds (default 9), which goes first taking turns (only
where a call of the generated code takes 50 µs or more: ctypes adds about
half a microsecond to each). The ratio of a round is PyTorch's batch time over symgrad's; the result
is the median ratio. Both sides then see the same state of a shared machine,
which drifts by ±20% between runs minutes apart and would otherwise decide a
ratio near 1 by when each was run.
"""
import ctypes
import re
import os
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TOL = 1e-9
MIN_BATCH = float(os.environ.get("BENCH_MIN_BATCH", "0.2"))
BATCHES = max(1, int(os.environ.get("BENCH_BATCHES", "5")))
ROUNDS = max(1, int(os.environ.get("BENCH_PAIRED_ROUNDS", "9")))
# a call through ctypes costs about half a microsecond more than from C: paired
# only where one call of the generated code takes 50 µs or more (≤ 1%, and
# against symgrad); the tiny sizes keep the ratio of the two runs' medians
PAIRED_MIN_CALL = 50e-6
BUILD = "bench/build"  # BUILDDIR, set by main
ORDER = ["autoencoder", "mlp_swish", "mlp_batch", "gp_loglik",
         "quadform_hess", "logreg_hess", "mf_hess"]


def load(meta_path):
    meta = {"dims": [], "in": [], "out": []}
    with open(meta_path) as f:
        for line in f:
            w = line.split()
            if w[0] in ("problem", "size"):
                meta[w[0]] = w[1]
            elif w[0] == "xsize":
                meta["xsize"] = w[1]
            elif w[0] == "dim":
                meta["dims"].append(int(w[1]))
            else:
                meta[w[0]].append((w[1], int(w[2])))
    flat = np.fromfile(meta_path[:-5] + ".bin", dtype="<f8")
    pos = 0
    arrays = {}
    for kind in ("in", "out"):
        for name, n in meta[kind]:
            arrays[name] = torch.from_numpy(flat[pos:pos + n].copy())
            pos += n
    if pos != flat.size:
        raise SystemExit("torch_bench: %s: size mismatch" % meta_path)
    return meta, arrays


# Each setup returns (f, params, outputs): f() computes L from the tensors in
# params (the ones differentiated, requires_grad) and the constants it closes
# over; outputs names the reference arrays of L and of each gradient.

def setup_autoencoder(d, a):
    m, n = d[0], d[1]
    W = a["W"].reshape(m, n).requires_grad_()
    x = a["x"].requires_grad_()

    def f():
        # WᵀWx as the row vector (Wx)ᵀW: the same numbers, and PyTorch's
        # fastest natural spelling (W.t() @ (W @ x) backpropagates through a
        # transposed add and takes ~1.4x longer at 1024x4096)
        r = (W @ x) @ W - x
        return 0.5 * torch.dot(r, r)
    return f, [W, x], ["L", "dL_dW", "dL_dx"]


def setup_mlp_swish(d, a):
    D, H, C = d[0], d[1], d[2]
    x, y = a["x"], a["y"]
    W1 = a["W1"].reshape(H, D).requires_grad_()
    b1 = a["b1"].requires_grad_()
    W2 = a["W2"].reshape(C, H).requires_grad_()
    b2 = a["b2"].requires_grad_()

    def f():
        h1 = F.silu(torch.addmv(b1, W1, x))
        z2 = torch.addmv(b2, W2, h1)
        return -torch.dot(y, F.log_softmax(z2, dim=0))
    return f, [W1, b1, W2, b2], ["L", "dL_dW1", "dL_db1", "dL_dW2", "dL_db2"]


def setup_mlp_batch(d, a):
    D, H, C, N = d[0], d[1], d[2], d[3]
    X = a["X"].reshape(D, N)
    Y = a["Y"].reshape(C, N)
    W1 = a["W1"].reshape(H, D).requires_grad_()
    b1 = a["b1"].requires_grad_()
    W2 = a["W2"].reshape(C, H).requires_grad_()
    b2 = a["b2"].requires_grad_()

    def f():
        H1 = F.silu(torch.addmm(b1.unsqueeze(1), W1, X))
        Z2 = torch.addmm(b2.unsqueeze(1), W2, H1)
        return -(Y * F.log_softmax(Z2, dim=0)).sum() / N
    return f, [W1, b1, W2, b2], ["L", "dL_dW1", "dL_db1", "dL_dW2", "dL_db2"]


def setup_gp_loglik(d, a):
    N, Q, D = d[0], d[1], d[2]
    X = a["X"].reshape(N, Q).requires_grad_()
    Y = a["Y"].reshape(N, D)
    beta = a["beta"].reshape(()).clone().requires_grad_()
    eye = torch.eye(N, dtype=torch.float64)

    def f():
        K = X @ X.t() + beta * eye
        Lc = torch.linalg.cholesky(K)
        logdet = 2.0 * torch.log(torch.diagonal(Lc)).sum()
        A = torch.cholesky_solve(Y, Lc)
        return -0.5 * D * logdet - 0.5 * (Y * A).sum()
    return f, [X, beta], ["L", "dL_dX", "dL_dbeta"]


SETUP = {
    "autoencoder": setup_autoencoder,
    "mlp_swish": setup_mlp_swish,
    "mlp_batch": setup_mlp_batch,
    "gp_loglik": setup_gp_loglik,
}


# The Hessians: each setup returns (f, w, ref, closed): f(w) is L as a function
# of the variable alone (the other inputs are constants it closes over), w the
# point, ref the name of the reference Hessian, closed() the NumPy closed form
# (a 2-D array; matrixcalculus.org's expression).

def setup_quadform_hess(d, a):
    n = d[0]
    A = a["A"].reshape(n, n)
    x = a["x"]
    An = A.numpy()

    def f(x):
        return x @ (A @ x)

    def closed():
        return An + An.T
    return f, x, "d2L_dx2", closed


def setup_logreg_hess(d, a):
    N, D = d[0], d[1]
    X = a["X"].reshape(N, D)
    y, w, lam = a["y"], a["w"], a["lambda"].reshape(())
    Xn, wn, lamn = X.numpy(), w.numpy(), float(lam)

    def f(w):
        # PyTorch's stable idiom for the mean log loss; its second derivative
        # is Xᵀdiag(p ⊙ (𝟙 − p))X/N, as the cross-entropy written out
        return F.binary_cross_entropy_with_logits(X @ w, y) + 0.5 * lam * torch.dot(w, w)

    def closed():
        p = 1.0 / (1.0 + np.exp(-(Xn @ wn)))
        dd = p * (1.0 - p)
        return Xn.T @ (dd[:, None] * Xn) / N + lamn * np.eye(D)
    return f, w, "d2L_dw2", closed


def setup_mf_hess(d, a):
    m, k, n = d[0], d[1], d[2]
    T = a["T"].reshape(m, n)
    U = a["U"].reshape(m, k)
    V = a["V"].reshape(n, k)
    Vn = V.numpy()

    def f(U):
        R = T - U @ V.t()
        return (R * R).sum()

    def closed():
        return 2.0 * np.kron(np.eye(m), Vn.T @ Vn)
    return f, U, "d2L_dU2", closed


HESS = {
    "quadform_hess": setup_quadform_hess,
    "logreg_hess": setup_logreg_hess,
    "mf_hess": setup_mf_hess,
}


def run_hess(out, meta, a):
    """check, then time, the three Hessians of one problem"""
    prob, size = meta["problem"], meta["size"]
    f, w, ref, closed = HESS[prob](meta["dims"], a)
    hess = torch.autograd.functional.hessian
    sg = symgrad_call(BUILD, prob, dict(zip(DIM_NAMES[prob], meta["dims"])), a, [ref])
    if sg is not None and batch(sg, calibrate(sg)) < PAIRED_MIN_CALL:
        sg = None
    calls = [
        ("torch", lambda: hess(f, w)),
        ("torch_vec", lambda: hess(f, w, vectorize=True)),
        ("numpy", closed),
    ]
    for impl, call in calls:
        got = call()
        if isinstance(got, np.ndarray):
            got = torch.from_numpy(np.ascontiguousarray(got))
        if got.numel() != a[ref].numel():
            worst, detail = float("inf"), "%d entries for %d" % (got.numel(), a[ref].numel())
        else:
            worst, detail = reldiff(got, a[ref]), "worst output " + ref
        ok = worst <= TOL
        out.write("check\t%s\t%s\t%s\t%.3g\t%s\t%s\n"
                  % (prob, size, impl, worst, "ok" if ok else "MISMATCH", detail))
        out.flush()
        sys.stderr.write("  check %-12s %-10s %-13s rel %.2e %s\n"
                         % (prob, size, impl, worst, "ok" if ok else "MISMATCH (not timed)"))
        if not ok:
            continue
        med, lo, hi, n = time_call(call)
        out.write("time\t%s\t%s\t%s\t%s\thess\t%.6e\t%.6e\t%.6e\t%d\t%d\n"
                  % (prob, size, meta["xsize"], impl, med, lo, hi, n, BATCHES))
        out.flush()
        sys.stderr.write("  time  %-12s %-10s %-13s %-5s %.4e s  (%d calls x %d)\n"
                         % (prob, size, impl, "hess", med, n, BATCHES))
        # paired with the generated code's Hessian alone (bench/run.sh's
        # BUILDDIR/obj/PROBLEM.so, L not asked for)
        if sg is None:
            continue
        ratio, lo, hi, tt, ts = time_paired(call, sg)
        out.write("paired\t%s\t%s\tsymgrad\thess:%s\t%.6e\t%.6e\t%.6e\t%.6e\t%.6e\t%d\n"
                  % (prob, size, impl, ratio, lo, hi, tt, ts, ROUNDS))
        out.flush()
        sys.stderr.write("  paired %-11s %-10s %-13s %s ÷ it %.3f (%.3f–%.3f, %d rounds)\n"
                         % (prob, size, "symgrad", impl, ratio, lo, hi, ROUNDS))


def reldiff(a, b):
    a = a.detach().reshape(-1)
    b = b.reshape(-1)
    num = (a - b).abs().max().item()
    den = b.abs().max().item()
    if num != num:
        return float("inf")
    if den == 0:
        return 0.0 if num == 0 else float("inf")
    return num / den


def calibrate(call):
    """the calls of a batch: enough for it to last MIN_BATCH seconds"""
    call()
    call()
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            call()
        dt = time.perf_counter() - t0
        if dt >= MIN_BATCH:
            return calls
        calls = calls * 10 if dt < MIN_BATCH / 100 else int(calls * MIN_BATCH * 1.1 / dt) + 1


def batch(call, calls):
    """the time of one call, from a batch of calls"""
    t0 = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - t0) / calls


def median(t):
    t = sorted(t)
    k = len(t)
    return t[k // 2] if k % 2 else 0.5 * (t[k // 2 - 1] + t[k // 2])


def time_call(call):
    calls = calibrate(call)
    t = [batch(call, calls) for _ in range(BATCHES)]
    return median(t), min(t), max(t), calls


def time_paired(torch_call, sg_call):
    """ROUNDS rounds of one batch of each, which goes first taking turns: the
    median of PyTorch's time ÷ symgrad's per round, and each side's median time"""
    nt, ns = calibrate(torch_call), calibrate(sg_call)
    ratios, tt, ts = [], [], []
    for r in range(ROUNDS):
        if r % 2 == 0:
            a = batch(torch_call, nt)
            b = batch(sg_call, ns)
        else:
            b = batch(sg_call, ns)
            a = batch(torch_call, nt)
        ratios.append(a / b)
        tt.append(a)
        ts.append(b)
    return median(ratios), min(ratios), max(ratios), median(tt), median(ts)


# the dimensions of each problem in the order bench/harness writes them, by the
# names of the generated code's P_dims; and the generated code's shared
# libraries (bench/run.sh builds them) by the implementation they are: a
# library generated for fixed dimensions (--dim) answers the other sizes with
# an error and is left out there
DIM_NAMES = {"autoencoder": ["m", "n"], "mlp_swish": ["D", "H", "C"],
             "mlp_batch": ["D", "H", "C", "N"], "gp_loglik": ["N", "Q", "D"],
             "quadform_hess": ["n"], "logreg_hess": ["N", "D"], "mf_hess": ["m", "k", "n"]}
LIBS = {"autoencoder": [("symgrad", "autoencoder"), ("symgrad_dim", "ae_dim")],
        "mlp_swish": [("symgrad", "mlp_swish"), ("symgrad_dim", "mlp_dim")],
        "mlp_batch": [("symgrad", "mlp_batch"), ("symgrad_blas", "mlp_batch_blas")],
        "gp_loglik": [("symgrad", "gp_loglik")]}


def c_struct(header, name):
    """a ctypes Structure for `typedef struct { … } name;` in header: its fields,
    in order, each a long or a pointer"""
    m = re.search(r"typedef struct \{([^{}]*)\} %s;" % re.escape(name), header)
    if not m:
        return None
    fields = []
    for line in m.group(1).splitlines():
        decl = line.split("/*")[0].strip().rstrip(";").strip()
        if not decl:
            continue
        if "*" in decl:
            fields.append((decl.rsplit("*", 1)[1].strip(), ctypes.c_void_p))
        elif decl.startswith("long "):
            fields.append((decl.split()[-1], ctypes.c_long))
        else:
            return None
    return type(name, (ctypes.Structure,), {"_fields_": fields})


def symgrad_call(build, name, dims, a, outs):
    """the generated code of BUILDDIR/gen/NAME.{c,h} (built by bench/run.sh as
    BUILDDIR/obj/NAME.so), value + gradients on the arrays of a, as a function
    of no argument; dims: the dimensions by name; outs: the outputs to compute
    (the others are NULL). None when the library is not there or does not agree
    with the harness's results."""
    so = os.path.join(build, "obj", name + ".so")
    hdr = os.path.join(build, "gen", name + ".h")
    if not (os.path.exists(so) and os.path.exists(hdr)):
        return None
    text = open(hdr).read()
    m = re.search(r"size_t (\w+)_work_size\(", text)
    if not m:
        return None
    prefix = m.group(1)
    Dims, In, Out = (c_struct(text, prefix + s) for s in ("_dims", "_in", "_out"))
    if not (Dims and In and Out):
        return None
    lib = ctypes.CDLL(os.path.abspath(so))
    d = Dims(**{f: dims[f] for f, _ in Dims._fields_})
    keep = []
    args = {}
    for f, _ in In._fields_:
        t = a[f].contiguous()
        keep.append(t)
        args[f] = t.data_ptr()
    inp = In(**args)
    res = {}
    for f in outs:  # the others stay NULL: not computed
        res[f] = torch.empty(a[f].numel(), dtype=torch.float64)
    out = Out(**{f: t.data_ptr() for f, t in res.items()})
    lib["%s_work_size" % prefix].restype = ctypes.c_size_t
    lib["%s_work_size" % prefix].argtypes = [ctypes.c_void_p]
    nbytes = lib["%s_work_size" % prefix](ctypes.byref(d))
    work = torch.empty(nbytes // 8 + 1, dtype=torch.float64)
    ev = lib["%s_eval" % prefix]
    ev.restype = ctypes.c_int
    ev.argtypes = [ctypes.c_void_p] * 4
    dp, ip, op, wp = ctypes.byref(d), ctypes.byref(inp), ctypes.byref(out), work.data_ptr()

    def call():
        return ev(dp, ip, op, wp)
    if call() != 0 or any(not reldiff(res[f], a[f]) <= TOL for f in outs):
        return None
    call.keep = (keep, res, work, d, inp, out, lib)
    return call


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    global BUILD
    build = BUILD = sys.argv[1]
    only = set(sys.argv[2:])
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    datadir = os.path.join(build, "data")
    metas = [m for m in os.listdir(datadir) if m.endswith(".meta")]
    cases = []
    for m in metas:
        meta, arrays = load(os.path.join(datadir, m))
        if only and meta["problem"] not in only:
            continue
        if meta["problem"] not in SETUP and meta["problem"] not in HESS:
            continue
        cases.append((ORDER.index(meta["problem"]), float(meta["xsize"]), meta, arrays))
    cases.sort(key=lambda c: (c[0], c[1]))
    out = open(os.path.join(build, "torch_results.tsv"), "w")
    out.write("note\ttorch_version\t%s\n" % torch.__version__)
    out.write("note\ttorch_threads\t%d\n" % torch.get_num_threads())
    for _, _, meta, a in cases:
        prob, size = meta["problem"], meta["size"]
        if prob in HESS:
            run_hess(out, meta, a)
            continue
        f, params, names = SETUP[prob](meta["dims"], a)
        L = f()
        grads = torch.autograd.grad(L, params)
        worst, worst_name = 0.0, "-"
        for name, got in zip(names, [L] + list(grads)):
            r = reldiff(got, a[name])
            if not r <= worst:
                worst, worst_name = r, name
        with torch.no_grad():
            r = reldiff(f(), a["L"])
        if not r <= worst:
            worst, worst_name = r, "L (value alone)"
        ok = worst <= TOL
        out.write("check\t%s\t%s\ttorch\t%.3g\t%s\tworst output %s\n"
                  % (prob, size, worst, "ok" if ok else "MISMATCH", worst_name))
        out.flush()
        sys.stderr.write("  check %-12s %-10s %-13s rel %.2e %s\n"
                         % (prob, size, "torch", worst, "ok" if ok else "MISMATCH (not timed)"))
        if not ok:
            continue

        def value():
            with torch.no_grad():
                return f()

        def grad():
            return torch.autograd.grad(f(), params)

        for mode, call in (("value", value), ("grad", grad)):
            med, lo, hi, calls = time_call(call)
            out.write("time\t%s\t%s\t%s\ttorch\t%s\t%.6e\t%.6e\t%.6e\t%d\t%d\n"
                      % (prob, size, meta["xsize"], mode, med, lo, hi, calls, BATCHES))
            out.flush()
            sys.stderr.write("  time  %-12s %-10s %-13s %-5s %.4e s  (%d calls x %d)\n"
                             % (prob, size, "torch", mode, med, calls, BATCHES))
        dims = dict(zip(DIM_NAMES[prob], meta["dims"]))
        for impl, lib in LIBS[prob]:
            call = symgrad_call(build, lib, dims, a, names)
            if call is None:
                sys.stderr.write("  paired %-11s %-10s %-13s n/a (no %s.so, or it fails or disagrees"
                                 " here)\n"
                                 % (prob, size, impl, lib))
                continue
            t = batch(call, calibrate(call))
            if t < PAIRED_MIN_CALL:
                sys.stderr.write("  paired %-11s %-10s %-13s n/a (a call takes %.2g s: ctypes' own"
                                 " cost would weigh)\n" % (prob, size, impl, t))
                continue
            ratio, lo, hi, tt, ts = time_paired(grad, call)
            out.write("paired\t%s\t%s\t%s\tgrad\t%.6e\t%.6e\t%.6e\t%.6e\t%.6e\t%d\n"
                      % (prob, size, impl, ratio, lo, hi, tt, ts, ROUNDS))
            out.flush()
            sys.stderr.write("  paired %-11s %-10s %-13s torch ÷ it %.3f (%.3f–%.3f; %.4e s ÷ %.4e s,"
                             " %d rounds)\n" % (prob, size, impl, ratio, lo, hi, tt, ts, ROUNDS))
    out.close()


if __name__ == "__main__":
    main()
