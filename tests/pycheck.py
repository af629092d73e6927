"""pycheck.py: the --python modules and the --manifest of every example,
checked from Python (run by tests/python.sh, which finds a python3 with
NumPy).

    python3 tests/pycheck.py SYMGRAD WORKDIR EXAMPLE.sg...

For each example: its manifest validates against docs/manifest.schema.json
(with python3-jsonschema when it is installed, else with the small
validator below, which reads the same schema: types, required and unknown
keys, enums, patterns, references); its module, for double and for
-t float, gives every result --eval gives at random inputs that respect
the declarations (spd, symmetric, Δ), and every derivative agrees with
central differences of the module's own values. Then the documented
errors: a wrong shape is a ValueError naming the input and both shapes, a
complex or text array a TypeError, integer, Fortran-order and strided
arrays are converted; a singular K in gp_loglik is SingularMatrixError
naming K; λ is passed as lambda_; a prebuilt library named by
SYMGRAD_LIB_<PREFIX> is used without compiling; the cache compiles once;
and with cffi installed, --cdef parses and calls the same library.
tests/python-seq.sg adds a gradient with respect to a sequence, a
sequence of T − 1 steps and a Cholesky factorization that fails.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np

SYMGRAD, WORK = sys.argv[1], sys.argv[2]
EXAMPLES = sys.argv[3:]
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return cond


def symgrad(*args):
    run = subprocess.run([SYMGRAD] + list(args), capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("symgrad %s: %s" % (" ".join(args), run.stderr))
    return run.stdout


# ---- the manifest against the schema ----------------------------------------

def validate(value, schema, root, path="$"):
    """the errors of value against the part of JSON Schema the manifest's
    schema uses"""
    if "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return validate(value, node, root, path)
    errs = []
    types = schema.get("type")
    if types is not None:
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok_type = False
        for t in types if isinstance(types, list) else [types]:
            if t == "integer":
                ok_type |= isinstance(value, int) and not isinstance(value, bool)
            else:
                ok_type |= isinstance(value, kinds[t])
        if not ok_type:
            return ["%s: %r is not %s" % (path, value, types)]
    if "const" in schema and value != schema["const"]:
        errs.append("%s: %r is not %r" % (path, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r is not one of %r" % (path, value, schema["enum"]))
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errs.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
    if "minimum" in schema and isinstance(value, int) and value < schema["minimum"]:
        errs.append("%s: %r < %r" % (path, value, schema["minimum"]))
    if "oneOf" in schema:
        n = sum(not validate(value, s, root, path) for s in schema["oneOf"])
        if n != 1:
            errs.append("%s: %r matches %d of oneOf" % (path, value, n))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s: no %s" % (path, k))
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                errs += validate(v, props[k], root, path + "." + k)
            elif schema.get("additionalProperties") is False:
                errs.append("%s: unknown key %s" % (path, k))
        if "if" in schema and not validate(value, schema["if"], root, path):
            errs += validate(value, schema["then"], root, path)
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append("%s: more than %d items" % (path, schema["maxItems"]))
        for i, v in enumerate(value):
            errs += validate(v, schema.get("items", {}), root, "%s[%d]" % (path, i))
    return errs


with open(os.path.join(TOP, "docs", "manifest.schema.json"), encoding="utf-8") as f:
    SCHEMA = json.load(f)
try:
    import jsonschema
except ImportError:
    jsonschema = None


def check_manifest(sg):
    man = json.loads(symgrad("--manifest", sg))
    errs = validate(man, SCHEMA, SCHEMA)
    ok(not errs, "%s: the manifest against the schema: %s" % (sg, errs[:3]))
    if jsonschema is not None:
        try:
            jsonschema.validate(man, SCHEMA)
            ok(True, "")
        except jsonschema.ValidationError as e:
            ok(False, "%s: jsonschema: %s" % (sg, e.message))
    # what it says is what the header says
    symgrad(sg, "-o", os.path.join(WORK, "m.c"), "-H", os.path.join(WORK, "m.h"))
    with open(os.path.join(WORK, "m.h"), encoding="utf-8") as f:
        header = f.read()
    for item in man["inputs"] + man["results"] + man["dims"]:
        ok(re.search(r"\b%s;" % item["c_name"], header), "%s: %s is a field of the header" % (sg, item["c_name"]))
    return man


# ---- values -----------------------------------------------------------------

def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def random_inputs(mod, rng):
    """inputs as declared, the dimensions 2, 3, 4, … in the order of P_dims"""
    dims = {d["c_name"]: d["fixed"] or 2 + i % 3 for i, d in enumerate(mod.MANIFEST["dims"])}
    values = {}
    for spec, name in zip(mod.MANIFEST["inputs"], mod.INPUTS):
        shape = mod._resolve(spec["shape"], dims)
        a = rng.uniform(-1, 1, shape)
        kind = spec.get("step_kind", spec["kind"])
        if kind in ("symmetric", "spd"):
            a = (a + np.swapaxes(a, -1, -2)) / 2
            if kind == "spd":
                a = a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])
        elif kind == "simplex":  # entries > 0, each column summing to 1
            a = np.exp(a)
            axis = -1 if len(spec.get("step_shape", spec["shape"])) == 1 else -2
            a /= a.sum(axis=axis, keepdims=True)
        values[name] = a
    return values, dims


def eval_text(mod, values):
    """the inputs as --eval reads them: by the user's name"""
    parts = []
    for spec, name in zip(mod.MANIFEST["inputs"], mod.INPUTS):
        parts.append("%s=%s" % (spec["name"], json.dumps(np.asarray(values[name]).tolist())))
    return "; ".join(parts)


def parse_eval(text):
    """--eval's lines by name; a sequence's steps (dL_dx[1] = …) stacked"""
    out, steps = {}, {}
    for line in text.splitlines():
        key, _, val = line.partition(" = ")
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(\[-?\d+\])?", key)
        if val.startswith("undefined"):  # a gate's step 0, which no result reads
            continue
        if m and m.group(2):
            steps.setdefault(m.group(1), []).append(json.loads(val))
        elif m:
            out[key] = np.array(json.loads(val), dtype=float)
    for key, vals in steps.items():
        out.setdefault(key, np.array(vals, dtype=float))
    return out


def close(a, b, rtol):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    return a.size == b.size and (a.size == 0 or float(np.max(np.abs(a.reshape(-1) - b.reshape(-1)))) <= rtol * scale)


def fd_check(mod, sg, values, got):
    """every derivative against central differences of the module's values"""
    man = mod.MANIFEST
    by_name = {s["name"]: n for s, n in zip(man["inputs"], mod.INPUTS)}
    kinds = {s["name"]: s["kind"] for s in man["inputs"]}
    for spec, rname in zip(man["results"], mod.RESULTS):
        if spec["kind"] == "value":
            continue
        wrt = spec["wrt"][-1]
        if kinds[wrt] not in ("matrix", "sequence"):
            continue  # a perturbed entry would leave the declaration
        if spec["kind"] == "hessian":  # the gradient's derivative
            src = [n for s, n in zip(man["results"], mod.RESULTS)
                   if s["kind"] == "grad" and s["of"] == spec["of"] and s["wrt"] == spec["wrt"][:1]]
        else:
            src = [n for s, n in zip(man["results"], mod.RESULTS) if s["kind"] == "value" and s["name"] == spec["of"]]
        if not ok(src, "%s: %s has the value it differentiates among the results" % (sg, rname)):
            continue
        x = by_name[wrt]
        base = np.array(values[x], dtype=float)
        cols = []
        for k in range(base.size):
            h = 1e-6 * max(1.0, abs(base.flat[k]))
            vals = []
            for sign in (1, -1):
                v = dict(values)
                p = base.copy()
                p.flat[k] += sign * h
                v[x] = p
                vals.append(np.asarray(mod.evaluate(want=src, **v)[src[0]], dtype=float).reshape(-1))
            cols.append((vals[0] - vals[1]) / (2 * h))
        num = np.array(cols).T  # rows: the value's entries; columns: x's
        ok(close(np.asarray(got[rname]).reshape(-1), num.reshape(-1), 1e-5),
           "%s: %s against central differences" % (sg, rname))


def check_example(sg, man, rng):
    prefix = man["prefix"]
    out64 = os.path.join(WORK, prefix + ".py")
    out32 = os.path.join(WORK, prefix + "_f32.py")
    symgrad("--python", sg, "-o", out64)
    symgrad("--python", "-t", "float", sg, "-o", out32)
    m64 = load_module(out64, prefix)
    m32 = load_module(out32, prefix + "_f32")
    ok(m32.DTYPE == np.float32 and m64.DTYPE == np.float64, "%s: -t float is float32" % sg)
    values, dims = random_inputs(m64, rng)
    got = m64.evaluate(**values)
    ok(sorted(got) == sorted(m64.RESULTS), "%s: every result by default" % sg)
    ref = parse_eval(symgrad(sg, "--eval", eval_text(m64, values)))
    for spec, name in zip(man["results"], m64.RESULTS):
        ok(got[name].shape == m64._resolve(spec["shape"], dims), "%s: %s's shape" % (sg, name))
        ok(spec["c_name"] in ref and close(got[name], ref[spec["c_name"]], 1e-7),
           "%s: %s against --eval" % (sg, name))
    got32 = m32.evaluate(**values)
    for name in m64.RESULTS:
        ok(got32[name].dtype == np.float32 and close(got32[name], got[name], 2e-3),
           "%s: %s in float32 against float64" % (sg, name))
    fd_check(m64, sg, values, got)
    # a subset, and strided, Fortran-order, integer and float32 inputs
    first = m64.RESULTS[-1]
    ok(list(m64.evaluate(want=(first,), **values)) == [first], "%s: want= picks results" % sg)
    odd = {}
    for k, v in values.items():
        v = np.asarray(v)
        if v.ndim >= 2:
            big = np.zeros(v.shape[:-1] + (2 * v.shape[-1],))
            big[..., ::2] = v
            odd[k] = big[..., ::2]  # not contiguous
        else:
            odd[k] = np.asfortranarray(v) if v.ndim else v
    again = m64.evaluate(**odd)
    ok(all(close(again[n], got[n], 1e-12) for n in m64.RESULTS),
       "%s: non-contiguous inputs give the same results" % sg)
    return m64, values


def expect(exc, fn, words, what):
    try:
        fn()
    except exc as e:
        msg = str(e)
        return ok(all(w in msg for w in words), "%s: %r lacks %r" % (what, msg, words))
    except Exception as e:  # the wrong exception
        return ok(False, "%s: %s: %s, not %s" % (what, type(e).__name__, e, exc.__name__))
    return ok(False, "%s: no %s" % (what, exc.__name__))


def check_errors(mods):
    ae, v = mods["autoencoder"]
    W, x = v["W"], v["x"]
    expect(ValueError, lambda: ae.evaluate(W=W, x=np.ones(W.shape[1] + 1)),
           ["x", "(%d,)" % (W.shape[1] + 1), "(n,)", "(%d,)" % W.shape[1]], "a wrong length")
    expect(ValueError, lambda: ae.evaluate(W=W, x=np.ones((W.shape[1], 1))),
           ["x", "(%d, 1)" % W.shape[1], "(n,)"], "a column for a vector")
    expect(ValueError, lambda: ae.evaluate(W=W.T, x=x), ["x", "(%d,)" % x.size, "W"], "a transposed W")
    expect(TypeError, lambda: ae.evaluate(W=W + 1j, x=x), ["W", "complex128"], "a complex W")
    expect(TypeError, lambda: ae.evaluate(W=W, x=["a"] * x.size), ["x"], "a text x")
    expect(TypeError, lambda: ae.evaluate(W=W), ["missing", "x"], "a missing input")
    expect(TypeError, lambda: ae.evaluate(W=W, x=x, z=1), ["z", "W, x"], "an unknown input")
    expect(ValueError, lambda: ae.evaluate(W=W, x=x, want=("dL_dz",)), ["dL_dz", "L, dL_dW, dL_dx"], "an unknown result")
    r = ae.evaluate(W=np.arange(W.size).reshape(W.shape), x=np.ones(x.size, dtype=np.int32))
    ok(r["dL_dW"].dtype == np.float64, "integer inputs are converted")
    # a singular matrix: K = XXᵀ + βI with X = 0, β = 0
    gp, gv = mods["gp"]
    expect(gp.SingularMatrixError, lambda: gp.evaluate(X=np.zeros_like(gv["X"]), Y=gv["Y"], beta=0.0),
           ["K", "singular", "XXᵀ + βI"], "a singular K")
    ok(issubclass(gp.SingularMatrixError, np.linalg.LinAlgError), "SingularMatrixError is a LinAlgError")
    # not positive definite: S = −I, declared spd
    sq, sv = mods["pyseq"]
    bad = dict(sv, S=-np.eye(sv["S"].shape[0]))
    expect(sq.NotPositiveDefiniteError, lambda: sq.evaluate(**bad), ["S", "not positive definite"], "an S not spd")
    expect(ValueError, lambda: sq.evaluate(**dict(sv, u=np.ones(sv["x"].shape[0]))),
           ["u", "(T - 1,)", "T = %d from x" % sv["x"].shape[0]], "u of T steps, not T - 1")
    # λ is lambda_
    lr, lv = mods["logreg"]
    ok("lambda_" in lr.INPUTS and "lambda_" in lv, "logreg's λ is lambda_")
    ok(lr.python_name("lambda") == "lambda_" and lr.python_name("want") == "want_"
       and lr.python_name("x", {"x"}) == "x_", "the name rule")


def check_library(mods):
    """the cache compiles once; SYMGRAD_LIB_<PREFIX> names a prebuilt one"""
    cache = os.environ["SYMGRAD_CACHE"]
    libs = [f for f in os.listdir(cache) if f.startswith("autoencoder-")]
    ok(len(libs) == 2, "two libraries in the cache for autoencoder (double, float): %s" % libs)
    lib = os.path.join(WORK, "libae.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", lib, os.path.join(WORK, "ae.c"), "-lm"], check=True)
    env = dict(os.environ, SYMGRAD_LIB_AUTOENCODER=lib, SYMGRAD_CACHE=os.path.join(WORK, "nocache"), CC="false")
    run = subprocess.run([sys.executable, "-c", "import autoencoder as a, numpy as np; "
                          "print(a.load()[0]._name, a.evaluate(W=np.eye(2, 3), x=np.ones(3))['L'])"],
                         cwd=WORK, env=env, capture_output=True, text=True)
    ok(run.returncode == 0 and lib in run.stdout and not os.path.exists(env["SYMGRAD_CACHE"]),
       "SYMGRAD_LIB_AUTOENCODER is loaded, nothing compiled: %s %s" % (run.stdout, run.stderr[-300:]))
    env = dict(os.environ, SYMGRAD_CACHE=os.path.join(WORK, "nocache2"), CC="no-such-cc")
    run = subprocess.run([sys.executable, "-c", "import autoencoder as a, numpy as np; "
                          "a.evaluate(W=np.eye(2, 3), x=np.ones(3))"],
                         cwd=WORK, env=env, capture_output=True, text=True)
    ok(run.returncode != 0 and "RuntimeError: autoencoder: cannot run the C compiler 'no-such-cc'" in run.stderr,
       "a missing compiler is a RuntimeError saying so: %s" % run.stderr[-300:])
    try:
        import cffi
    except ImportError:
        print("python: cffi is not installed: --cdef not checked (Debian: python3-cffi)")
        return
    gp, gv = mods["gp"]
    ffi = cffi.FFI()
    ffi.cdef(symgrad("--cdef", os.path.join(TOP, "examples", "gp_loglik.sg")))
    c = ffi.dlopen(gp.load()[0]._name)
    n, q, d = gv["X"].shape + gv["Y"].shape[1:]
    dims = ffi.new("gp_dims *", {"N": n, "Q": q, "D": d})
    X, Y, beta = (np.ascontiguousarray(gv[k], dtype=float) for k in ("X", "Y", "beta"))
    L = np.zeros(1)
    inp = ffi.new("gp_in *", {"X": ffi.from_buffer("double[]", X), "Y": ffi.from_buffer("double[]", Y),
                              "beta": ffi.from_buffer("double[]", np.array([float(beta)]))})
    out = ffi.new("gp_out *", {"L": ffi.from_buffer("double[]", L)})
    work = ffi.new("char[]", c.gp_work_size(dims) + 8)
    rc = c.gp_eval(dims, inp, out, work)
    ok(rc == c.GP_OK and c.GP_ESINGULAR == 1 and close(L[0], gp.evaluate(**gv)["L"], 1e-12),
       "cffi: --cdef parses, its constants and gp_eval agree with the module")


def main():
    rng = np.random.default_rng(16)
    os.makedirs(WORK, exist_ok=True)
    mods = {}
    for sg in EXAMPLES:
        man = check_manifest(sg)
        mods[man["prefix"]] = check_example(sg, man, rng)
    symgrad(os.path.join(TOP, "examples", "autoencoder.sg"), "-o", os.path.join(WORK, "ae.c"))
    check_errors(mods)
    check_library(mods)
    print("python: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


sys.exit(main())
