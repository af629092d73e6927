#!/bin/sh
# The generated C from Python: every example's --manifest against
# docs/manifest.schema.json, its --python module (double and -t float)
# against --eval and central differences, the module's documented errors,
# the compile cache and a prebuilt library, and --cdef through cffi when it
# is installed (tests/pycheck.py does the checking); and the README's
# Python example trains the autoencoder. Needs a python3 that
# imports numpy (Debian: python3-numpy): python3 on PATH, else
# /usr/bin/python3; without one, only the options are checked (it says so).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=${SYMGRAD:-$top/symgrad}
case $symgrad in /*) ;; *) symgrad=$(pwd)/$symgrad ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# the options: the API of the C, so -p, -t and --dim apply; no file of C
usage() { # what expected-words command...
    what=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc != 2 ] || ! grep -qF -- "$want" "$tmp/err"; then
        echo "FAIL: $what: exit $rc, $(head -c 300 "$tmp/err")"
        fail=$((fail + 1))
    fi
}
ae=$top/examples/autoencoder.sg
usage "--python -H" "-H/--header goes with C output, not --python" "$symgrad" --python "$ae" -H "$tmp/x.h"
usage "--manifest --check" "--check goes with C output, not --manifest" "$symgrad" --manifest --check "$ae"
usage "--cdef --blas" "--blas goes with C output, not --cdef" "$symgrad" --cdef --blas "$ae"
usage "--python --manifest" "--manifest and --python are different outputs" "$symgrad" --python --manifest "$ae"
usage "--python --latex" "--latex and --python are different outputs" "$symgrad" --latex --python "$ae"
if ! "$symgrad" --manifest -p q -t float --dim n=3 "$ae" >"$tmp/m.json" ||
    ! grep -q '"prefix": "q"' "$tmp/m.json" || ! grep -q '"scalar": "float"' "$tmp/m.json" ||
    ! grep -q '"c_name": "n", "fixed": 3' "$tmp/m.json"; then
    echo "FAIL: --manifest -p q -t float --dim n=3: $(head -c 300 "$tmp/m.json")"
    fail=$((fail + 1))
fi
a=$("$symgrad" --python "$top/examples/lstm.sg" | cksum)
b=$("$symgrad" --python "$top/examples/lstm.sg" | cksum)
[ "$a" = "$b" ] || { echo "FAIL: --python is not the same from run to run"; fail=$((fail + 1)); }

py=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' >/dev/null 2>&1; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "python: the options checked; the modules skipped, no python3 with numpy (Debian: python3-numpy)"
    [ $fail = 0 ]
    exit
fi
# the README's example: the autoencoder trained from Python
mkdir -p "$tmp/readme"
awk '/^## Using the generated code from Python/ { on = 1 } on && /^```python$/ { inb = 1; next }
     inb && /^```$/ { exit } inb' "$top/README.md" >"$tmp/readme/train.py"
if ! "$symgrad" --python "$ae" -o "$tmp/readme/autoencoder.py" ||
    ! (cd "$tmp/readme" && SYMGRAD_CACHE=$tmp/readme/cache "$py" train.py >out.txt 2>&1) ||
    ! grep -q '^epoch 299  loss 0\.000' "$tmp/readme/out.txt"; then
    echo "FAIL: the README's Python example: $(tail -c 400 "$tmp/readme/out.txt" 2>/dev/null)"
    fail=$((fail + 1))
fi

echo "python: $py ($("$py" -c 'import numpy; print("numpy", numpy.__version__)'))"
SYMGRAD_CACHE=$tmp/cache "$py" "$top/tests/pycheck.py" "$symgrad" "$tmp/work" "$top"/examples/*.sg \
    "$top/tests/python-seq.sg" || fail=$((fail + 1))
[ $fail = 0 ]
