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
expect 2 "unknown option" "$symgrad" --frobnicate ae.sg
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
# a value before a norm: α‖W‖² is α·(‖W‖²), not (α‖W‖)²
printf 'W ∈ ℝ^{m×n}\nα ∈ ℝ\nL = α‖W‖²\nM = α(‖W‖)²\noutput L, M\n' > scaled.sg
expect 0 "α‖W‖²" "$symgrad" scaled.sg --eval 'W=[[1,2],[3,4]]; alpha=3'
grep -qx 'L = 90' out.txt && grep -qx 'M = 90' out.txt && ok || bad "α‖W‖² is α(‖W‖²) ($(cat out.txt))"
expect 2 "--eval with a bad shape" "$symgrad" ae.sg --eval 'W=[[1,2],[3,4]]; x=[1,1,1]'
expect 2 "--eval missing an input" "$symgrad" ae.sg --eval 'W=[[1,2],[3,4]]'

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

# the README's example program builds against the generated C and runs
awk '/^A complete program:/ {on = 1; next} on && /^```c/ {inside = 1; next}
     inside && /^```/ {exit} inside {print}' "$top/README.md" > readme_main.c
"$symgrad" ae.sg -o ae.c -H ae.h &&
    cc -std=c99 -Wall -Wextra -pedantic -Werror readme_main.c ae.c -lm -o readme_demo &&
    ./readme_demo | grep -q '^L = ' && ok || bad "the README's example program builds and runs"

echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
