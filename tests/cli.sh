#!/bin/sh
# The command line as a user meets it: options, exit codes, atomic output.
# Each check runs symgrad and asserts something that could fail.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL cli: $1"; }
# expect STATUS DESCRIPTION COMMAND...
expect() {
    want=$1 what=$2
    shift 2
    "$@" >out.txt 2>err.txt
    got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, expected $want ($(head -c 300 err.txt))"; fi
}

cp "$top/examples/autoencoder.sg" ae.sg
printf 'x ∈ ℝ^n\nL = ‖x − z‖²\ngrad L wrt x\n' > bad.sg

expect 0 "--version" "$symgrad" --version
grep -q '^symgrad [0-9]' out.txt && ok || bad "--version prints the version"
expect 0 "--help" "$symgrad" -h
grep -q -- '--output' out.txt && ok || bad "--help lists the options"
expect 2 "no input" "$symgrad"
grep -qxF "symgrad: no input file (use - for standard input)" err.txt && ok || bad "the no-input message"
expect 2 "unknown option" "$symgrad" --frobnicate ae.sg
grep -qxF "symgrad: unknown option '--frobnicate'" err.txt && ok || bad "no suggestion for an option nothing like one"
# the fix-its of tests/golden/err_fixits.err, written in: the problem is accepted
printf 'μ ∈ ℝ^n\nx ∈ ℝ^n\nW ∈ ℝ^{n×n}\nL = sum(μ.^2) + (Wx)ᵀx + sum(μ.^(-2)) + sum(μ.^0.5)\ngrad L wrt μ\n' > fixed.sg
expect 0 "the fix-its of err_fixits.sg are valid" "$symgrad" --formulas fixed.sg
for fix in "μ.^2" "(Wx)ᵀx" "μ.^(-2)" "μ.^0.5"; do
    grep -qF "write $fix for" "$top/tests/golden/err_fixits.err" && ok || bad "err_fixits.err offers $fix"
done
# warnings: printed with the line and a caret, exit 0 and the output written;
# -Werror makes them errors (exit 1, nothing written)
printf 'x ∈ ℝ^n\ny ∈ ℝ^n\nL = ½‖x‖²\ngrad L wrt x\ngrad L wrt x\n' > warn.sg
rm -f warn.c
expect 0 "warnings alone" "$symgrad" warn.sg -o warn.c
[ -s warn.c ] && ok || bad "a warning still writes the output"
grep -qxF "warn.sg:2:1: warning: y is declared but never used" err.txt && ok || bad "the unused warning: $(head -3 err.txt)"
grep -qxF "warn.sg:5:12: warning: grad L wrt x is already requested at line 4" err.txt && ok || bad "the duplicate request warning: $(cat err.txt)"
rm -f warn.c
expect 1 "-Werror" "$symgrad" -Werror warn.sg -o warn.c
[ ! -e warn.c ] && ok || bad "-Werror writes nothing"
grep -qxF "warn.sg:2:1: error: y is declared but never used" err.txt && ok || bad "-Werror prints errors: $(head -3 err.txt)"
# a --dim that fixes nothing the generated code reads: a warning (-Werror: exit 1)
printf 'x ∈ ℝ^n\nc ∈ ℝ\nL = sum(x − x) + c\ngrad L wrt c\n' > idle.sg
rm -f idle.c
expect 0 "an idle --dim" "$symgrad" idle.sg --dim n=3 -o idle.c
grep -qxF "symgrad: warning: --dim n=3 fixes nothing: the generated code does not read n" err.txt &&
    [ -s idle.c ] && ok || bad "the idle --dim warning: $(cat err.txt)"
rm -f idle.c
expect 1 "an idle --dim with -Werror" "$symgrad" -Werror idle.sg --dim n=3 -o idle.c
grep -qF "symgrad: error: --dim n=3 fixes nothing" err.txt && [ ! -e idle.c ] && ok || bad "-Werror and an idle --dim"
# π and the constants derivatives bring print by name, and read back
printf 'x ∈ ℝ^n\np ∈ ℝ^n\nL = sum(erf(x)) + sum(log2(p)) + π sum(x) + 2π\ngrad L wrt x, p\n' > consts.sg
expect 0 "named constants" "$symgrad" --formulas consts.sg
grep -qxF "∂L/∂x = π𝟙 + (2/√π) exp(−x ⊙ x)" out.txt && grep -qxF "∂L/∂p = (1/log(2))(𝟙 ⊘ p)" out.txt &&
    grep -q "π sum(x) + 2π$" out.txt && ok || bad "the named constants: $(cat out.txt)"
expect 0 "named constants in ASCII" "$symgrad" --formulas --ascii consts.sg
grep -qxF "dL/dx = pi * ones(n) + (2/sqrt(pi)) * exp(-x .* x)" out.txt && ok || bad "the named constants in ASCII: $(cat out.txt)"
# did you mean: by edit distance, or as the abbreviation of one option
for pair in "--formula --formulas" "--stpes --steps" "--Latex --latex" "--out=a.c --output" \
    "--hea --header" "--chek --check"; do
    set -- $pair
    expect 2 "unknown option $1" "$symgrad" "$1" ae.sg
    grep -qxF "symgrad: unknown option '$1'; did you mean '$2'?" err.txt && ok || bad "$1 suggests $2: $(head -1 err.txt)"
done
expect 2 "bad --type" "$symgrad" -t quad ae.sg
grep -q -- "--type is double or float, not 'quad'" err.txt && ok || bad "the --type message"
expect 2 "bad prefix" "$symgrad" -p 9lives ae.sg
expect 2 "bad --dim" "$symgrad" --dim n=zero ae.sg
grep -q -- "--dim: 'n=zero' is not a positive integer value" err.txt && ok || bad "the --dim value message"
expect 2 "--dim without =" "$symgrad" --dim n ae.sg
grep -q -- "--dim wants N=V, not 'n'" err.txt && ok || bad "the --dim N=V message"
expect 2 "--dim with a bad name" "$symgrad" --dim 9n=3 ae.sg
grep -q -- "--dim: '9n=3' does not start with a dimension name" err.txt && ok || bad "the --dim name message"
# an option whose value is missing (it was the last argument)
for opt in -o --output -H --header; do
    expect 2 "$opt without a value" "$symgrad" ae.sg $opt
    grep -q -- "^symgrad: $opt needs a file name$" err.txt && ok || bad "the $opt message"
done
for opt in -p --prefix; do
    expect 2 "$opt without a value" "$symgrad" ae.sg $opt
    grep -q -- "^symgrad: $opt needs a name$" err.txt && ok || bad "the $opt message"
done
for opt in -t --type; do
    expect 2 "$opt without a value" "$symgrad" ae.sg $opt
    grep -q -- "^symgrad: $opt needs double or float$" err.txt && ok || bad "the $opt message"
done
expect 2 "--eval without a value" "$symgrad" ae.sg --eval
grep -qF -- "symgrad: --eval needs values, e.g. --eval 'x=[1,2]; n=2'" err.txt && ok || bad "the --eval message"
expect 2 "--dim without a value" "$symgrad" ae.sg --dim
grep -q -- "^symgrad: --dim needs N=V$" err.txt && ok || bad "the --dim message"
expect 2 "two inputs" "$symgrad" ae.sg ae.sg
grep -q "more than one input file ('ae.sg')" err.txt && ok || bad "the two-inputs message"
expect 3 "missing input" "$symgrad" no-such-file.sg
grep -q "cannot read 'no-such-file.sg'" err.txt && ok || bad "a missing input names the file"

# C to stdout, to a file, with a header
expect 0 "C to stdout" "$symgrad" ae.sg
grep -q 'int autoencoder_eval' out.txt && ok || bad "stdout holds the C"
expect 0 "-o -H" "$symgrad" ae.sg -o ae.c -H ae.h
grep -q '#include "ae.h"' ae.c && ok || bad "the .c includes its header"
grep -q 'autoencoder_work_size' ae.h && ok || bad "the header declares the API"
[ ! -s out.txt ] && ok || bad "-o leaves stdout empty"
ls ./*.tmp* >/dev/null 2>&1 && bad "temporary files left behind" || ok
expect 0 "--output=FILE and -pNAME" "$symgrad" --output=p.c -pmy ae.sg
grep -q 'int my_eval' p.c && ok || bad "-p sets the prefix"
expect 0 "float" "$symgrad" -t float ae.sg -o f.c
grep -q 'const float \*W' f.c && ok || bad "--type float"
expect 0 "stdin" sh -c "\"$symgrad\" - < ae.sg"
grep -q 'int autoencoder_eval' out.txt && ok || bad "stdin is read"

# byte-identical output for the same input
"$symgrad" ae.sg -o a.c && mv a.c a1.c && "$symgrad" ae.sg -o a.c && cmp -s a1.c a.c && ok || bad "output is deterministic"

# errors: exit 1, diagnostics on stderr, nothing written, an old file untouched
echo keep > keep.c
expect 1 "input error" "$symgrad" bad.sg -o keep.c -H keep.h
grep -q '^bad.sg:2:10: error: ' err.txt && ok || bad "the error names FILE:LINE:COL"
[ "$(cat keep.c)" = keep ] && ok || bad "an error leaves the old output alone"
[ ! -e keep.h ] && ok || bad "an error writes no header"
[ ! -s out.txt ] && ok || bad "an error prints nothing on stdout"

# colors: always, never, and never when stderr is not a terminal (auto)
esc=$(printf '\033')
expect 1 "--color=always" "$symgrad" --color=always bad.sg
grep -q "$esc" err.txt && ok || bad "--color=always colors the diagnostics"
expect 1 "--color=auto on a file" "$symgrad" bad.sg
grep -q "$esc" err.txt && bad "--color=auto does not color a file" || ok
expect 1 "--color=never" "$symgrad" --color=never bad.sg
grep -q "$esc" err.txt && bad "--color=never" || ok
expect 2 "--color=sometimes" "$symgrad" --color=sometimes bad.sg
grep -q -- "--color is auto, always or never, not 'sometimes'" err.txt && ok || bad "the --color message"

# I/O errors: exit 3, nothing left behind
if [ -w /dev/full ]; then
    expect 3 "stdout on /dev/full" sh -c "\"$symgrad\" ae.sg > /dev/full"
fi
expect 0 "-o /dev/null" "$symgrad" ae.sg -o /dev/null
[ -c /dev/null ] && ok || bad "-o /dev/null must leave the device a device"
if [ -w /dev/full ]; then
    expect 3 "-o /dev/full" "$symgrad" ae.sg -o /dev/full
    [ -c /dev/full ] && ok || bad "-o /dev/full must leave the device a device"
fi
expect 3 "unwritable directory" "$symgrad" ae.sg -o no/such/dir/x.c
mkdir ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
    expect 3 "read-only directory" "$symgrad" ae.sg -o ro/x.c
fi

# --formulas and --eval
expect 0 "--formulas" "$symgrad" --formulas ae.sg
grep -q '∂L/∂W = ' out.txt && ok || bad "--formulas prints ∂L/∂W"
expect 0 "--formulas --ascii" "$symgrad" --formulas --ascii ae.sg
grep -q 'dL/dW = ' out.txt && ok || bad "--ascii prints dL/dW"
LC_ALL=C grep -q "$(printf '[\200-\377]')" out.txt && bad "--ascii output is ASCII" || ok
expect 0 "--eval" "$symgrad" ae.sg --eval 'W=[[1,2],[3,4]]; x=[1,1]'
grep -qx 'L = 809' out.txt && ok || bad "--eval computes L = 809 ($(cat out.txt))"
grep -qx 'dL_dx = \[669, 949\]' out.txt && ok || bad "--eval computes dL/dx"
# coupled sequences over different ranges: the formulas and --eval take them,
# the C printer says it cannot (one loop needs one range)
printf 'x[t] ∈ ℝ^k for t = 1..T\nW ∈ ℝ^{n×k}\nh0 ∈ ℝ^n\nh[0] = h0\nf[t] = σ(W x[t] + h[t−1]) for t = 1..T\nh[t] = f[t] ⊙ h[t−1] for t = 1..T−1\nL = 𝟙ᵀh[T−1]\ngrad L wrt W\n' > ranges.sg
expect 0 "coupled over different ranges: --formulas" "$symgrad" --formulas ranges.sg
expect 1 "coupled over different ranges: C" "$symgrad" ranges.sg -o ranges.c
grep -qF "ranges.sg:5:1: error: recurrences that read each other over different ranges are not supported by the C printer" err.txt &&
    grep -qxF "    f[t] = σ(W x[t] + h[t−1]) for t = 1..T" err.txt && grep -qx "    ^" err.txt && [ ! -e ranges.c ] && ok ||
    bad "coupled over different ranges: the C printer's message ($(cat err.txt))"
# a per-step sequence (a gate) has no step 0: --eval prints a[1], a[2] only
printf 'x[t] ∈ ℝ^n for t = 1..T\nW ∈ ℝ^{n×n}\na[t] = tanh(W x[t]) for t = 1..T\nL = Σ_{t=1}^{T} 𝟙ᵀa[t]\ngrad L wrt W\n' > gate.sg
expect 0 "--eval of a gate" "$symgrad" gate.sg --eval 'x=[[1,2],[3,4]]; W=[[1,0],[0,1]]'
grep -q '^a\[1\] = \[0.761594156, 0.9640275801\]$' out.txt && ! grep -q '^a\[0\]' out.txt && ok ||
    bad "--eval prints a gate's steps 1..T ($(cat out.txt))"
# a value before a norm: α‖W‖² is α·(‖W‖²), not (α‖W‖)²
printf 'W ∈ ℝ^{m×n}\nα ∈ ℝ\nL = α‖W‖²\nM = α(‖W‖)²\noutput L, M\n' > scaled.sg
expect 0 "α‖W‖²" "$symgrad" scaled.sg --eval 'W=[[1,2],[3,4]]; alpha=3'
grep -qx 'L = 90' out.txt && grep -qx 'M = 90' out.txt && ok || bad "α‖W‖² is α(‖W‖²) ($(cat out.txt))"
expect 2 "--eval with a bad shape" "$symgrad" ae.sg --eval 'W=[[1,2],[3,4]]; x=[1,1,1]'
expect 2 "--eval missing an input" "$symgrad" ae.sg --eval 'W=[[1,2],[3,4]]'
# ∂L/∂x[t] with respect to an input sequence: --eval prints it step by step
# (steps no term reaches are 0), --formulas with its range, the C header
# lays it out as x
printf 'x[t] ∈ ℝ^k for t = 1..T\nc ∈ ℝ^k\nL = ‖x[T]‖² + Σ_{t=2}^{T} cᵀx[t]\ngrad L wrt x\n' > seqwrt.sg
expect 0 "grad wrt a sequence, --eval" "$symgrad" seqwrt.sg --eval 'x=[[1,2],[3,4],[5,6]]; c=[1,-1]'
grep -qx 'dL_dx\[1\] = \[0, 0\]' out.txt && grep -qx 'dL_dx\[2\] = \[1, -1\]' out.txt &&
    grep -qx 'dL_dx\[3\] = \[11, 11\]' out.txt && ok || bad "--eval prints ∂L/∂x[t] by steps ($(cat out.txt))"
expect 0 "grad wrt a sequence, --formulas" "$symgrad" --formulas seqwrt.sg
grep -qxF '∂L/∂x[t] = c [2 ≤ t] + 2x[T] [t = T], t = 1, …, T' out.txt && ok ||
    bad "--formulas prints ∂L/∂x[t] with its range ($(cat out.txt))"
expect 0 "grad wrt a sequence, the header" "$symgrad" seqwrt.sg -o seqwrt.c -H seqwrt.h
grep -qF 'double *dL_dx; /* ∂L/∂x[t], as x[1], …, x[T]  (T steps of k) */' seqwrt.h && ok ||
    bad "the header lays ∂L/∂x[t] out as x ($(grep dL_dx seqwrt.h))"
# the functions of libm, sign and step: called as a user writes them, valued
# as C99's libm (arcsin′ + arccos′ = 0), and spelled in every output
printf 'x ∈ ℝ\nL = tan(x) + arcsin(x/2) + arccos(x/2) + arctan(x) + sinh(x) + cosh(x) + log2(x) + erf(x) + sign(x) + step(x)\ngrad L wrt x\n' > fns.sg
expect 0 "the functions of libm" "$symgrad" fns.sg --eval 'x=0.5'
grep -qx 'L = 5.749967574' out.txt && grep -qx 'dL_dx = 7.511340342' out.txt && ok ||
    bad "--eval of the functions of libm ($(cat out.txt))"
expect 0 "the functions of libm in C" "$symgrad" fns.sg
for f in tan asin acos atan sinh cosh log2 erf sg_sign sg_step; do
    grep -q "$f(" out.txt && ok || bad "the C calls $f"
done
expect 0 "the functions of libm in float" "$symgrad" -t float fns.sg
for f in tanf asinf acosf atanf sinhf coshf log2f erff; do
    grep -q "$f(" out.txt && ok || bad "the float C calls $f"
done
expect 0 "the functions of libm in ASCII" "$symgrad" --formulas --ascii fns.sg
grep -q 'arcsin(0.5 \* x) + arccos(0.5 \* x) + tan(x) + arctan(x) + sinh(x) + cosh(x) + log2(x) + erf(x) + sign(x) + step(x)' out.txt &&
    ok || bad "--formulas --ascii spells the functions ($(cat out.txt))"
expect 0 "the functions of libm in LaTeX" "$symgrad" --latex fns.sg
for f in '\tan(' '\arcsin' '\arccos' '\arctan' '\sinh' '\cosh' '\log_2' '\operatorname{erf}'; do
    grep -qF "$f" out.txt && ok || bad "--latex spells $f"
done
expect 0 "the functions of libm in --steps" "$symgrad" --steps --ascii fns.sg
grep -qF 'Y = erf(A) => Abar += (2/sqrt(pi)) Ybar .* exp(-A .* A)' out.txt && ok ||
    bad "--steps --ascii cites erf's rule"

expect 2 "an empty --output=" "$symgrad" --output= ae.sg
grep -q -- "--output= needs a file name" err.txt && ok || bad "an empty --output= is a usage error"
expect 2 "an empty -H" "$symgrad" -H '' ae.sg
# limits: each reported with file, line, column and caret, exit 1, nothing written
# expect_limit DESCRIPTION MESSAGE FILE [OPTIONS]: exit 1, the message, no ./lim.c
expect_limit() {
    what=$1 msg=$2 file=$3
    shift 3
    rm -f lim.c lim.h
    expect 1 "$what" "$symgrad" "$file" -o lim.c -H lim.h "$@"
    grep -qF -- "$msg" err.txt && ok || bad "$what: the message ($(head -c 300 err.txt))"
    grep -q "^$file:[0-9]*:[0-9]*: error: " err.txt && grep -q '^    *\^' err.txt && ok ||
        bad "$what: file:line:col and caret"
    [ ! -e lim.c ] && [ ! -e lim.h ] && ok || bad "$what: nothing written"
}
# the DAG size: a chain of 70 000 squares outgrows SG_MAX_NODES, quickly
awk 'BEGIN { print "x0 ∈ ℝ"; for (i = 1; i < 70000; i++) printf "x%d = x%d*x%d + %d\n", i, i - 1, i - 1, i;
             print "grad x69999 wrt x0" }' > chain.sg
expect_limit "a DAG past its cap" "the problem is too large: more than 200000 expression nodes" chain.sg
# sizes that overflow a size_t, from declarations and from values
printf 'W ∈ ℝ^{2147483647×2147483647}\nx ∈ ℝ^{2147483647}\nL = ‖Wx‖²\ngrad L wrt W\n' > huge.sg
expect_limit "a declared size overflowing size_t" \
    "W is ℝ^{2147483647×2147483647}: its size in bytes overflows a size_t" huge.sg
printf 'x ∈ ℝ^n\nA = ones(2147483647, 2147483647)\nL = sum(A) + ‖x‖²\ngrad L wrt x\n' > huge2.sg
expect_limit "a value's size overflowing size_t" "its size in bytes overflows a size_t" huge2.sg
# a Jacobian or Hessian with respect to a matrix is (mn)×(mn): its size too
printf 'X ∈ ℝ^{100000×100000}\nB ∈ ℝ^{100000×100000}\nf = tr(XᵀBX)\nhessian f wrt X\n' > hugeh.sg
expect_limit "a Hessian with respect to a matrix overflowing size_t" \
    "the Hessian of f is ℝ^{10000000000×10000000000}: its size in bytes overflows a size_t" hugeh.sg
printf 'X ∈ ℝ^{100000×100000}\nY = 2X\njacobian Y wrt X\n' > hugej.sg
expect_limit "a Jacobian of a matrix overflowing size_t" \
    "the Jacobian of Y with respect to X is ℝ^{10000000000×10000000000}" hugej.sg
# what has no Jacobian rule for a matrix says which construct, at the variable
printf 'W ∈ ℝ^{n×m}\nS = softmax(W)\njacobian S wrt W\n' > nojac.sg
expect_limit "a Jacobian through the column-wise softmax of a matrix" \
    "nojac.sg:3:16: error: cannot take the Jacobian of S with respect to W: it goes through softmax of the columns of a matrix that depends on W" nojac.sg
printf 'W ∈ ℝ^{99999999999×3}\nL = ‖W‖²\ngrad L wrt W\n' > huge3.sg
expect_limit "an absurd dimension" "a dimension must be at most 2147483647" huge3.sg
printf 'x ∈ ℝ^n\nL = ‖I(3000000000) x‖²\ngrad L wrt x\n' > huge4.sg
expect_limit "an absurd dimension of I" "a dimension must be at most 2147483647" huge4.sg
expect 2 "an absurd --dim" "$symgrad" --dim n=99999999999 ae.sg -o lim.c
grep -qF -- "--dim: 'n=99999999999' is larger than a dimension may be (2147483647)" err.txt && ok ||
    bad "the --dim size message ($(head -c 300 err.txt))"
# input size, line length, name length, number of errors
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "x%d = 1 # padding padding padding padding\n", i }' > big.sg
expect_limit "an input over 4 MiB" "the input is larger than 4194304 bytes (4 MiB)" big.sg
awk 'BEGIN { printf "x ∈ ℝ\nL = x"; for (i = 0; i < 40000; i++) printf " + x"; print ""; print "grad L wrt x" }' > wide.sg
expect_limit "a line over the limit" "the line is longer than 65536 bytes" wide.sg
awk 'BEGIN { printf "x ∈ ℝ\nL = "; for (i = 0; i < 201; i++) printf "a"; print " + x"; print "grad L wrt x" }' > name.sg
expect_limit "a name over 200 characters" "name too long: more than 200 characters" name.sg
awk 'BEGIN { for (i = 0; i < 1500; i++) print "x = $" }' > errs.sg
expect_limit "more than 1000 errors" "more errors not shown" errs.sg
grep -q '^errs.sg: [0-9]* more errors not shown$' err.txt && ok || bad "how many more errors"
[ "$(grep -c ': error: ' err.txt)" = 1000 ] && ok || bad "1000 errors printed ($(grep -c ': error: ' err.txt))"

# a work size that overflows: reported when --dim fixes it, SIZE_MAX at run time
rm -f lim.c
expect 1 "--dim with an overflowing work size" "$symgrad" --dim N=2147483647 "$top/examples/gp_loglik.sg" -o lim.c
grep -qF "gp_loglik.sg: error: with the dimensions fixed by --dim, gp_work_size would be more bytes than a size_t counts (4*N*N" err.txt &&
    ok || bad "the --dim work-size message ($(head -c 300 err.txt))"
[ ! -e lim.c ] && ok || bad "--dim with an overflowing work size: nothing written"
"$symgrad" "$top/examples/gp_loglik.sg" -o gpw.c -H gpw.h 2>err.txt &&
    printf '#include <stdint.h>\n#include <stdio.h>\n#include "gpw.h"\nint main(void)\n{\n    gp_dims big = {2147483647, 8, 4}, huge = {-1, 8, 4}, ok = {512, 8, 4};\n    return !(gp_work_size(&big) == SIZE_MAX && gp_work_size(&huge) == SIZE_MAX &&\n             gp_work_size(&ok) > 4 * 512 * 512 * sizeof(double) && gp_work_size(&ok) < SIZE_MAX);\n}\n' > gpw_main.c &&
    cc -std=c99 -Wall -Wextra -pedantic -Werror gpw_main.c gpw.c -lm -o gpw &&
    ./gpw && ok || bad "P_work_size saturates at SIZE_MAX ($(head -c 300 err.txt))"

# ---- outputs behave as a compiler's ----
# mtime FILE, mode FILE: GNU stat
mtime() { stat -c %Y "$1"; }
mode() { stat -c %a "$1"; }
notmp() { ! ls ./*.tmp* ./.symgrad.tmp* >/dev/null 2>&1; }
# same_c A B: the same C but for the banner's command line
same_c() { grep -v '^ \* command: ' "$1" > same_a.txt; grep -v '^ \* command: ' "$2" | cmp -s same_a.txt -; }

# -o - (and --output=-) is standard output, as no -o is
"$symgrad" ae.sg >plain.c 2>err.txt
expect 0 "-o -" "$symgrad" ae.sg -o -
same_c out.txt plain.c && ok || bad "-o - writes what standard output gets"
[ ! -e ./- ] && ok || bad "-o - makes no file named -"
expect 0 "--output=- with -H" "$symgrad" ae.sg --output=- -H std.h
grep -q '#include "std.h"' out.txt && [ -s std.h ] && ok || bad "--output=- -H: the C on stdout includes the header"
expect 2 "-H -" "$symgrad" ae.sg -H - -o hm.c
grep -qF "symgrad: the header cannot go to standard output (-H -): the .c includes it by its file name" err.txt &&
    ok || bad "the -H - message ($(head -c 300 err.txt))"
[ ! -e hm.c ] && [ ! -s out.txt ] && ok || bad "-H -: nothing written"

# what is not a regular file is written in place, never replaced
# /dev/stdout is a symlink to /proc/self/fd/1: first a copy of it here, so
# that a symgrad which replaces it (as root) does no harm; then the real one
ln -s /proc/self/fd/1 mystdout
expect 0 "-o a symlink to /proc/self/fd/1" sh -c "\"$symgrad\" ae.sg -o mystdout > devout.txt"
same_c devout.txt plain.c && ok || bad "-o mystdout writes standard output"
if [ -L mystdout ] && notmp; then
    ok
    expect 0 "-o /dev/stdout" sh -c "\"$symgrad\" ae.sg -o /dev/stdout > devout.txt"
    same_c devout.txt plain.c && ok || bad "-o /dev/stdout writes standard output"
    [ -L /dev/stdout ] && ok || bad "-o /dev/stdout must leave /dev/stdout a symlink"
    ! ls /dev/stdout.tmp* >/dev/null 2>&1 && ok || bad "-o /dev/stdout left a temporary in /dev"
else
    bad "-o mystdout replaced the symlink (not trying /dev/stdout)"
fi
echo first > app.txt
expect 0 "-o /proc/self/fd/1 appended" sh -c "\"$symgrad\" ae.sg -o /proc/self/fd/1 >> app.txt"
[ "$(head -1 app.txt)" = first ] && tail -n +2 app.txt > app2.txt && same_c app2.txt plain.c && ok ||
    bad "-o /proc/self/fd/1 with >> appends, as the shell asked"
ln -s /dev/null tonull
expect 0 "-o a symlink to /dev/null" "$symgrad" ae.sg -o tonull
[ -L tonull ] && [ -c /dev/null ] && ok || bad "a symlink to /dev/null stays a symlink"
mkfifo pipe.fifo && ln -s pipe.fifo tofifo
cat pipe.fifo > fromfifo.txt &
reader=$!
expect 0 "-o a symlink to a FIFO" timeout 20 "$symgrad" ae.sg -o tofifo
wait $reader
same_c fromfifo.txt plain.c && ok || bad "the C came through the FIFO"
[ -L tofifo ] && [ -p pipe.fifo ] && ok || bad "the symlink and the FIFO stay what they were"
echo old > real.c && ln -s real.c toreal.c
expect 0 "-o a symlink to a file" "$symgrad" ae.sg -o toreal.c
[ -L toreal.c ] && same_c real.c plain.c && ok || bad "a symlink to a file stays a symlink; its target is written"
ln -s made.c dangling.c
expect 0 "-o a dangling symlink" "$symgrad" ae.sg -o dangling.c
[ -L dangling.c ] && same_c made.c plain.c && ok || bad "a dangling symlink's target is created"
mkdir adir
expect 3 "-o a directory" "$symgrad" ae.sg -o adir
grep -q "^symgrad: cannot write 'adir': " err.txt && ok || bad "-o a directory: the message ($(head -c 300 err.txt))"
# a name so long that NAME.tmpXXXXXX is too long for the directory
long=$(printf '%0250d.c' 0)
expect 0 "-o a 252-character name" "$symgrad" ae.sg -o "$long"
same_c "$long" plain.c && ok || bad "a 252-character output name is written"
notmp && ok || bad "temporary files left behind"

# a new file gets 0666 & ~umask (mkstemp alone would give 0600), a replaced one too
rm -f perm.c perm.h
expect 0 "umask 022" sh -c "umask 022 && \"$symgrad\" ae.sg -o perm.c -H perm.h"
[ "$(mode perm.c)" = 644 ] && [ "$(mode perm.h)" = 644 ] && ok ||
    bad "umask 022 gives 0644 ($(mode perm.c) $(mode perm.h))"
rm -f perm.c perm.h
expect 0 "umask 077" sh -c "umask 077 && \"$symgrad\" ae.sg -o perm.c -H perm.h"
[ "$(mode perm.c)" = 600 ] && [ "$(mode perm.h)" = 600 ] && ok ||
    bad "umask 077 gives 0600 ($(mode perm.c) $(mode perm.h))"
echo old > perm.c && chmod 600 perm.c
expect 0 "umask 022 over a 0600 file" sh -c "umask 022 && \"$symgrad\" ae.sg -o perm.c"
[ "$(mode perm.c)" = 644 ] && ok || bad "a replaced file gets 0666 & ~umask, as gcc's ($(mode perm.c))"

# an output that would not change is not rewritten: its mtime and inode stay, -o and -H each
"$symgrad" ae.sg -o same.c -H same.h && touch -d 2000-01-01 same.c same.h
ino=$(ls -i same.c | cut -d' ' -f1)
expect 0 "unchanged outputs" "$symgrad" ae.sg -o same.c -H same.h
[ "$(mtime same.c)" = 946684800 ] && [ "$(mtime same.h)" = 946684800 ] && ok ||
    bad "unchanged outputs keep their mtime ($(mtime same.c) $(mtime same.h))"
[ "$(ls -i same.c | cut -d' ' -f1)" = "$ino" ] && ok || bad "an unchanged output is not replaced"
cp same.c fresh.c && echo '/* edited */' >> same.c && touch -d 2000-01-01 same.c
expect 0 "one output changed" "$symgrad" ae.sg -o same.c -H same.h
[ "$(mtime same.c)" != 946684800 ] && cmp -s same.c fresh.c && ok || bad "a changed output is rewritten"
[ "$(mtime same.h)" = 946684800 ] && ok || bad "the unchanged header is left alone while the .c changes"
"$symgrad" -p other ae.sg -o same.c -H same.h && [ "$(mtime same.h)" != 946684800 ] && ok ||
    bad "a changed header is rewritten"
notmp && ok || bad "temporary files left behind"

# SIGTERM and SIGINT remove the temporaries: the header's temporary exists
# while symgrad waits for a reader on the FIFO given as -o
# await_tmp PATTERN: wait (up to 20 s) until a file matches
await_tmp() {
    i=0
    while [ $i -lt 200 ] && ! ls $1 >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
    ls $1 >/dev/null 2>&1
}
# a background job starts with SIGINT ignored (and symgrad keeps it so): env gives it the default
mkfifo wait.fifo
for sig in TERM:143 INT:130; do
    status=${sig#*:} sig=${sig%:*}
    dfl=
    if [ $sig = INT ]; then
        if ! env --default-signal=INT true 2>/dev/null; then
            echo "cli: SIGINT not tested (env has no --default-signal)"
            continue
        fi
        dfl="env --default-signal=INT"
    fi
    rm -f sig.h
    $dfl timeout 60 "$symgrad" ae.sg -H sig.h -o wait.fifo 2>err.txt &
    job=$!
    await_tmp 'sig.h.tmp*' && ok || bad "SIG$sig: the header's temporary never appeared"
    kill -$sig $job 2>/dev/null
    # timeout passes the signal on and dies of it too
    wait $job 2>/dev/null
    got=$?
    [ $got = $status ] && ok || bad "SIG$sig: exit $got, expected $status (death by the signal)"
    ! ls sig.h* >/dev/null 2>&1 && ok || bad "SIG$sig left $(ls sig.h* 2>/dev/null)"
done
# a signal while the input (a FIFO that never ends) is read: nothing written
mkfifo in.fifo
sleep 60 > in.fifo &
writer=$!
timeout 60 "$symgrad" in.fifo -o never.c -H never.h 2>err.txt &
job=$!
sleep 1
kill -TERM $job 2>/dev/null
wait $job 2>/dev/null
got=$?
kill $writer 2>/dev/null; wait $writer 2>/dev/null
[ $got = 143 ] && ok || bad "SIGTERM while reading: exit $got"
[ ! -e never.c ] && [ ! -e never.h ] && notmp && ok || bad "SIGTERM while reading: nothing written"
# SIGPIPE: standard output is a pipe nobody reads any more, the header's temporary exists
rm -f pipe.h
{ sleep 1; "$symgrad" ae.sg -H pipe.h 2>err.txt; } | true
! ls pipe.h* >/dev/null 2>&1 && ok || bad "a closed pipe on stdout left $(ls pipe.h* 2>/dev/null)"

# usage errors: exit 2, every file untouched
cp ae.sg keep.sg
# usage2 DESCRIPTION MESSAGE ARGS...: exit 2, the message, nothing on stdout, no ./u.c or ./u.h
usage2() {
    what=$1 msg=$2
    shift 2
    rm -f u.c u.h
    expect 2 "$what" "$@"
    grep -qxF -- "symgrad: $msg" err.txt && ok || bad "$what: the message ($(head -c 300 err.txt))"
    [ ! -s out.txt ] && [ ! -e u.c ] && [ ! -e u.h ] && cmp -s keep.sg ae.sg && ok || bad "$what: a file was touched"
}
usage2 "-o the input" "the output 'ae.sg' is the input file 'ae.sg'" "$symgrad" ae.sg -o ae.sg
usage2 "-o ./the input" "the output './ae.sg' is the input file 'ae.sg'" "$symgrad" ae.sg -o ./ae.sg -H u.h
usage2 "-o the input by its full path" "the output '$PWD/ae.sg' is the input file 'ae.sg'" \
    "$symgrad" ae.sg -o "$PWD/ae.sg"
ln -s ae.sg aelink.c
usage2 "-o a symlink to the input" "the output 'aelink.c' is the input file 'ae.sg'" "$symgrad" ae.sg -o aelink.c
usage2 "-o the input read from stdin" "the output 'ae.sg' is the input file '-'" \
    sh -c "\"$symgrad\" - -o ae.sg < ae.sg"
usage2 "-H the input" "the header './ae.sg' is the input file 'ae.sg'" "$symgrad" ae.sg -o u.c -H ./ae.sg
usage2 "-o and -H one new file" "the output 'u.c' and the header './u.c' are the same file" \
    "$symgrad" ae.sg -o u.c -H ./u.c
echo keep > both.c
usage2 "-o and -H one old file" "the output 'both.c' and the header 'sub/../both.c' are the same file" \
    sh -c "mkdir -p sub && \"$symgrad\" ae.sg -o both.c -H sub/../both.c"
[ "$(cat both.c)" = keep ] && ok || bad "-o and -H one file: the file is untouched"
expect 0 "-o and -H both /dev/null" "$symgrad" ae.sg -o /dev/null -H /dev/null
usage2 "-o twice" "-o/--output given twice ('u.c', then 'v.c')" "$symgrad" ae.sg -o u.c --output v.c
usage2 "-H twice" "-H/--header given twice ('u.h', then 'v.h')" "$symgrad" ae.sg -H u.h -Hv.h -o u.c
usage2 "--eval twice" "--eval given twice ('x=[1,1]', then 'x=[2,2]')" \
    "$symgrad" ae.sg --eval 'x=[1,1]' --eval 'x=[2,2]' -o u.c
# the outputs are C (the default), --latex, --formulas and --eval: one at a time
usage2 "--latex --formulas" "--latex and --formulas are different outputs: choose one" \
    "$symgrad" --latex --formulas ae.sg -o u.c
usage2 "--formulas --latex" "--latex and --formulas are different outputs: choose one" \
    "$symgrad" --formulas ae.sg --latex -o u.c
usage2 "--latex --eval" "--latex and --eval are different outputs: choose one" \
    "$symgrad" --latex --eval 'W=[[1,2],[3,4]]; x=[1,1]' ae.sg -o u.c
usage2 "--formulas --eval" "--formulas and --eval are different outputs: choose one" \
    "$symgrad" --eval 'W=[[1,2],[3,4]]; x=[1,1]' --formulas ae.sg -o u.c
# options of one output with another
for m in --latex --formulas "--eval=W=[[1,2],[3,4]];x=[1,1]"; do
    mode=${m%%=*}
    usage2 "--check $mode" "--check goes with C output, not $mode" "$symgrad" "$m" --check ae.sg -o u.c
    usage2 "--blas $mode" "--blas goes with C output, not $mode" "$symgrad" --blas ae.sg "$m" -o u.c
    usage2 "--dim $mode" "--dim goes with C output, not $mode" "$symgrad" "$m" --dim n=2 ae.sg -o u.c
    usage2 "-p $mode" "-p/--prefix goes with C output, not $mode" "$symgrad" "$m" -p q ae.sg -o u.c
    usage2 "-t $mode" "-t/--type goes with C output, not $mode" "$symgrad" -t double "$m" ae.sg -o u.c
    usage2 "-H $mode" "-H/--header goes with C output, not $mode" "$symgrad" "$m" ae.sg -o u.c -H u.h
done
for m in "" --latex "--eval=W=[[1,2],[3,4]];x=[1,1]"; do
    usage2 "--ascii ${m%%=*}" "--ascii goes with --formulas or --steps" "$symgrad" $m --ascii ae.sg -o u.c
done
for m in "" --formulas "--eval=W=[[1,2],[3,4]];x=[1,1]"; do
    usage2 "--fragment ${m%%=*}" "--fragment and --index go with --latex" "$symgrad" $m --fragment ae.sg -o u.c
    usage2 "--index ${m%%=*}" "--fragment and --index go with --latex" "$symgrad" $m --index ae.sg -o u.c
    usage2 "--update ${m%%=*}" "--update goes with --latex" "$symgrad" $m --update ae.sg -o u.c
done
# --steps is an output of its own: not with another one, nor with C's options
for m in --latex --formulas "--eval=W=[[1,2],[3,4]];x=[1,1]"; do
    mode=${m%%=*}
    usage2 "--steps $mode" "$mode and --steps are different outputs: choose one" "$symgrad" --steps "$m" ae.sg -o u.c
done
usage2 "--check --steps" "--check goes with C output, not --steps" "$symgrad" --steps --check ae.sg -o u.c
usage2 "-H --steps" "-H/--header goes with C output, not --steps" "$symgrad" --steps ae.sg -o u.c -H u.h
usage2 "--fragment --steps" "--fragment and --index go with --latex" "$symgrad" --steps --fragment ae.sg -o u.c
expect 0 "--steps -o" "$symgrad" --steps ae.sg -o steps.txt
"$symgrad" --steps ae.sg >steps.out 2>&1 && cmp -s steps.txt steps.out && ok ||
    bad "--steps -o writes what --steps prints"
grep -q "Y = AB ⇒ B̄ += AᵀȲ  \[Cookbook (37)\]" steps.txt && ok || bad "--steps cites the rule and its Cookbook equation"
grep -q "│ ∂L/∂W = W(xrᵀ + rxᵀ) │" steps.txt && ok || bad "--steps boxes the closed form --formulas prints"
expect 0 "--steps --ascii" "$symgrad" --steps --ascii ae.sg -o steps-ascii.txt
LC_ALL=C grep -q '[^ -~]' steps-ascii.txt && bad "--steps --ascii prints only ASCII" || ok
grep -q "| dL/dW = W \* (x \* r' + r \* x') |" steps-ascii.txt && ok || bad "--steps --ascii boxes the result"
expect 1 "--steps on a bad input" "$symgrad" --steps bad.sg -o never.txt
[ ! -e never.txt ] && ok || bad "--steps on a bad input writes nothing"
# every example and every saved regression through --steps, in both
# alphabets: no crash (the sanitizers of the build abort), exit 0 or 1
for f in "$top"/examples/*.sg "$top"/tests/latex/*.sg "$top"/tests/smith-regressions/*.sg \
    "$top"/tests/fuzz-regressions/*; do
    [ -f "$f" ] || continue
    for a in "" --ascii; do
        # shellcheck disable=SC2086
        timeout 60 "$symgrad" --steps $a "$f" >steps.out 2>steps.err
        rc=$?
        if [ $rc = 0 ] || [ $rc = 1 ]; then ok; else bad "--steps $a $(basename "$f"): exit $rc ($(head -c 300 steps.err))"; fi
    done
done
# the combinations that mean something still work
expect 0 "--latex --fragment --index -o" "$symgrad" --latex --fragment --index ae.sg -o ok.tex
expect 0 "--latex --update -o" "$symgrad" --latex --update ae.sg -o okup.tex
expect 0 "C with every C option" "$symgrad" --check --blas -t float -p q --dim n=2 ae.sg -o okc.c -H okc.h
# --dim names a dimension of the problem (known only once it is read)
usage2 "--dim an unknown dimension" "--dim q=3: ae.sg has no dimension q; its dimensions are m, n" \
    "$symgrad" --dim n=2 --dim q=3 ae.sg -o u.c -H u.h
printf 'x ∈ ℝ\nL = x*x\ngrad L wrt x\n' > nodims.sg
usage2 "--dim and no dimensions" "--dim n=2: nodims.sg has no dimensions to fix" \
    "$symgrad" --dim n=2 nodims.sg -o u.c
usage2 "--dim twice, two values" "--dim n=4: n is already fixed to 3" "$symgrad" --dim n=3 --dim n=4 ae.sg -o u.c
expect 0 "--dim twice, one value" "$symgrad" --dim n=3 --dim n=3 ae.sg -o u.c

# the banner names the input as the user gave it, no more
mkdir -p sub && cp ae.sg sub/ae.sg
expect 0 "a relative input" "$symgrad" sub/ae.sg -o rel.c -H rel.h
grep -q '^ \* generated by symgrad [0-9.]* from sub/ae.sg; do not edit$' rel.c &&
    grep -q '^ \* generated by symgrad [0-9.]* from sub/ae.sg; do not edit$' rel.h && ok ||
    bad "the banner names sub/ae.sg ($(grep -m1 'generated by' rel.c))"
! grep -qF "$PWD" rel.c rel.h && ok || bad "no absolute path in the output unless given"
expect 0 "--latex, a relative input" "$symgrad" --latex sub/ae.sg
# (only there: the title is the problem's leading comment)
grep -q '^% The derivation, written by symgrad from sub/ae.sg\.$' out.txt &&
    [ "$(grep -c 'ae\.sg' out.txt)" = 1 ] &&
    grep -qF '\section*{Linear autoencoder}' out.txt && ok ||
    bad "the LaTeX names sub/ae.sg ($(grep -m1 'written by' out.txt))"
expect 0 "an absolute input" "$symgrad" "$PWD/ae.sg"
grep -qF " from $PWD/ae.sg; do not edit" out.txt && ok || bad "an absolute input is named as given"
expect 0 "stdin's banner" sh -c "\"$symgrad\" - < ae.sg"
grep -qF ' from <stdin>; do not edit' out.txt && ok || bad "standard input is named <stdin>"

# --check: every example's generated main() agrees with finite differences
for sg in "$top"/examples/*.sg; do
    name=$(basename "$sg" .sg)
    if "$symgrad" --check "$sg" -o "check_$name.c" 2>err.txt &&
        cc -std=c99 -O1 -Wall -Wextra -pedantic -Werror "check_$name.c" -o "check_$name" -lm 2>>err.txt &&
        "./check_$name" >out.txt 2>>err.txt && grep -q 'worst relative error' out.txt; then
        ok
    else
        bad "--check on examples/$name.sg: $(head -c 300 err.txt) $(head -c 300 out.txt)"
    fi
done

# --check of a Hessian (second differences of the value, extrapolated to step
# 0 per entry): right Hessians pass, in double and float, where a fixed step
# of 1e-4 gave 1.6e-5 of round-off against the tolerance of 1e-5 (the smith
# reproducer; float 0.11) and a deep tanh network 2e-7; the largest entry
# 1e-3 or 1e-4 off (relative) fails
cat > hdeep.sg <<'EOF'
dim n
W1, W2, W3, W4 ∈ ℝ^{n×n}
x ∈ ℝ^n
h1 = tanh(W1 x)
h2 = tanh(W2 h1)
h3 = tanh(W3 h2)
h4 = tanh(W4 h3)
L = sum(h4) + h4ᵀh4
hessian L wrt x
EOF
grep -v '^#' "$top/tests/smith-regressions/check-hessian-tolerance.sg" > htol.sg
for h in hdeep htol; do
    # htol's float Hessian is itself 1.5% off its double one (1 − tanh² of a
    # saturated tanh, in float): the check is right to refuse it
    dims="--dim n=5" types="double float"
    [ $h = htol ] && dims="--dim p=2 --dim NUL=5" types=double
    for t in $types; do
        # shellcheck disable=SC2086
        if "$symgrad" -t $t $dims --check $h.sg -o $h-$t.c 2>err.txt &&
            cc -std=c99 -O1 -Wall -Wextra -pedantic -Werror $h-$t.c -o $h-$t -lm 2>>err.txt &&
            ./$h-$t >out.txt 2>>err.txt && grep -q '^d2.*worst relative error' out.txt; then
            ok
        else
            bad "--check passes the right Hessian of $h.sg -t $t: $(head -c 300 err.txt) $(cat out.txt)"
        fi
    done
    # the Hessian (5×5) times 1 + off in its largest entry, before it is compared
    r=$(sed -n 's/.* sg_r\[\([0-9]*\)\], [0-9e.-]*);$/\1/p' $h-double.c | tail -1)
    for off in 1e-3 1e-4; do
        awk -v r="$r" -v off="$off" '
            /sg_err = sg_check_hessian\(/ && !done {
                print "        { long sg_q, sg_m = 0; for (sg_q = 1; sg_q < 25; sg_q++)"
                print "          if (fabs(sg_r[" r "][sg_q]) > fabs(sg_r[" r "][sg_m])) sg_m = sg_q;"
                print "          sg_r[" r "][sg_m] *= 1 + " off "; }"
                done = 1
            }
            { print }' $h-double.c > $h-wrong.c
        if [ -n "$r" ] && grep -q "1 + $off" $h-wrong.c && cc -std=c99 -O1 $h-wrong.c -o $h-wrong -lm 2>err.txt; then
            ./$h-wrong >out.txt 2>&1
            rc=$?
            if [ $rc = 1 ] && grep -q '^d2.*(too large)' out.txt; then ok; else
                bad "--check fails a Hessian entry $off off in $h.sg: exit $rc, $(cat out.txt)"
            fi
        else
            bad "the wrong Hessian of $h.sg compiles: $(head -c 300 err.txt)"
        fi
    done
done

# the default prefix is the file's stem spelt by the C-name rule of
# docs/GENERATED_C.md: never a leading _ (1abc.sg gave _1abc_eval, reserved
# at file scope in C) nor a __; and the code compiles
mkdir -p stems
printf 'x ∈ ℝ^n\nL = ‖x‖²\ngrad L wrt x\n' > stems.sg # no prefix statement
for pair in "1abc:v1abc" "_x:v_x" "__:v" "βeta:v_eta" "é:v" "my-prob:my_prob" "a.b:a_b" \
    "my prob:my_prob" "a--b:a_b" "x-:x" "-:v" "Ok9:Ok9"; do
    stem=${pair%%:*} want=${pair#*:}
    cp stems.sg "stems/$stem.sg"
    if "$symgrad" "stems/$stem.sg" -o stems/p.c 2>err.txt && grep -q "^int ${want}_eval(" stems/p.c &&
        cc -std=c99 -Wall -Wextra -pedantic -Werror -c stems/p.c -o stems/p.o 2>>err.txt; then
        ok
    else
        bad "the default prefix of '$stem.sg' is $want: $(grep -m1 '_eval(' stems/p.c) $(head -c 300 err.txt)"
    fi
done

# the README's example program builds against the generated C and runs
awk '/^A complete program:/ {on = 1; next} on && /^```c/ {inside = 1; next}
     inside && /^```/ {exit} inside {print}' "$top/README.md" > readme_main.c
"$symgrad" ae.sg -o ae.c -H ae.h &&
    cc -std=c99 -Wall -Wextra -pedantic -Werror readme_main.c ae.c -lm -o readme_demo &&
    ./readme_demo | grep -q '^L = ' && ok || bad "the README's example program builds and runs"

# ---- the notations students type: each gives what its plain spelling gives ----
# same_notation WHAT A B: problems A and B (texts) print the same --formulas and C
same_notation() {
    printf '%s\n' "$2" > nota.sg
    "$symgrad" --formulas nota.sg > nota.f 2>&1 && "$symgrad" nota.sg -o nota.c
    printf '%s\n' "$3" > nota.sg
    if "$symgrad" --formulas nota.sg > notb.f 2>&1 && "$symgrad" nota.sg -o notb.c &&
        cmp -s nota.f notb.f && same_c nota.c notb.c; then
        ok
    else
        bad "$1: not what its plain spelling gives: $(head -c 300 nota.f) / $(head -c 300 notb.f)"
    fi
}
same_notation "√" 'x ∈ ℝ^n
a ∈ ℝ
L = sum(√x) + √(xᵀx) a + √a²
grad L wrt x, a' 'x ∈ ℝ^n
a ∈ ℝ
L = sum(sqrt(x)) + sqrt(xᵀx) a + sqrt(a²)
grad L wrt x, a'
same_notation "π" 'x ∈ ℝ^n
L = π sum(x) + 2π + ½ log(2π) + πxᵀx + π(xᵀx)
grad L wrt x' 'x ∈ ℝ^n
L = 3.141592653589793 sum(x) + 2 * 3.141592653589793 + 0.5 log(2 * 3.141592653589793) + 3.141592653589793 xᵀx + 3.141592653589793 (xᵀx)
grad L wrt x'
same_notation "a declared π" 'π ∈ ℝ
L = π²
grad L wrt π' 'pi ∈ ℝ
L = pi²
grad L wrt pi'
same_notation "ℓ" 'x ∈ ℝ^n
ℓ = ‖x‖²
grad ℓ wrt x' 'x ∈ ℝ^n
ell = ‖x‖²
grad ell wrt x'
# √ is the square root even where sqrt is declared
printf 'sqrt ∈ ℝ\nx ∈ ℝ^n\nL = sqrt sum(√x)\ngrad L wrt x\n' > rootdecl.sg
expect 0 "√ with sqrt declared" "$symgrad" --formulas rootdecl.sg
grep -qF '√x' out.txt && ok || bad "√ with sqrt declared is the square root: $(cat out.txt)"
same_notation "ℝⁿ" 'x ∈ ℝⁿ
W ∈ ℝᵐˣⁿ
b ∈ ℝ³
K ∈ 𝕊₊₊ⁿ
L = ‖Wx‖² + sum(b) + xᵀKx
grad L wrt W, x' 'x ∈ ℝ^n
W ∈ ℝ^{m×n}
b ∈ ℝ^3
K ∈ 𝕊₊₊^n
L = ‖Wx‖² + sum(b) + xᵀKx
grad L wrt W, x'
same_notation "‖·‖₂ ‖·‖_F ||·||" 'x ∈ ℝ^n
X ∈ ℝ^{m×n}
L = ‖x‖₂ + ‖x‖₂² + ‖X‖_F + ‖X‖_F² + ||x|| + ||x||^2 + ||X||_F + ||x||_2^2 + ‖xᵀ‖_2 + ||x||₁
grad L wrt x, X' 'x ∈ ℝ^n
X ∈ ℝ^{m×n}
L = ‖x‖ + ‖x‖² + ‖X‖ + ‖X‖² + ‖x‖ + ‖x‖^2 + ‖X‖ + ‖x‖^2 + ‖xᵀ‖ + ‖x‖₁
grad L wrt x, X'
# ‖X‖₂ of a matrix is a spectral norm: refused, with the Frobenius spelling
printf 'X ∈ ℝ^{m×n}\nL = ‖X‖₂²\n' > spectral.sg
expect 1 "‖X‖₂ of a matrix" "$symgrad" spectral.sg
grep -qF "spectral.sg:2:5: error: ‖·‖₂ of a matrix is its spectral norm, which symgrad does not have: X is ℝ^{m×n}; write ‖X‖_F or ‖X‖ for the Frobenius norm" err.txt &&
    ok || bad "the spectral norm message: $(cat err.txt)"
same_notation "@" 'X ∈ ℝ^{N×D}
W ∈ ℝ^{D×C}
y ∈ ℝ^N
w ∈ ℝ^D
L = sum(X @ W) + ‖X @ w − y‖² + sum(Xᵀ@X@w)
grad L wrt W, w' 'X ∈ ℝ^{N×D}
W ∈ ℝ^{D×C}
y ∈ ℝ^N
w ∈ ℝ^D
L = sum(X * W) + ‖X * w − y‖² + sum(Xᵀ*X*w)
grad L wrt W, w'
same_notation "Σ as a name" 'Σ ∈ 𝕊₊₊^d
x, μ ∈ ℝ^d
y[t] ∈ ℝ^d for t = 1..T
L = −½ log|Σ| − ½(x − μ)ᵀΣ⁻¹(x − μ) + ∑_{t=1}^{T} ‖y[t] − μ‖²
grad L wrt Σ, μ' 'Sigma ∈ 𝕊₊₊^d
x, μ ∈ ℝ^d
y[t] ∈ ℝ^d for t = 1..T
L = −½ log|Sigma| − ½(x − μ)ᵀSigma⁻¹(x − μ) + sum(t = 1..T, ‖y[t] − μ‖²)
grad L wrt Sigma, μ'
# an undeclared Σ that is no sum is an undefined name
printf 'x ∈ ℝ^d\nL = xᵀΣx\n' > sigma.sg
expect 1 "undeclared Σ" "$symgrad" sigma.sg
grep -qF "sigma.sg:2:7: error: undefined name" err.txt && ok || bad "an undeclared Σ: $(cat err.txt)"

# max and min: elementwise, a scalar broadcast on either side, written with
# relu (max(a, b) = b + relu(a − b), min(a, b) = b − relu(b − a)); values and
# derivatives by hand, away from ties; at a tie the derivative goes to b
printf 'x, y ∈ ℝ^n\ns ∈ ℝ\nL = sum(max(x, y) ⊙ min(x, s)) + max(s, 0) + min(2, s)\ngrad L wrt x, y, s\n' > maxmin.sg
expect 0 "max and min" "$symgrad" maxmin.sg --eval 'x=[1,-2,3]; y=[0.5,1,4]; s=1.5'
grep -qx 'L = 8' out.txt && grep -qx 'dL_dx = \[2, 1, 0\]' out.txt &&
    grep -qx 'dL_dy = \[0, -2, 1.5\]' out.txt && grep -qx 'dL_ds = 6' out.txt && ok ||
    bad "--eval of max and min ($(cat out.txt))"
printf 'a, b ∈ ℝ\nL = max(a, b) + 2min(a, b)\ngrad L wrt a, b\n' > tie.sg
expect 0 "max and min at a tie" "$symgrad" tie.sg --eval 'a=1; b=1'
grep -qx 'L = 3' out.txt && grep -qx 'dL_da = 0' out.txt && grep -qx 'dL_db = 3' out.txt && ok ||
    bad "a tie gives the derivative to b ($(cat out.txt))"
expect 0 "max and min in C" "$symgrad" -t float maxmin.sg
grep -q 'sg_relu(' out.txt && grep -q 'sg_step(' out.txt && ok || bad "max and min in C are relu and step"
expect 0 "max and min in LaTeX" "$symgrad" --latex maxmin.sg
grep -qF '\max(x, y) \odot \min(x, s)' out.txt && ok || bad "--latex quotes max and min"
printf 'x ∈ ℝ^n\ny ∈ ℝ^m\nL = sum(max(x, y))\n' > maxshape.sg
expect 1 "max of two shapes" "$symgrad" maxshape.sg
grep -qF "maxshape.sg:3:9: error: max takes equal shapes, or a scalar on either side, not ℝ^n and ℝ^m" err.txt &&
    ok || bad "max of two shapes: $(cat err.txt)"
printf 'x ∈ ℝ^n\nL = sum(min(x))\n' > minargs.sg
expect 1 "min of one argument" "$symgrad" minargs.sg
grep -qF "minargs.sg:2:9: error: min takes 2 arguments, not 1" err.txt && ok || bad "min of one argument: $(cat err.txt)"
# Y ∈ Δ^{C×N}, a batch of labels: the batch cross-entropy's gradient is
# softmax(Z) − Y, in every spelling; --eval takes Y as a plain matrix, and
# --check's main() (each column drawn in the simplex, Y moved along it) passes
printf 'Z ∈ ℝ^{C×N}\nY ∈ Δ^{C×N}\nL = −sum(Y ⊙ log(softmax(Z)))\ngrad L wrt Z, Y\n' > batch.sg
expect 0 "Δ^{C×N}" "$symgrad" --formulas batch.sg
grep -qxF "∂L/∂Z = softmax(Z) − Y" out.txt && ok || bad "the batch softmax gradient: $(cat out.txt)"
printf 'Z : matrix(C, N)\nY : onehot(C, N)\nL = -sum(Y .* log(softmax(Z)))\ngrad L wrt Z, Y\n' > batcha.sg
"$symgrad" --formulas batcha.sg > batcha.f 2>&1 && cmp -s out.txt batcha.f && ok ||
    bad "onehot(C, N) is not Δ^{C×N}: $(cat batcha.f)"
expect 0 "--eval of a Δ^{C×N} input" "$symgrad" --eval 'Z=[[1,2],[3,4]]; Y=[[1,0.25],[0,0.75]]' batch.sg
grep -qF "dL_dZ = [[-0.880797078, -0.130797078], [0.880797078, 0.130797078]]" out.txt && ok ||
    bad "--eval of the batch softmax: $(cat out.txt)"
if "$symgrad" --check --dim C=4 --dim N=3 batch.sg -o check_batch.c 2>err.txt &&
    cc -std=c99 -O1 -Wall -Wextra -pedantic -Werror check_batch.c -o check_batch -lm 2>>err.txt &&
    ./check_batch >out.txt 2>>err.txt && [ "$(grep -c 'worst relative error' out.txt)" = 2 ]; then
    ok
else
    bad "--check of Y ∈ Δ^{C×N}: $(head -c 300 err.txt) $(head -c 300 out.txt)"
fi
# Δ in superscript, as ℝ: Δᵏˣᴺ
printf 'Z ∈ ℝ^{k×N}\nY ∈ Δᵏˣᴺ\nL = −sum(Y ⊙ log(softmax(Z)))\ngrad L wrt Z\n' > batchsup.sg
expect 0 "Δᵏˣᴺ" "$symgrad" --formulas batchsup.sg
grep -qxF "∂L/∂Z = softmax(Z) − Y" out.txt && ok || bad "Δᵏˣᴺ: $(cat out.txt err.txt)"
# and a step of a sequence declared in Δ: 𝟙ᵀy[t] = 1, 𝟙ᵀY[t] = 𝟙ᵀ
printf 'h0 ∈ ℝ^n\nx[t] ∈ ℝ^n for t = 1..T\ny[t] ∈ Δ^n for t = 1..T\nY[t] ∈ Δ^{n×k} for t = 1..T\nW ∈ ℝ^{n×n}\nh[0] = h0\nh[t] = tanh(W h[t−1] + x[t]) for t = 1..T\nL = −Σ_{t=1}^{T} y[t]ᵀ log(softmax(h[t])) − Σ_{t=1}^{T} sum(Y[t] ⊙ log(softmax(h[t]ones(k)ᵀ)))\ngrad L wrt W\n' > batchseq.sg
expect 0 "Δ steps" "$symgrad" --formulas batchseq.sg
grep -qF "(softmax(h[t]𝟙ᵀ) − Y[t])𝟙 [1 ≤ t] + (softmax(h[t]) − y[t]) [1 ≤ t]" out.txt && ok ||
    bad "the softmax gradient of Δ steps: $(cat out.txt)"

echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
