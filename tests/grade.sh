#!/bin/sh
# `answer` statements and --grade: the statement's diagnostics (position,
# message, caret), the verdicts and the exit codes. Run by `make test`.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL grade: $1"; }
# expect STATUS DESCRIPTION COMMAND...
expect() {
    want=$1 what=$2
    shift 2
    "$@" >out.txt 2>err.txt
    got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, expected $want ($(head -c 300 err.txt))"; fi
}
# has FILE LINE: FILE holds LINE exactly
has() {
    grep -qxF -- "$2" "$1" && ok || bad "$1 lacks: $2 ($(head -c 600 "$1"))"
}

# ---- the statement ------------------------------------------------------------
head='W ∈ ℝ^{m×n}
x ∈ ℝ^n
r = WᵀWx − x
L = ½‖r‖²'
printf '%s\nanswer ∂L/∂W = W(xrᵀ + rxᵀ)\nanswer dL/dx = (W'"'"'*W - I)*r\n' "$head" > ans.sg
expect 0 "answers imply their requests" "$symgrad" --formulas ans.sg
has out.txt "∂L/∂W = W(xrᵀ + rxᵀ)"
has out.txt "∂L/∂x = WᵀWr − r"

printf '%s\nanswer ∂L/∂W = W(xqᵀ + rxᵀ)\nanswer dL/dx = W*r + x\nanswer Lx/dx = r\n' "$head" > err1.sg
printf 'answer ∂²L/∂x = r\nanswer ∂L/∂y = r\nanswer ∂M/∂x = r\n' >> err1.sg
expect 1 "errors in answers" "$symgrad" --formulas err1.sg
has err.txt "err1.sg:5:18: error: undefined name 'xq'"
has err.txt "                     ^~"
has err.txt "err1.sg:6:16: error: cannot add W*r (ℝ^m) and x (ℝ^n): the shapes differ"
has err.txt "err1.sg:7:8: error: an answer names its derivative as ∂L/∂W, or in ASCII dL/dW (d2L/dw2 for a Hessian)"
has err.txt "           ^~~~~"
has err.txt "err1.sg:8:15: error: unexpected '=', expected '²'"
has err.txt "err1.sg:9:12: error: undefined name 'y'"
has err.txt "err1.sg:10:9: error: undefined name 'M'; did you mean 'm'?"
printf 'x ∈ ℝ^n\nL = ‖x‖²\nanswer ∂³L/∂x³ = 2I\n' > order.sg
expect 1 "a third derivative" "$symgrad" --formulas order.sg
has err.txt "order.sg:3:8: error: a second derivative is written ∂²L/∂x²"
printf 'x ∈ ℝ^n\nL = ‖x‖²\nanswer d2L/dx2 = 2I\nanswer = 3\n' > hess.sg
expect 0 "an ASCII Hessian; answer as a name" "$symgrad" --formulas hess.sg
has out.txt "∂²L/∂x² = 2I"

echo "grade: $pass passed, $fail failed"
[ "$fail" = 0 ]
