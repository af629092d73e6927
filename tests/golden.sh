#!/bin/sh
# Golden tests: whole outputs of symgrad, pinned.
#
# Every problem in examples/*.sg, tests/latex/*.sg (the problems written for
# the derivations, as a user would) and tests/golden/*.sg is run through symgrad
# from its own directory, and the output is compared with the files under
# tests/golden/ named after it:
#   NAME.c         symgrad NAME.sg                  (the generated C)
#   NAME.h         symgrad NAME.sg -o … -H NAME.h   (the generated header)
#   NAME.formulas  symgrad --formulas NAME.sg
#   NAME.tex       symgrad --latex NAME.sg          (the derivation; tests/latex.sh
#                                                   compiles it when pdflatex is there)
#   NAME.steps     symgrad --steps NAME.sg          (the derivation as plain text)
#   NAME.steps-ascii  symgrad --steps --ascii NAME.sg
#   NAME.err       symgrad NAME.sg must exit 1 with exactly this on stderr
# A problem may carry extra options on a first line "# symgrad: OPTIONS".
# With --update, the expected files that exist are rewritten instead; a new
# case starts by creating the expected file empty.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
golden="$top/tests/golden"
update=0
[ "${1:-}" = --update ] && update=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# compare NAME KIND ACTUAL-FILE
compare() {
    want="$golden/$1.$2"
    if [ $update = 1 ]; then
        cp "$3" "$want"
    elif cmp -s "$want" "$3"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL golden $1.$2"
        diff -u "$want" "$3" | head -40
    fi
}

for sg in "$top"/examples/*.sg "$top"/tests/latex/*.sg "$golden"/*.sg; do
    [ -f "$sg" ] || continue
    dir=$(dirname "$sg")
    base=$(basename "$sg")
    name=${base%.sg}
    opts=$(sed -n '1s/^# symgrad: //p' "$sg")
    # shellcheck disable=SC2086
    if [ -f "$golden/$name.c" ]; then
        (cd "$dir" && "$symgrad" $opts "$base") >"$tmp/out" 2>"$tmp/err"
        compare "$name" c "$tmp/out"
    fi
    if [ -f "$golden/$name.h" ]; then
        cp "$sg" "$tmp/$base"
        (cd "$tmp" && "$symgrad" $opts "$base" -o x.c -H "$name.h") >/dev/null 2>&1
        compare "$name" h "$tmp/$name.h"
    fi
    if [ -f "$golden/$name.formulas" ]; then
        (cd "$dir" && "$symgrad" $opts --formulas "$base") >"$tmp/out" 2>&1
        compare "$name" formulas "$tmp/out"
    fi
    if [ -f "$golden/$name.tex" ]; then
        (cd "$dir" && "$symgrad" $opts --latex "$base") >"$tmp/out" 2>&1
        compare "$name" tex "$tmp/out"
    fi
    if [ -f "$golden/$name.steps" ]; then
        (cd "$dir" && "$symgrad" $opts --steps "$base") >"$tmp/out" 2>&1
        compare "$name" steps "$tmp/out"
    fi
    if [ -f "$golden/$name.steps-ascii" ]; then
        (cd "$dir" && "$symgrad" $opts --steps --ascii "$base") >"$tmp/out" 2>&1
        compare "$name" steps-ascii "$tmp/out"
    fi
    if [ -f "$golden/$name.err" ]; then
        (cd "$dir" && "$symgrad" $opts "$base" -o "$tmp/never.c") >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if [ $rc != 1 ] || [ -s "$tmp/out" ] || [ -e "$tmp/never.c" ]; then
            fail=$((fail + 1))
            echo "FAIL golden $name.err: exit $rc (expected 1), or it wrote output"
        else
            compare "$name" err "$tmp/err"
        fi
    fi
done
[ $update = 1 ] && { echo "golden files rewritten: review 'git diff tests/golden'"; exit 0; }
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
