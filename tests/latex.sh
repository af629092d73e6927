#!/bin/sh
# LaTeX tests: every derivation symgrad writes compiles.
#
# For each examples/*.sg, each problem under tests/latex/ (attention, layer
# norm, …, written as a user would) and each tests/golden/*.sg with a
# NAME.tex golden,
#   symgrad --latex NAME.sg                      a whole document
#   symgrad --latex --fragment --index --update NAME.sg
#                                                the body alone, inside a
#                                                default article (10pt,
#                                                345pt lines), loading only
#                                                the packages its first
#                                                comment names
# are compiled by pdflatex -halt-on-error in a temporary directory. Any LaTeX
# error, and any overfull box (a line that runs off the page), fails. A
# fragment must not carry a preamble, and its first line must name the
# packages it needs. Then input files with hostile names
# (a newline and \input, \write18, %, control bytes) must give documents in
# which the name is inert text, and large problems (100 inputs into one
# node, 40 paths, 45 pieces of δ) documents that compile. Without pdflatex
# on PATH the compiling is skipped, and said so; the other checks run anyway.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL latex $1"; }

# --fragment and --index belong to --latex
"$symgrad" --fragment "$top/examples/autoencoder.sg" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 2 ] && grep -q "^symgrad: --fragment and --index go with --latex$" "$tmp/err" &&
   [ ! -s "$tmp/out" ]; then ok; else bad "--fragment without --latex: exit $rc"; fi
"$symgrad" --index --formulas "$top/examples/autoencoder.sg" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 2 ] && [ ! -s "$tmp/out" ]; then ok; else bad "--index without --latex: exit $rc"; fi

have_tex=1
command -v pdflatex >/dev/null 2>&1 || have_tex=0

# compile NAME FILE.tex: no error, no overfull box
compile() {
    d=$(dirname "$2")
    f=$(basename "$2" .tex)
    if ! (cd "$d" && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape "$f.tex" \
            >/dev/null 2>&1); then
        bad "$1: pdflatex failed"
        grep -A3 '^!' "$d/$f.log" | head -8
        return
    fi
    if grep -q 'Overfull \\[hv]box' "$d/$f.log"; then
        bad "$1: overfull box"
        grep -A1 'Overfull' "$d/$f.log" | head -6
        return
    fi
    ok
}

for sg in "$top"/examples/*.sg "$top"/tests/latex/*.sg "$top"/tests/golden/*.sg; do
    [ -f "$sg" ] || continue
    name=$(basename "$sg" .sg)
    case "$sg" in
    */tests/golden/*) [ -f "$top/tests/golden/$name.tex" ] || continue ;;
    esac
    dir=$(dirname "$sg")
    work="$tmp/$name"
    mkdir -p "$work"
    if ! (cd "$dir" && "$symgrad" --latex "$name.sg") >"$work/doc.tex" 2>"$work/err"; then
        bad "$name: symgrad --latex failed"
        cat "$work/err"
        continue
    fi
    if ! (cd "$dir" && "$symgrad" --latex --fragment --index --update "$name.sg") >"$work/body.tex" \
            2>"$work/err"; then
        bad "$name: symgrad --latex --fragment --index --update failed"
        continue
    fi
    if grep -q 'documentclass\|begin{document}' "$work/body.tex"; then
        bad "$name: the fragment has a preamble"
        continue
    fi
    # the packages, as the first comment says them
    pkgs=$(head -1 "$work/body.tex" | sed -n 's/.*\\usepackage{\([a-z,]*\)}.*/\1/p')
    if [ "$pkgs" != "amsmath,amssymb,tikz" ]; then
        bad "$name: the fragment's first comment does not name its packages"
        head -1 "$work/body.tex"
        continue
    fi
    ok
    [ $have_tex = 1 ] || continue
    compile "$name" "$work/doc.tex"
    # a default article: what a student pastes the fragment into
    {
        printf '\\documentclass{article}\n\\usepackage{%s}\n' "$pkgs"
        printf '\\begin{document}\n\\section*{Problem 1}\n\\input{body}\n\\end{document}\n'
    } >"$work/wrapped.tex"
    compile "$name (fragment, index)" "$work/wrapped.tex"
done
# ---- titles and pictures at the edges -------------------------------------------
# a leading comment of machine-written values (no space to break at) is a
# title that stays in the margins; a problem whose graph draws nothing (an
# empty picture: \resizebox divided by its width 0) compiles, whole and as
# a fragment
edge="$tmp/edge"
mkdir -p "$edge"
printf '%s\n' '# values: U6=[[-0.22,-0.906],[-0.145,0.684]]; h_qx=[-0.288,-0.326,-0.539,0.34]; c=-0.72; k=[[0.664,0.241],[0.395,0.803]]' \
    'x ∈ ℝ^n' 'f = ‖x‖²' 'grad f wrt x' >"$edge/title.sg"
printf '%s\n' 'U ∈ ℝ^{2×m}' 'c ∈ ℝ' 'L = c' 'grad L wrt U, c' >"$edge/empty.sg"
for name in title empty; do
    if ! (cd "$edge" && "$symgrad" --latex "$name.sg") >"$edge/$name.tex" 2>"$edge/err" ||
       ! (cd "$edge" && "$symgrad" --latex --fragment "$name.sg") >"$edge/body.tex" 2>>"$edge/err"; then
        bad "$name: symgrad failed"
        cat "$edge/err"
        continue
    fi
    ok
    [ $have_tex = 1 ] || continue
    compile "$name" "$edge/$name.tex"
    printf '\\documentclass{article}\n\\usepackage{amsmath,amssymb,tikz}\n\\begin{document}\n\\input{body}\n\\end{document}\n' \
        >"$edge/wrapped.tex"
    compile "$name (fragment)" "$edge/wrapped.tex"
done

# ---- file names are text, never TeX -------------------------------------------
# A newline in the input's name ended the comment line of the document and
# what followed was live TeX (\input read /etc/hostname into the PDF,
# \write18 ran with shell escape). Every hostile name below must come out as
# inert text: no command of it outside the comment line, nothing read or
# written by pdflatex, and no sign of it in --formulas or --eval.
names="$tmp/names"
mkdir -p "$names"
nl='
'
problem='A ∈ ℝ^{m×n}
b ∈ ℝ^m
x ∈ ℝ^n
f = ‖Ax − b‖²
grad f wrt x
'
i=0
for name in "a${nl}\\input{hostname}${nl}x" "b${nl}\\immediate\\write18{touch pwned}${nl}%" \
            "c%\\end{document}" "d*\\" "e??=??(" "f\"'\`" "g\\\\\\" "h\$&#^_~{}" \
            "i$(printf '\033[31m\001\177\377')"; do
    i=$((i + 1))
    d="$names/$i"
    mkdir -p "$d"
    printf '%s' "$problem" >"$d/$name.sg"
    # what \input{hostname} would read, were it live
    printf 'SECRET-MARKER\n' >"$d/hostname"
    printf 'SECRET-MARKER\n' >"$d/hostname.tex"
    for mode in "" --fragment; do
        if ! (cd "$d" && "$symgrad" --latex $mode "$name.sg") >"$d/doc.tex" 2>"$d/err"; then
            bad "hostile name $i $mode: symgrad failed"
            cat "$d/err"
            continue
        fi
        # the first line is the comment that names the file; nothing of the
        # name is live below it
        if [ "$(head -c 39 "$d/doc.tex")" != "% The derivation, written by symgrad fr" ] ||
           sed 1d "$d/doc.tex" | grep -q '\\input\|\\write18\|\\immediate\|^x$\|^%$'; then
            bad "hostile name $i $mode: live TeX in the document"
            head -5 "$d/doc.tex"
            continue
        fi
        ok
    done
    (cd "$d" && "$symgrad" --formulas "$name.sg") >"$d/formulas" 2>&1 &&
        ! grep -q 'hostname\|write18\|pwned\|SECRET' "$d/formulas" && ok ||
        bad "hostile name $i: --formulas"
    (cd "$d" && "$symgrad" --eval 'A=[[1,2],[3,4]]; b=[1,1]; x=[1,0]' "$name.sg") >"$d/eval" 2>&1 &&
        ! grep -q 'hostname\|write18\|pwned\|SECRET' "$d/eval" && ok ||
        bad "hostile name $i: --eval"
    [ $have_tex = 1 ] || continue
    (cd "$d" && "$symgrad" --latex "$name.sg") >"$d/doc.tex" 2>/dev/null
    if ! (cd "$d" && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape doc.tex \
            >/dev/null 2>&1); then
        bad "hostile name $i: pdflatex failed"
        grep -A3 '^!' "$d/doc.log" | head -8
        continue
    fi
    if [ -e "$d/pwned" ] || grep -q '(\./hostname\|SECRET-MARKER\|runsystem' "$d/doc.log" ||
       { command -v pdftotext >/dev/null 2>&1 && pdftotext "$d/doc.pdf" - | grep -q SECRET-MARKER; }; then
        bad "hostile name $i: pdflatex read or wrote a file"
        continue
    fi
    ok
done

# ---- large problems: no fixed-size tables -----------------------------------------
# 19 and 100 inputs into one sum, product and ⊙ chain; a symbol reached along
# 40 paths; δ of 45 pieces; the Jacobian of a chain using each level twice. Each compiles without a LaTeX error (a long
# unbreakable product may overfill a line; that is layout, not an error).
big="$tmp/big"
mkdir -p "$big"
gen_inputs() { # N OP: L = sum(a0 OP a1 OP … OP x)
    n=$1 op=$2 k=0
    echo "x ∈ ℝ^n"
    while [ $k -lt "$n" ]; do
        if [ "$op" = " " ]; then echo "a$k ∈ ℝ^{n×n}"; else echo "a$k ∈ ℝ^n"; fi
        k=$((k + 1))
    done
    printf 'L = sum('
    k=0
    while [ $k -lt "$n" ]; do printf 'a%d%s' $k "$op"; k=$((k + 1)); done
    printf 'x)\ngrad L wrt a0, x\n'
}
gen_paths() {
    echo "x ∈ ℝ^n"
    k=0; while [ $k -lt 40 ]; do echo "A$k ∈ ℝ^{n×n}"; echo "u$k = A$k x"; k=$((k + 1)); done
    printf 'L = sum(u0)'
    k=1; while [ $k -lt 40 ]; do printf ' + sum(u%d)' $k; k=$((k + 1)); done
    printf '\ngrad L wrt x\n'
}
gen_delta() {
    printf 'x[t] ∈ ℝ^k for t = 1..60\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×n}\nU ∈ ℝ^{n×k}\nh[0] = h0\n'
    printf 'h[t] = tanh(W h[t−1] + U x[t]) for t = 1..60\nL = Σ_{t=1}^{60} sum(h[t])'
    k=1; while [ $k -le 45 ]; do printf ' + sum(h[%d])' $k; k=$((k + 1)); done
    printf '\ngrad L wrt W, h0\n'
}
gen_twice() { # v_i = v_{i−1} ⊙ v_{i−1} + v_{i−1}: a Jacobian logged as a DAG
    printf 'x ∈ ℝ^n\nv0 = tanh(x)\n'
    k=1; while [ $k -le 8 ]; do echo "v$k = v$((k - 1)) ⊙ v$((k - 1)) + v$((k - 1))"; k=$((k + 1)); done
    printf 'L = sum(v8)\ngrad L wrt x\njacobian v8 wrt x\n'
}
gen_twice >"$big/twice8.sg"
gen_inputs 19 " + " >"$big/sum19.sg"
gen_inputs 100 " + " >"$big/sum100.sg"
gen_inputs 19 " ⊙ " >"$big/had19.sg"
gen_inputs 100 " ⊙ " >"$big/had100.sg"
gen_inputs 19 " " >"$big/prod19.sg"
gen_inputs 100 " " >"$big/prod100.sg"
gen_paths >"$big/paths40.sg"
gen_delta >"$big/delta45.sg"
for sg in "$big"/*.sg; do
    name=$(basename "$sg" .sg)
    for mode in "" "--fragment --index" --index; do
        if ! (cd "$big" && "$symgrad" --latex $mode "$name.sg") >"$big/$name.tex" 2>"$big/err"; then
            bad "$name --latex $mode: symgrad failed"
            head -5 "$big/err"
            continue 2
        fi
    done
    (cd "$big" && "$symgrad" --formulas "$name.sg") >/dev/null 2>"$big/err" && ok ||
        bad "$name --formulas: symgrad failed"
    (cd "$big" && "$symgrad" --latex --index "$name.sg") >"$big/$name.tex" 2>/dev/null
    ok
    [ $have_tex = 1 ] || continue
    if (cd "$big" && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape "$name.tex" \
            >/dev/null 2>&1); then
        ok
    else
        bad "$name: pdflatex failed"
        grep -A3 '^!' "$big/$name.log" | head -8
    fi
done

# every regression input symgrad accepts gives a document that compiles
# (they are odd problems on purpose: a recurrence with no shared matrix,
# sequences that share their steps, …); overfull lines are allowed here
reg="$tmp/reg"
mkdir -p "$reg"
for sg in "$top"/tests/fuzz-regressions/*.sg "$top"/tests/smith-regressions/*.sg; do
    [ -f "$sg" ] || continue
    name=$(basename "$sg" .sg)
    "$symgrad" --latex "$sg" >"$reg/$name.tex" 2>/dev/null || continue
    [ $have_tex = 1 ] || continue
    if (cd "$reg" && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape "$name.tex" \
            >/dev/null 2>&1); then
        ok
    else
        bad "regression $name: pdflatex failed"
        grep -A3 '^!' "$reg/$name.log" | head -8
    fi
done

[ $have_tex = 1 ] || echo "latex: pdflatex not found, compiling skipped"
echo "latex: $pass passed, $fail failed"
[ $fail = 0 ]
