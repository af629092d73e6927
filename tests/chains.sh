#!/bin/sh
# chains.sh: long chains through every mode. A ⊙ chain, a + chain and a
# chain of square matrix products of 250, 500 and 1000 factors, and a sum of
# as many small pieces with a gradient asked for each (past 1000
# nesting levels the parser refuses one expression, so the longer ones are
# definitions of 250 factors each) go through the C printer, --formulas,
# --latex and --eval with a value for every input. Each must exit 0 with its
# output whole; run under the sanitizers (make test builds symgrad with them)
# this checks the passes that size their tables by the nodes they reach.
# Work that grew with the whole DAG on every value printed made the 250-factor
# ⊙ chain take seconds in --latex; no timing is asserted here (unit tests pin
# the scratch and work bounds), only a generous timeout against a hang. The
# inverse of a + chain of matrices (inv) is there for the proof that picks
# its factor: one that recursed into both kids of each sum twice took 2ⁿ
# steps, a hang from n = 33.
#
# usage: SYMGRAD=build/asan/symgrad sh tests/chains.sh [N…]   (default 250 500 1000)
set -u
symgrad=${SYMGRAD:-./symgrad}
case $symgrad in /*) ;; *) symgrad="$(pwd)/$symgrad" ;; esac
sizes=${*:-250 500 1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

gen() { # KIND N: had (⊙), add (+), mat (products of m×m matrices), inv (the
         # inverse of a sum of m×m matrices), ind
    kind=$1 n=$2 i=0
    if [ "$kind" = ind ]; then gen_ind "$n"; return; fi
    case $kind in had) op=" ⊙ " p=a ;; add) op=" + " p=a ;; inv) op=" + " p=A ;; *) op=" " p=A ;; esac
    [ "$kind" = inv ] && echo "x ∈ ℝ^m"
    while [ $i -lt "$n" ]; do
        if [ "$kind" = mat ] || [ "$kind" = inv ]; then echo "A$i ∈ ℝ^{m×m}"; else echo "a$i ∈ ℝ^m"; fi
        i=$((i + 1))
    done
    i=1 s="${p}0" d=0
    while [ $i -lt "$n" ]; do
        if [ $((i % 250)) = 0 ]; then d=$((d + 1)); echo "c$d = $s"; s="c$d"; fi
        s="$s$op$p$i"
        i=$((i + 1))
    done
    if [ "$kind" = mat ]; then printf 'L = tr(%s)\ngrad L wrt A0\n' "$s"
    elif [ "$kind" = inv ]; then printf 'L = xᵀ(%s)⁻¹x\ngrad L wrt A0\n' "$s"
    else printf 'L = sum(%s)\ngrad L wrt a0\n' "$s"; fi
}
gen_ind() { # N: a sum of N small pieces, and the gradient wrt each one's input
    n=$1 i=0
    while [ $i -lt "$n" ]; do echo "a$i ∈ ℝ^m"; echo "b$i ∈ ℝ^m"; i=$((i + 1)); done
    i=1 s="sum(a0 ⊙ b0)" d=0
    while [ $i -lt "$n" ]; do
        if [ $((i % 200)) = 0 ]; then d=$((d + 1)); echo "c$d = $s"; s="c$d"; fi
        s="$s + sum(a$i ⊙ b$i)"
        i=$((i + 1))
    done
    echo "L = $s"
    printf 'grad L wrt a0'
    i=1; while [ $i -lt "$n" ]; do printf ', a%d' $i; i=$((i + 1)); done
    echo
}
vals() { # KIND N: --eval values, m = 2
    kind=$1 n=$2 i=0 v="m=2"
    [ "$kind" = inv ] && v="$v; x=[1,2]"
    while [ $i -lt "$n" ]; do
        case $kind in
        mat|inv) v="$v; A$i=[[1,0.5],[0.25,1]]" ;;
        ind) v="$v; a$i=[1,2]; b$i=[3,4]" ;;
        *) v="$v; a$i=[1,1]" ;;
        esac
        i=$((i + 1))
    done
    echo "$v"
}

for kind in had add mat inv ind; do
    for n in $sizes; do
        f=$kind$n
        gen "$kind" "$n" >"$f.sg"
        for mode in c formulas latex eval; do
            case $mode in
            c) timeout 300 "$symgrad" "$f.sg" >out 2>err ;;
            eval) timeout 300 "$symgrad" --eval "$(vals "$kind" "$n")" "$f.sg" >out 2>err ;;
            *) timeout 300 "$symgrad" --"$mode" "$f.sg" >out 2>err ;;
            esac
            rc=$?
            if [ $rc != 0 ] || [ -s err ]; then
                bad "$f $mode: exit $rc: $(head -c 300 err)"
                continue
            fi
            case $mode in
            c) grep -q "^int ${f}_eval" out ;;
            formulas) grep -q "^∂L/∂" out ;;
            latex) grep -q 'end{document}' out ;;
            eval) grep -q '^dL_d[aA]0 = ' out ;;
            esac && ok || bad "$f $mode: output incomplete"
        done
    done
done
# every input of a ⊙ chain is a factor of ∂L/∂a₀, once, in order
gen had 250 >h.sg
"$symgrad" --formulas --ascii h.sg >out 2>err
line=$(grep '^dL/da0 = ' out)
line="= ${line#*= }"
[ "$(printf '%s\n' "$line" | grep -o 'a[0-9]*' | sort -u | wc -l)" = 249 ] && ok || bad "∂L/∂a₀ of the ⊙ chain: $(printf '%s' "$line" | head -c 200)"
printf '%s\n' "$line" | grep -q '= a1 \.\* a2 \.\* a3 \.\* a4 .*a248 \.\* a249$' && ok || bad "⊙ chain factors out of order"

echo "chains: $pass passed, $fail failed"
[ $fail = 0 ]
