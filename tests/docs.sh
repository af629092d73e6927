#!/bin/sh
# The documentation says what symgrad does.
#
# 1. Options: every option of `symgrad --help` is in the README's command-line
#    block with the same meaning, and in the man page's OPTIONS, whose
#    paragraph contains that meaning (its first sentence); and neither
#    documents an option --help lacks.
# 2. README examples: every "$ command" line in a README code block is run
#    (with symgrad being the build under test) and must print the lines shown
#    under it; the --check numbers must be below 1e-6 and within a factor of
#    10 of those shown. Every `symgrad …` line of a ```sh block must succeed.
#    The C program of "The generated C" is built against the header the README
#    shows how to write and must print the output shown.
# 3. Documentation files: docs/LANGUAGE.md and LICENSE exist, README, man page
#    and LANGUAGE.md refer to no file outside the project (../shared), and
#    make install / uninstall put them in and take them out of
#    PREFIX/share/doc/symgrad.
# 4. Layers, as the file essays say: the printers in codegen/ and the
#    command line in cli/ make no expression. No codegen/*.c or cli/*.c
#    calls a function of symbolic/ that builds or rewrites one (every sg_…
#    of symbolic/'s headers that returns sg_expr *, called outside string
#    literals, which hold the generated C's own sg_dot and sg_sum), and only
#    the LaTeX printer (latex.c, tex_*.c) asks derive.h.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL docs: $1"; }

# ---- 1. options ------------------------------------------------------------

# normalize: troff escapes out, … as ..., other non-ASCII out, lower case,
# blanks collapsed, a final period dropped
norm() {
    sed -e 's/\\(aq/'"'"'/g' -e 's/\\(em/ /g' -e 's/\\\[u2026\]/.../g' -e 's/…/.../g' \
        -e 's/\\\[[^]]*\]//g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' |
        LC_ALL=C tr -cd '\11\12\40-\176' | tr 'A-Z' 'a-z' | tr -s ' \t\n' '   ' |
        sed -e 's/^ //' -e 's/ $//' -e 's/\.$//'
}

# help-style text on stdin (an option line, continuation lines indented
# deeper) to "OPTIONS<TAB>MEANING" lines, OPTIONS the sorted option names
help_entries() {
    awk '
    function flush() { if (key != "") print key "\t" text; key = ""; text = "" }
    /^ +-/ {
        flush()
        line = $0; sub(/^ +/, "", line)
        split(line, parts, /   */)
        spec = parts[1]; text = substr(line, length(spec) + 1); sub(/^ +/, "", text)
        n = 0; delete names
        while (match(spec, /--?[A-Za-z][A-Za-z-]*/)) {
            names[++n] = substr(spec, RSTART, RLENGTH); spec = substr(spec, RSTART + RLENGTH)
        }
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
            if (names[j] < names[i]) { t = names[i]; names[i] = names[j]; names[j] = t }
        key = names[1]; for (i = 2; i <= n; i++) key = key " " names[i]
        next
    }
    /^                    +[^ ]/ && key != "" { line = $0; sub(/^ +/, "", line); text = text " " line; next }
    { flush() }
    END { flush() }'
}

"$symgrad" --help >help.txt 2>&1 || bad "symgrad --help exits 0"
help_entries <help.txt | sort >help.tsv
[ "$(wc -l <help.tsv)" -ge 10 ] && ok || bad "--help lists at least 10 options (parsed $(wc -l <help.tsv))"

# the README's block under "## Command line"
awk '/^## Command line/ { on = 1; next } on && /^```/ { if (inb) exit; inb = 1; next } inb' \
    "$top/README.md" | help_entries | sort >readme.tsv

# the man page: .TP, a tag line, then the paragraph up to the next macro
# that ends it, within .SH OPTIONS
awk '
/^\.SH/ { flush(); on = ($2 == "OPTIONS"); next }
!on { next }
function flush() { if (tag != "") print tag "\t" text; tag = ""; text = "" }
/^\.TP/ { flush(); want = 1; next }
want {
    want = 0; spec = $0; sub(/^\.[A-Z]+ /, "", spec); gsub(/\\-/, "-", spec); gsub(/\\f[BIRP]/, "", spec)
    n = 0; delete names
    while (match(spec, /--?[A-Za-z][A-Za-z-]*/)) {
        names[++n] = substr(spec, RSTART, RLENGTH); spec = substr(spec, RSTART + RLENGTH)
    }
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (names[j] < names[i]) { t = names[i]; names[i] = names[j]; names[j] = t }
    tag = names[1]; for (i = 2; i <= n; i++) tag = tag " " names[i]
    next
}
/^\.(PP|LP|P|SS)/ { flush(); next }
tag != "" { text = text " " $0 }
END { flush() }' "$top/symgrad.1" | sort >man.tsv

cut -f1 help.tsv >help.keys
cut -f1 readme.tsv >readme.keys
cut -f1 man.tsv >man.keys
for where in readme man; do
    missing=$(comm -23 help.keys $where.keys | tr '\n' ',')
    extra=$(comm -13 help.keys $where.keys | tr '\n' ',')
    [ -z "$missing" ] && ok || bad "$where lacks options of --help: $missing"
    [ -z "$extra" ] && ok || bad "$where documents options --help lacks: $extra"
done

# meanings: the README's is --help's; the man page's paragraph contains it
while IFS="$(printf '\t')" read -r key meaning; do
    want=$(printf '%s\n' "$meaning" | norm)
    r=$(awk -F '\t' -v k="$key" '$1 == k { print $2 }' readme.tsv | norm)
    if grep -qx -- "$key" readme.keys; then
        [ "$r" = "$want" ] && ok || bad "README's meaning of $key: '$r', --help says '$want'"
    fi
    m=$(awk -F '\t' -v k="$key" '$1 == k { print $2 }' man.tsv | norm)
    if grep -qx -- "$key" man.keys; then
        case "$m" in
        *"$want"*) ok ;;
        *) bad "symgrad.1's paragraph for $key does not say --help's '$want': '$m'" ;;
        esac
    fi
done <help.tsv

# ---- 2. the README's examples ---------------------------------------------

mkdir run bin
printf '#!/bin/sh\nexec "%s" "$@"\n' "$symgrad" >bin/symgrad
chmod +x bin/symgrad
ln -s "$top/examples" run/examples
# the error example's problem.sg, as the README describes it
printf 'W ∈ ℝ^{m×n}\nb ∈ ℝ^m\nL = ‖Wb‖²\n' >run/problem.sg
# the grading session's homework.sg, as the README shows it
printf 'W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nr = WᵀWx − x\nL = ½‖r‖²\nanswer ∂L/∂W = Wxrᵀ\nanswer ∂L/∂x = (WᵀW − I)r\n' \
    >run/homework.sg

# "$ cmd" lines and the output under them (README and LANGUAGE.md): files
# cmd.N and want.N
awk -v dir="$tmp" '
/^```/ { inb = !inb; cur = ""; next }
!inb { next }
/^\$ / { k++; cur = dir "/want." k; printf "" > cur; blank = 0
         print substr($0, 3) > (dir "/cmd." k); close(dir "/cmd." k); next }
cur != "" && /^$/ { blank++; next }
cur != "" { while (blank > 0) { print "" >> cur; blank-- } print >> cur }
' "$top/README.md" "$top/docs/LANGUAGE.md"
ncmd=0
for c in cmd.*; do
    [ -f "$c" ] || continue
    ncmd=$((ncmd + 1))
    k=${c#cmd.}
    # symgrad in the command is the one under test
    (cd run && PATH="$tmp/bin:$PATH" sh "$tmp/$c") >got.$k 2>&1
    if grep -q 'worst relative error' want.$k; then
        # the same results, each below 1e-6 and within 10× of the README's figure
        if awk 'NR == FNR { w[$1] = $NF; nw++; next }
                { if (!($1 in w)) exit 1; v = $NF + 0; r = w[$1] + 0
                  if (v >= 1e-6 || v > 10 * r || v < r / 10) exit 1; seen++ }
                END { exit !(seen == nw) }' want.$k got.$k; then
            ok
        else
            bad "README: \$ $(cat "$c"): got $(tr '\n' ' ' <got.$k), the README shows $(tr '\n' ' ' <want.$k)"
        fi
    elif cmp -s want.$k got.$k; then
        ok
    else
        bad "README: \$ $(cat "$c") prints something else:
$(diff want.$k got.$k | head -20)"
    fi
done
if [ $ncmd -lt 4 ]; then bad "the README shows at least 4 commands with their output (found $ncmd)"; else ok; fi

# every symgrad command of a ```sh block succeeds (up to a && or a comment)
awk '/^```sh/ { inb = 1; next } /^```/ { inb = 0; next } inb && /^symgrad / {
    line = $0; sub(/ *#.*/, "", line); sub(/ *&&.*/, "", line); print line }' "$top/README.md" >sh.cmds
nsh=0
while read -r line; do
    nsh=$((nsh + 1))
    (cd run && PATH="$tmp/bin:$PATH" sh -c "$line") >/dev/null 2>sh.err && ok ||
        bad "README: '$line' fails: $(head -c 300 sh.err)"
done <sh.cmds
[ $nsh -ge 3 ] && ok || bad "the README's sh blocks hold at least 3 symgrad commands (found $nsh)"

# the complete program of "The generated C", against the ae.h written above
awk '/^```c/ { inb = 1; buf = ""; next } /^```/ { if (inb && buf ~ /int main/) { printf "%s", buf; exit } inb = 0; next }
     inb { buf = buf $0 "\n" }' "$top/README.md" >run/main.c
want=$(awk '/^Build it with `cc main.c ae.c -lm`/ { on = 1; next } on && /^```$/ { if (inb) exit; inb = 1; next } on && inb' "$top/README.md")
if [ -s run/main.c ] && [ -f run/ae.c ] && [ -f run/ae.h ] &&
    (cd run && ${CC:-cc} -std=c99 -Wall -Wextra -Werror -o main main.c ae.c -lm) 2>cc.err; then
    got=$(cd run && ./main)
    [ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "README's program prints '$got', the README shows '$want'"
else
    bad "README's program builds with the ae.c and ae.h it shows how to write: $(head -c 400 cc.err 2>/dev/null)"
fi

# every complete problem in LANGUAGE.md (a block with a declaration and a
# request) is accepted
awk -v dir="$tmp" '/^```/ { if (inb) { if (decl && req) { k++; printf "%s", buf > (dir "/lang." k ".sg") }
                                       inb = 0 } else { inb = 1; buf = ""; decl = req = 0 } next }
    inb { buf = buf $0 "\n" }
    inb && /(∈|:| in )/ && !/^\$/ { decl = 1 }
    inb && /^(grad|jacobian|hessian|output) / { req = 1 }' "$top/docs/LANGUAGE.md"
nlang=0
for f in lang.*.sg; do
    [ -f "$f" ] || continue
    nlang=$((nlang + 1))
    (cd run && "$symgrad" --formulas "../$f") >/dev/null 2>lang.err && ok ||
        bad "LANGUAGE.md's problem $(head -2 "$f" | tr '\n' ' ')is rejected: $(head -c 300 lang.err)"
done
[ $nlang -ge 3 ] && ok || bad "LANGUAGE.md holds at least 3 complete problems (found $nlang)"

# ---- 3. documentation files ------------------------------------------------

[ -s "$top/docs/LANGUAGE.md" ] && ok || bad "docs/LANGUAGE.md exists"
grep -q '^MIT License' "$top/LICENSE" && tr '\n' ' ' <"$top/LICENSE" | tr -s ' ' |
    grep -q "Generated code, including the kernels copied from symgrad's templates, is yours to use, modify and distribute without conditions." &&
    ok || bad "LICENSE: MIT, and the terms of the generated code"
refs=$(grep -n 'shared/spec\|\.\./shared/' "$top/README.md" "$top/symgrad.1" "$top/docs/LANGUAGE.md" "$top/docs/GENERATED_C.md" "$top/docs/ARCHITECTURE.md" |
    grep -v 'acceptance' | head -5)
[ -z "$refs" ] && ok || bad "the docs refer outside the project: $refs"
grep -q 'docs/LANGUAGE.md' "$top/README.md" && grep -q 'LANGUAGE.md' "$top/symgrad.1" &&
    ok || bad "README and man page point to docs/LANGUAGE.md"
if make -s -C "$top" install PREFIX="$tmp/prefix" >install.log 2>&1 &&
    cmp -s "$tmp/prefix/share/doc/symgrad/LANGUAGE.md" "$top/docs/LANGUAGE.md" &&
    cmp -s "$tmp/prefix/share/doc/symgrad/GENERATED_C.md" "$top/docs/GENERATED_C.md" &&
    cmp -s "$tmp/prefix/share/doc/symgrad/LICENSE" "$top/LICENSE" &&
    make -s -C "$top" uninstall PREFIX="$tmp/prefix" >>install.log 2>&1 &&
    [ ! -e "$tmp/prefix/share/doc/symgrad" ]; then
    ok
else
    bad "make install puts LANGUAGE.md, GENERATED_C.md and LICENSE in PREFIX/share/doc/symgrad, uninstall removes them: $(tail -5 install.log)"
fi

# ---- 4. layers ----------------------------------------------------------------

# the functions of a header that return sg_expr *, one per line
makers() {
    sed -n 's/^\(const \)\{0,1\}sg_expr \*\(sg_[a-z_0-9]*\)(.*/\2/p' "$1"
}
# C source without its string literals and comments (roughly: enough for names)
code_of() {
    sed -e 's/"\([^"\\]\|\\.\)*"/""/g' -e 's|/\*.*\*/||g' "$1"
}
for h in "$top"/symbolic/*.h; do
    makers "$h"
done | sort -u >makers.txt
if [ "$(wc -l <makers.txt)" -lt 30 ]; then
    bad "layers: found only $(wc -l <makers.txt) expression makers in symbolic/*.h"
else
    ok
fi
calls="(^|[^A-Za-z0-9_])($(tr '\n' '|' <makers.txt | sed 's/|$//'))[[:space:]]*\("
for f in "$top"/codegen/*.c "$top"/cli/*.c; do
    name=${f#"$top"/}
    name=${name#codegen/}
    code_of "$f" >code.txt
    used=$(grep -o -E "$calls" code.txt | sed 's/^[^s]*//; s/[[:space:]]*($//' | sort -u | tr '\n' ' ')
    if [ "$name" = latex.c ] || case $name in tex_*.c) true ;; *) false ;; esac; then
        used=$(printf '%s\n' $used | grep -v '^sg_deriv_' | tr '\n' ' ')
    elif grep -q -E '(^|[^A-Za-z0-9_])sg_deriv_[a-z_]*[[:space:]]*\(' code.txt; then
        bad "layers: codegen/$name asks derive.h (only latex.c and tex_*.c do)"
        continue
    fi
    if [ -n "$(printf '%s' "$used" | tr -d ' ')" ]; then
        bad "layers: codegen/$name makes expressions: $used"
    else
        ok
    fi
done

echo "docs: $pass passed, $fail failed"
[ $fail = 0 ]
