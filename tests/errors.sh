#!/bin/sh
# Every diagnostic symgrad can print is pinned by a test.
#
# Extracts the message of every error site in the sources (sg_src_error,
# the checker's error(), the lexer's and parser's messages, cli/'s usage
# and I/O messages) and looks for its fixed leading words in the tests
# (tests/*.c, tests/*.sh, tests/golden/*.err). Prints the ones no test
# mentions and fails if there are any.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the first string literal of each error call, as written in the source
grep -ho -E '(sg_src_error|sg_src_warning|targeted|error|usage_error|lex_error|syntax_error|report)\([^"]*"[^"]*"' \
    base/*.c lexer/*.c lexer/*.l parser/*.c parser/*.y symbolic/*.c codegen/*.c cli/*.c 2>/dev/null |
    sed -E 's/^[^"]*"//; s/"$//' | sort -u > "$tmp/messages"

cat tests/*.c tests/*.sh tests/golden/*.err > "$tmp/tests" 2>/dev/null
total=0
missing=0
while IFS= read -r msg; do
    # the fixed words: the first run of at least six characters between
    # format directives, escapes and quotes, at most five words of it
    key=$(printf '%s' "$msg" | sed -E "s/%[-0-9.]*(l|ll|z)?[a-zA-Z]/\n/g; s/\\\\./\n/g; s/['\`(|]/\n/g" |
        sed -E 's/^[ :,.]*//; s/[ :(,]*$//' | awk 'length($0) >= 6 { print; exit }' |
        awk '{ n = NF < 5 ? NF : 5; s = $1; for (i = 2; i <= n; i++) s = s " " $i; print s }')
    [ ${#key} -ge 6 ] || continue
    total=$((total + 1))
    if ! grep -qF -- "$key" "$tmp/tests"; then
        missing=$((missing + 1))
        echo "no test pins: \"$msg\""
    fi
done < "$tmp/messages"
echo "errors: $((total - missing)) passed, $missing failed"
[ $missing = 0 ]
