@banner@#
# A Python module (symgrad --python): NumPy and the standard library only.
#
#     import NAME
#     r = NAME.evaluate(W=W, x=x, want=("L", "dL_dW"))   # a dict of arrays
#
# The C below is compiled with $CC (default cc) on first use, into a cache
# keyed by its hash ($SYMGRAD_CACHE, else $XDG_CACHE_HOME/symgrad, else
# ~/.cache/symgrad); a library built beforehand from the same C is used
# instead when the environment variable named by LIBRARY_ENV names it.
#
# Names: an input is passed, and a result is keyed, by its name in the C
# (W₁ is W1, β is beta, ∂L/∂W is dL_dW); a name that is a Python keyword,
# or is want or dims, gets a _ after it (λ: lambda_), and again while it
# is taken.
#
# Arrays: row-major, as the C reads them; any real dtype, any strides (they
# are converted, a copy when needed). A vector is 1-d, a matrix 2-d, a
# scalar a number or 0-d array; a sequence x[t] is one array of its steps,
# T×k for steps in ℝᵏ. Results are new arrays (a scalar is a NumPy scalar).
#
# Errors: ValueError for a shape that does not match the declared
# dimensions (naming the input and both shapes), TypeError for a missing or
# unknown input or a dtype that is not real, SingularMatrixError and
# NotPositiveDefiniteError (both numpy.linalg.LinAlgError) for the codes
# P_eval returns, naming the matrix; a compiler that fails is a
# RuntimeError with its messages. Run as a script, the module prints its
# manifest (symgrad --manifest: docs/manifest.schema.json).
import ctypes
import hashlib
import json
import keyword
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

MANIFEST = json.loads("""@manifest@""")

SOURCE = """@source@"""

PREFIX = MANIFEST["prefix"]
DTYPE = np.dtype(np.float32 if MANIFEST["scalar"] == "float" else np.float64)
LIBRARY_ENV = "SYMGRAD_LIB_" + PREFIX.upper()


class SingularMatrixError(np.linalg.LinAlgError):
    """P_eval returned P_ESINGULAR: a matrix it solves with is singular."""


class NotPositiveDefiniteError(np.linalg.LinAlgError):
    """P_eval returned P_ENOTSPD: a matrix it factors by Cholesky is not
    positive definite."""


def python_name(c_name, taken=()):
    """The documented rule: a Python keyword, want or dims gets a _ after
    it, and again while the name is taken."""
    name = c_name
    while keyword.iskeyword(name) or name in ("want", "dims") or name in taken:
        name += "_"
    return name


def _names(items):
    taken, out = set(), []
    for item in items:
        name = python_name(item["c_name"], taken)
        taken.add(name)
        out.append(name)
    return out


INPUTS = _names(MANIFEST["inputs"])
RESULTS = _names(MANIFEST["results"])
_real = ctypes.c_float if DTYPE == np.float32 else ctypes.c_double
_ptr = ctypes.POINTER(_real)


class Dims(ctypes.Structure):
    _fields_ = [(d["c_name"], ctypes.c_long) for d in MANIFEST["dims"]] or [("unused", ctypes.c_long)]


class In(ctypes.Structure):
    _fields_ = [(i["c_name"], _ptr) for i in MANIFEST["inputs"]] or [("unused", ctypes.c_int)]


class Out(ctypes.Structure):
    _fields_ = [(r["c_name"], _ptr) for r in MANIFEST["results"]]


_lib = None


def _cache_dir():
    d = os.environ.get("SYMGRAD_CACHE")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "symgrad")
    return d


def _compile():
    """The C compiled into a shared library in the cache (once per C text,
    compiler and flags); its path."""
    cc = shlex.split(os.environ.get("CC") or "cc")
    flags = ["-O2", "-fPIC", "-shared"]
    key = hashlib.sha256("\0".join(cc + flags + [SOURCE]).encode("utf-8")).hexdigest()[:24]
    d = _cache_dir()
    lib = os.path.join(d, "%s-%s.so" % (PREFIX, key))
    if os.path.exists(lib):
        return lib
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=d) as tmp:
        src = os.path.join(tmp, PREFIX + ".c")
        with open(src, "w", encoding="utf-8") as f:
            f.write(SOURCE)
        out = os.path.join(tmp, "lib.so")
        try:
            run = subprocess.run(cc + flags + ["-o", out, src, "-lm"], capture_output=True, text=True)
        except OSError as e:
            raise RuntimeError("%s: cannot run the C compiler %r (set CC, or %s to a built library): %s"
                               % (PREFIX, " ".join(cc), LIBRARY_ENV, e)) from e
        if run.returncode != 0:
            raise RuntimeError("%s: compiling the generated C failed (%s):\n%s"
                               % (PREFIX, " ".join(cc + flags), run.stderr))
        os.replace(out, lib)  # atomic: another process sees all of it or none
    return lib


def load():
    """The compiled library (compiled on first use, or $LIBRARY_ENV)."""
    global _lib
    if _lib is None:
        path = os.environ.get(LIBRARY_ENV) or _compile()
        lib = ctypes.CDLL(path)
        fn = getattr(lib, MANIFEST["functions"]["eval"])
        fn.argtypes = [ctypes.POINTER(Dims), ctypes.POINTER(In), ctypes.POINTER(Out), ctypes.c_void_p]
        fn.restype = ctypes.c_int
        ws = getattr(lib, MANIFEST["functions"]["work_size"])
        ws.argtypes = [ctypes.POINTER(Dims)]
        ws.restype = ctypes.c_size_t
        _lib = (lib, fn, ws)
    return _lib


def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _axis(entry):
    """(dimension, plus) of one entry of a manifest shape; dimension None
    for a number"""
    if isinstance(entry, int):
        return None, entry
    if isinstance(entry, dict):
        return entry["dim"], entry["plus"]
    return entry, 0


def _declared(shape):
    """a manifest shape as text: (m, n), (T - 1, k)"""
    parts = []
    for entry in shape:
        d, plus = _axis(entry)
        parts.append(str(plus) if d is None else d if plus == 0 else "%s %s %d" % (d, "+-"[plus < 0], abs(plus)))
    return _shape_text(parts)


def _resolve(shape, dims):
    return tuple(plus if d is None else dims[d] + plus for d, plus in map(_axis, shape))


def _infer(arrays, dims):
    """the dimensions from the arrays' shapes, each checked against the
    others; dims holds the ones given"""
    where = {d: "dims=" for d in dims}
    for fixed in MANIFEST["dims"]:
        if fixed["fixed"] is not None:
            if dims.get(fixed["c_name"], fixed["fixed"]) != fixed["fixed"]:
                raise ValueError("dims: %s is fixed to %d when generating, not %d"
                                 % (fixed["c_name"], fixed["fixed"], dims[fixed["c_name"]]))
            dims[fixed["c_name"]] = fixed["fixed"]
            where[fixed["c_name"]] = "symgrad --dim"
    for spec, name in zip(MANIFEST["inputs"], INPUTS):
        a = arrays[name]
        shape = spec["shape"]
        if a.ndim != len(shape):
            raise ValueError("%s: expected %d-d array of shape %s, got shape %s"
                             % (name, len(shape), _declared(shape), _shape_text(a.shape)))
        for axis, entry in enumerate(shape):
            d, plus = _axis(entry)
            if d is not None and d not in dims:
                dims[d] = a.shape[axis] - plus
                where[d] = "%s %s" % (name, _shape_text(a.shape))
        want = _resolve(shape, dims)
        if a.shape != want:
            src = ", ".join("%s = %d from %s" % (d, dims[d], where[d]) for d in sorted(
                {_axis(e)[0] for e in shape} - {None}))
            raise ValueError("%s: shape %s does not match %s = %s (%s)"
                             % (name, _shape_text(a.shape), _declared(shape), _shape_text(want), src))
    for d in MANIFEST["dims"]:
        if d["c_name"] not in dims:
            raise ValueError("the dimension %s is in no input: pass it as dims={'%s': ...}"
                             % (d["c_name"], d["c_name"]))
        if dims[d["c_name"]] < 0:
            raise ValueError("the dimension %s would be %d" % (d["c_name"], dims[d["c_name"]]))
    return dims


def _convert(name, value):
    a = np.asarray(value)
    if a.dtype.kind not in "biuf":
        raise TypeError("%s: an array of %s cannot be converted to %s (real numbers only)"
                        % (name, a.dtype, DTYPE))
    return np.asarray(a, dtype=DTYPE, order="C")  # a copy only when needed; 0-d stays 0-d


def _failed(code):
    """the exception for a code P_eval returned"""
    codes = {c["value"]: c for c in MANIFEST["codes"]}
    c = codes.get(code)
    name = c["name"] if c else str(code)
    mats = [f["matrix"] + ("" if f["matrix"] == f["formula"] else " = " + f["formula"])
            for f in MANIFEST["factorizations"] if f["code"] == name]
    what = mats[0] if len(mats) == 1 else "one of " + ", ".join(mats) if mats else "a matrix"
    if name == "ESINGULAR":
        return SingularMatrixError("%s: %s is singular" % (PREFIX, what))
    if name == "ENOTSPD":
        return NotPositiveDefiniteError("%s: %s is not positive definite" % (PREFIX, what))
    return RuntimeError("%s_eval returned %s (%s)" % (PREFIX, name, c["meaning"] if c else "unknown"))


def evaluate(want=None, dims=None, **inputs):
    """The results named in want (default: all of RESULTS) at the inputs
    given by name (all of INPUTS), as a dict of NumPy arrays. dims gives
    dimensions no input's shape tells."""
    want = tuple(RESULTS) if want is None else (want,) if isinstance(want, str) else tuple(want)
    for w in want:
        if w not in RESULTS:
            raise ValueError("want: %s computes no %r; its results are %s" % (PREFIX, w, ", ".join(RESULTS)))
    for k in inputs:
        if k not in INPUTS:
            raise TypeError("%s.evaluate(): no input %r; the inputs are %s" % (PREFIX, k, ", ".join(INPUTS)))
    missing = [k for k in INPUTS if k not in inputs]
    if missing:
        raise TypeError("%s.evaluate(): missing input%s %s" % (PREFIX, "s" * (len(missing) > 1), ", ".join(missing)))
    arrays = {k: _convert(k, v) for k, v in inputs.items()}
    dims = _infer(arrays, dict(dims or {}))
    lib, fn, ws = load()
    cdims = Dims(*[dims[d["c_name"]] for d in MANIFEST["dims"]])
    cin = In(*[arrays[k].ctypes.data_as(_ptr) for k in INPUTS])
    outs, cout = {}, Out()
    for spec, name in zip(MANIFEST["results"], RESULTS):
        if name in want:
            outs[name] = np.empty(_resolve(spec["shape"], dims), dtype=DTYPE)
            setattr(cout, spec["c_name"], outs[name].ctypes.data_as(_ptr))
    size = ws(ctypes.byref(cdims))
    if size == ctypes.c_size_t(-1).value:
        raise MemoryError("%s: the work memory for these dimensions is more than a size_t counts" % PREFIX)
    work = np.empty(size // DTYPE.itemsize + 1, dtype=DTYPE)
    code = fn(ctypes.byref(cdims), ctypes.byref(cin), ctypes.byref(cout), work.ctypes.data_as(ctypes.c_void_p))
    if code != 0:
        raise _failed(code)
    return {k: (v[()] if v.ndim == 0 else v) for k, v in outs.items()}


if __name__ == "__main__":
    json.dump(MANIFEST, sys.stdout, indent=2, ensure_ascii=False)
    print()
