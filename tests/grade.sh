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

# ---- --grade --------------------------------------------------------------------
expect 0 "--grade --reveal: the ASCII answer" "$symgrad" --grade ans.sg --reveal
has out.txt "ans.sg:6: ∂L/∂x: right (equal as formulas)"
printf '%s\nanswer dL/dx = -r\n' "$head" > wrong.sg
expect 4 "--grade: a wrong answer exits 4" "$symgrad" --grade wrong.sg
has out.txt "wrong.sg:5: ∂L/∂x: wrong: a missing path: you have the path through −x; x is also reached through Wx, which contributes WᵀWr"
printf '%s\nanswer ∂L/∂W = W(xrᵀ + rxᵀ)\n' "$head" > right.sg
expect 0 "--grade: every answer right exits 0" "$symgrad" --grade right.sg
has out.txt "right.sg:5: ∂L/∂W: right (equal as formulas)"
[ "$(wc -l < out.txt)" = 1 ] && ok || bad "--grade without --reveal prints the verdict alone"
expect 0 "--grade --reveal" "$symgrad" --grade --reveal right.sg
has out.txt "    the gradient: ∂L/∂W = W(xrᵀ + rxᵀ)"
expect 0 "--grade -o" "$symgrad" --grade right.sg -o verdicts.txt
has verdicts.txt "right.sg:5: ∂L/∂W: right (equal as formulas)"
printf '%s\ngrad L wrt W\n' "$head" > none.sg
expect 1 "--grade without answers" "$symgrad" --grade none.sg
has err.txt "symgrad: none.sg: error: nothing to grade: the file has no \`answer\` statement (answer ∂L/∂W = …)"
expect 1 "--grade: an input error stays exit 1" "$symgrad" --grade err1.sg
# the MLP's W₂ for W₂ᵀ (C ≠ H): a shape error, whose fix-it names the transpose
sed -n '3,12p' "$top/tests/grade/mlp.sg" > w2.sg
printf 'answer ∂L/∂b₁ = (W₂(softmax(z₂) − y)) ⊙ σ(z₁) ⊙ (𝟙 + z₁ ⊙ (𝟙 − σ(z₁)))\n' >> w2.sg
expect 1 "--grade: W₂ for W₂ᵀ" "$symgrad" --grade w2.sg
grep -qF "w2.sg:11:17: error: cannot multiply W₂ (ℝ^{C×H}) by softmax(z₂) − y (ℝ^C): inner dimensions H and C differ (W₂ᵀ(softmax(z₂) − y) would fit: a transpose?)" err.txt && ok ||
    bad "W₂ for W₂ᵀ: the fix-it ($(cat err.txt))"
expect 2 "--reveal alone" "$symgrad" --reveal right.sg
has err.txt "symgrad: --reveal goes with --grade"
expect 2 "--grade is a mode of its own" "$symgrad" --grade --formulas right.sg
has err.txt "symgrad: --formulas and --grade are different outputs: choose one"
# the other outputs of a file with answers: the answers' requests, no more
expect 0 "C of a file with answers" "$symgrad" right.sg -o right.c
grep -q 'dL_dW' right.c && ok || bad "the C computes the answered gradient"

# ---- the Answers section of --steps and --latex -------------------------------
printf '%s\nanswer ∂L/∂W = Wxrᵀ\nanswer ∂L/∂x = (WᵀW − I)r\n' "$head" > hw.sg
expect 0 "--steps with answers" "$symgrad" --steps hw.sg
has out.txt "Answers"
has out.txt "  line 5, yours:  ∂L/∂W = Wxrᵀ"
has out.txt "  derived:        ∂L/∂W = W(xrᵀ + rxᵀ)"
has out.txt "  wrong: a missing path: you have the path through WᵀWx; W is also reached"
has out.txt "      through Wx, which contributes Wrxᵀ"
has out.txt "  right (equal as formulas)"
expect 0 "--steps --ascii with answers" "$symgrad" --steps --ascii hw.sg
has out.txt "  line 5, yours:  dL/dW = W * x * r'"
has out.txt "  derived:        dL/dW = W * (x * r' + r * x')"
expect 0 "--latex with answers" "$symgrad" --latex hw.sg
has out.txt '\subsection*{Answers}'
has out.txt '\text{yours (line 5):}\quad \frac{\partial L}{\partial W} &= W x r^\top \\'
has out.txt '\text{derived:}\quad \frac{\partial L}{\partial W} &= W(xr^\top + rx^\top)'
has out.txt '\noindent wrong: a missing path: you have the path through $W^\top Wx$; $W$ is also reached through $Wx$, which contributes $Wrx^\top$'
has out.txt '\noindent right (equal as formulas)'
if command -v pdflatex >/dev/null 2>&1; then
    cp out.txt hw.tex
    pdflatex -interaction=nonstopmode -halt-on-error hw.tex >/dev/null 2>&1 && ok ||
        bad "the Answers section compiles ($(grep -A3 '^!' hw.log | head -5))"
fi
"$symgrad" --formulas hw.sg > f.txt 2>&1
grep -q "Answers" f.txt && bad "--formulas has no Answers section" || ok

# ---- verdicts, pinned: tests/grade/NAME.sg against NAME.out --------------------
# (the worst relative error depends on rounding: it is pinned as E)
for sg in "$top"/tests/grade/*.sg; do
    name=$(basename "$sg" .sg)
    cp "$sg" "$name.sg"
    "$symgrad" --grade "$name.sg" >got.txt 2>err.txt
    rc=$?
    sed -E 's/error [0-9.]+e[-+][0-9]+\)/error E)/' got.txt > "$name.got"
    [ "$rc" = "$(sed -n 's/^# exit: //p' "$sg")" ] && ok || bad "$name.sg: exit $rc ($(cat err.txt))"
    cmp -s "$name.got" "$top/tests/grade/$name.out" && ok ||
        bad "$name.sg: the verdicts differ from $name.out: $(diff "$top/tests/grade/$name.out" "$name.got" | head -10)"
done

echo "grade: $pass passed, $fail failed"
[ "$fail" = 0 ]
