#!/bin/sh
# The front end's limits, through the command line: inputs that used to take
# exponential or quadratic time, crash on the stack, or abort.
#
#   - a name of 60 or 200 letters with many readings (a, aa) is found
#     ambiguous at once; one with a single reading is a product
#   - a flat sum of 1,000, 10,000 and 100,000 terms in every mode (C,
#     --formulas, --latex, --eval): one nesting level, no deep recursion
#   - a UTF-8 byte-order mark is skipped, and columns count after it
#   - a long line of errors is printed in linear time (one buffer, not a
#     write per character) and each line cut around its caret
#   - --eval with values too large for memory is an error, not an abort
#   - out of memory is `symgrad: out of memory` and exit status 3
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL front: $*"; }

# run NAME WANT-STATUS SECONDS ARGS…: status and a time bound; output in $tmp/out, $tmp/err
run() {
    name=$1 want=$2 secs=$3
    shift 3
    start=$(date +%s)
    timeout "$secs" "$symgrad" "$@" > "$tmp/out" 2> "$tmp/err"
    got=$?
    if [ "$got" != "$want" ]; then
        bad "$name: exit $got, want $want"
        head -c 300 "$tmp/err"
        return 1
    fi
    ok
    return 0
}

# has NAME TEXT: $tmp/err contains TEXT
has() {
    if grep -qF -- "$2" "$tmp/err"; then ok; else bad "$1: stderr lacks '$2'"; head -c 300 "$tmp/err"; fi
}

# letters N: N a's
letters() { awk -v n="$1" 'BEGIN { s = ""; for (i = 0; i < n; i++) s = s "a"; print s }'; }

# ---- names split in polynomial time ------------------------------------------------

for n in 60 200; do
    printf 'a, aa ∈ ℝ\nL = %s\noutput L\n' "$(letters $n)" > "$tmp/split.sg"
    run "split $n" 1 10 "$tmp/split.sg" && has "split $n" "error: ambiguous name 'aaaa"
    printf 'a ∈ ℝ\nL = %s\noutput L\n' "$(letters $n)" > "$tmp/one.sg"
    run "one split $n" 0 10 --formulas "$tmp/one.sg"
done

# ---- flat chains ---------------------------------------------------------------------

# chain N OP: L = a OP b OP a …, a line per 1000 operands
chain() {
    awk -v n="$1" -v op="$2" 'BEGIN {
        printf "a, b ∈ ℝ\nL = a"
        for (i = 1; i < n; i++)
            printf "%s%s%s", op, (i % 1000 == 0 ? "\n" : ""), (i % 2 ? "b" : "a")
        printf "\ngrad L wrt a\n"
    }'
}

for n in 1000 10000 100000; do
    chain $n " + " > "$tmp/sum.sg"
    chain $n " - " > "$tmp/diff.sg"
    for f in sum diff; do
        run "$f $n C" 0 120 "$tmp/$f.sg"
        run "$f $n --formulas" 0 120 --formulas "$tmp/$f.sg"
        run "$f $n --latex" 0 120 --latex "$tmp/$f.sg"
        run "$f $n --eval" 0 120 --eval 'a=1; b=2' "$tmp/$f.sg"
    done
done
# the value of a long chain is right: 50,000 a and 50,000 b; a minus the rest
run "sum value" 0 120 --eval 'a=1; b=2' "$tmp/sum.sg" &&
    if grep -qx 'L = 150000' "$tmp/out"; then ok; else bad "sum value: $(head -c 200 "$tmp/out")"; fi
run "diff value" 0 120 --eval 'a=1; b=2' "$tmp/diff.sg" &&
    if grep -qx 'L = -149998' "$tmp/out"; then ok; else bad "diff value: $(head -c 200 "$tmp/out")"; fi
# products and ⊙ chains of 1000 (longer ones take the simplifier quadratic time)
chain 1000 " * " > "$tmp/prod.sg"
run "product 1000" 0 120 --formulas "$tmp/prod.sg"
awk 'BEGIN { printf "x, y ∈ ℝ^n\nL = sum(x"; for (i = 1; i < 1000; i++) printf " ⊙ %s", (i % 2 ? "y" : "x"); printf ")\ngrad L wrt x\n" }' > "$tmp/had.sg"
run "hadamard 1000" 0 120 "$tmp/had.sg"

# ---- a byte-order mark -----------------------------------------------------------

printf '\357\273\277x ∈ ℝ\nL = x + y\noutput L\n' > "$tmp/bom.sg"
run "bom error" 1 10 "$tmp/bom.sg" && has "bom error" "bom.sg:2:9: error: undefined name 'y'"
printf '\357\273\277y = 1 + ?\n' > "$tmp/bom1.sg"
run "bom column" 1 10 "$tmp/bom1.sg" && has "bom column" "bom1.sg:1:9: error: unexpected character '?'"
printf '\357\273\277x ∈ ℝ\nL = 2x\noutput L\n' > "$tmp/bom2.sg"
run "bom ok" 0 10 --formulas "$tmp/bom2.sg"

# ---- a sum whose prefix stays of unknown size -------------------------------------

# `W II x + x + … + x`: the prefix W II x (I of no size yet) was checked again
# wanting x's shape at each x, and each of those checks again at each x
# before it: 2ⁿ checks (24 terms took 0.6 s, 40 would take days)
for n in 40 4000; do
    awk -v n=$n 'BEGIN { printf "x ∈ ℝ^n\nW ∈ ℝ^{n×n}\nz = tanh(W II x"
        for (i = 0; i < n; i++) printf " + x"; print ")"; printf "y = W II x"
        for (i = 0; i < n; i++) printf " ⊙ x"; print ""; print "output z, y" }' > "$tmp/poly.sg"
    run "poly sum $n" 1 10 "$tmp/poly.sg" && has "poly sum $n" "cannot tell the size of I here"
done

# ---- a long line of errors ---------------------------------------------------------

# 64 KiB of control bytes: one error for the run (a byte at a time, with the
# whole line each, took minutes and 200 MB; then 1000 diagnostics of 1.5 kB)
awk 'BEGIN { s = sprintf("%c", 1); while (length(s) < 65536) s = s s; print s }' > "$tmp/ctl.sg"
run "control line" 1 30 "$tmp/ctl.sg" &&
    has "control line" "ctl.sg:1:1: error: unexpected character U+0001, 65536 in a row"
size=$(wc -c < "$tmp/err")
if [ "$size" -lt 8000 ]; then ok; else bad "control line: $size bytes of errors"; fi
# the same bytes one apart: an error each, 1000 of them printed, the rest counted
awk 'BEGIN { s = sprintf("%c ", 1); while (length(s) < 65536) s = s s; print s }' > "$tmp/ctl2.sg"
run "control bytes apart" 1 30 "$tmp/ctl2.sg" && has "control bytes apart" "more errors not shown"
size=$(wc -c < "$tmp/err")
if [ "$size" -lt 8000000 ]; then ok; else bad "control bytes apart: $size bytes of errors"; fi
# a run of different characters is one error, naming the first
printf 'x ∈ ℝ^n\nL = sum(x) ?$`\n' > "$tmp/mixed.sg"
run "mixed run" 1 10 "$tmp/mixed.sg" &&
    has "mixed run" "mixed.sg:2:12: error: unexpected character '?' and 2 more after it"

# ---- --eval past memory -----------------------------------------------------------

printf 'x ∈ ℝ^n\nL = sum(sin(x xᵀ))\noutput L\n' > "$tmp/outer.sg"
vals=$(awk 'BEGIN { printf "x=[1"; for (i = 1; i < 20000; i++) printf ",1"; print "]" }')
status=$(timeout 30 "$symgrad" --eval "$vals" "$tmp/outer.sg" > "$tmp/out" 2> "$tmp/err"; echo $?)
if [ "$status" = 0 ] || [ "$status" -gt 3 ]; then bad "eval limit: exit $status"; else ok; fi
has "eval limit" "symgrad: --eval: the values are too large: "
if [ -s "$tmp/out" ]; then bad "eval limit: output written"; else ok; fi

# ---- out of memory -------------------------------------------------------------------

# little memory for a 100,000-term input: under AddressSanitizer an
# allocation past 1 MiB fails instead, elsewhere the address space is limited
chain 100000 " + " > "$tmp/big.sg"
if ldd "$symgrad" 2>/dev/null | grep -q libasan; then
    status=$(ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=1 \
             timeout 60 "$symgrad" "$tmp/big.sg" > "$tmp/out" 2> "$tmp/err"; echo $?)
else
    status=$( (ulimit -v 30000; timeout 60 "$symgrad" "$tmp/big.sg" > "$tmp/out" 2> "$tmp/err"; echo $?) )
fi
if [ "$status" = 3 ]; then ok; else bad "out of memory: exit $status, want 3"; head -c 300 "$tmp/err"; fi
has "out of memory" "symgrad: out of memory"

echo "front: $pass passed, $fail failed"
[ $fail = 0 ]
