#!/bin/sh
# scale.sh: the C printer's memory grows linearly with a sum of many distinct
# terms (issue 11). L = sum(a1 ⊙ x) + … + sum(aN ⊙ x), in pieces of 500 terms
# (a line holds at most 64 KiB), gives ∇ₓL = a1 + a2 + … + aN in one
# elementwise loop; printing that sum prefix by prefix took 51 MB for 2,500
# terms, 175 MB for 5,000 and 610 MB for 10,000; the formula printer's
# recursion down the sum overflowed the stack under ASan at 10,000. Each size
# must exit 0, and the peak resident size for 2N terms must stay under 2.5 times that for N (measured with GNU
# time; without it the script says so and checks only the exit status). The
# mask counts of deep networks and long output lists are pinned in test_cgen.
#
# usage: SYMGRAD=build/symgrad sh tests/scale.sh [N]   (default 5000: N and 2N)
set -u
symgrad=${SYMGRAD:-./symgrad}
case $symgrad in /*) ;; *) symgrad="$(pwd)/$symgrad" ;; esac
n=${1:-5000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

gen() { # N: the sum of N terms
    awk -v n="$1" 'BEGIN {
        print "x : vector(n)"
        for (i = 1; i <= n; i++) print "a" i " : vector(n)"
        parts = ""
        for (s = 1; s <= n; s += 500) {
            line = "p" s " ="
            for (i = s; i < s + 500 && i <= n; i++)
                line = line (i > s ? " +" : "") " sum(a" i " ⊙ x)"
            print line
            parts = parts (s > 1 ? " + " : "") "p" s
        }
        print "L = " parts
        print "grad L wrt x"
    }' > "sum$1.sg"
}

timer=
if /usr/bin/time -f %M true > /dev/null 2>&1; then timer=/usr/bin/time; fi
run() { # N: runs symgrad on sum N; its peak RSS in KiB (0 without a timer) in kbN
    if [ -n "$timer" ]; then
        timeout 300 "$timer" -o "rss$1" -f %M "$symgrad" "sum$1.sg" > "sum$1.c" 2> "err$1"
        st=$?
        kb=$(tail -n 1 "rss$1")
    else
        timeout 300 "$symgrad" "sum$1.sg" > "sum$1.c" 2> "err$1"
        st=$? kb=0
    fi
    if [ $st -ne 0 ] || ! grep -q "a$1\[" "sum$1.c"; then
        bad "sum of $1 terms: exit $st, or the last term missing"
        cat "err$1"
    else
        ok
    fi
    echo "${kb:-0}" > "kb$1"
}

gen "$n"
gen $((2 * n))
run "$n"
run $((2 * n))
small=$(cat "kb$n") large=$(cat "kb$((2 * n))")
if [ -z "$timer" ]; then
    echo "scale: no GNU time (/usr/bin/time -f): peak memory not checked"
elif [ $((2 * large)) -le $((5 * small)) ]; then
    ok
else
    bad "sum of $((2 * n)) terms took ${large} KiB, of $n ${small} KiB: more than 2.5 times"
fi
# the formulas of the larger sum: printed with no recursion down the sum
if timeout 300 "$symgrad" --formulas --ascii "sum$((2 * n)).sg" > "f.txt" 2> "ferr" &&
   [ "$(grep '^dL/dx = ' f.txt | tr -cs '0-9' '\n' | grep -c .)" = $((2 * n)) ]; then
    ok
else
    bad "--formulas on the sum of $((2 * n)) terms failed"
    head -5 "ferr"
fi
echo "scale: $pass passed, $fail failed"
[ $fail -eq 0 ]
