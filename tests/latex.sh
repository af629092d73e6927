#!/bin/sh
# LaTeX tests: every derivation symgrad writes compiles.
#
# For each examples/*.sg (and each tests/golden/*.sg with a NAME.tex golden),
#   symgrad --latex NAME.sg                      a whole document
#   symgrad --latex --fragment --index NAME.sg   the body alone, inside a
#                                                minimal document of our own
# are compiled by pdflatex -halt-on-error in a temporary directory. Any LaTeX
# error, and any overfull box (a line that runs off the page), fails. A
# fragment must not carry a preamble. Without pdflatex on PATH the compiling
# is skipped, and said so; the command-line checks run anyway.
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

for sg in "$top"/examples/*.sg "$top"/tests/golden/*.sg; do
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
    if ! (cd "$dir" && "$symgrad" --latex --fragment --index "$name.sg") >"$work/body.tex" \
            2>"$work/err"; then
        bad "$name: symgrad --latex --fragment --index failed"
        continue
    fi
    if grep -q 'documentclass\|begin{document}' "$work/body.tex"; then
        bad "$name: the fragment has a preamble"
        continue
    fi
    ok
    [ $have_tex = 1 ] || continue
    compile "$name" "$work/doc.tex"
    {
        printf '\\documentclass[11pt]{article}\n\\usepackage{amsmath,amssymb,tikz}\n'
        printf '\\setlength{\\textwidth}{6.5in}\\setlength{\\oddsidemargin}{0in}\n'
        printf '\\begin{document}\n\\section*{Problem 1}\n\\input{body}\n\\end{document}\n'
    } >"$work/wrapped.tex"
    compile "$name (fragment, index)" "$work/wrapped.tex"
done
[ $have_tex = 1 ] || echo "latex: pdflatex not found, compiling skipped"
echo "latex: $pass passed, $fail failed"
[ $fail = 0 ]
