#!/bin/sh
# The acceptance cases whose case.h the suite itself cannot compile.
#
# ../shared/acceptance/cases/{gp_loglik,logreg}/case.h declare an input named
# X inside X-macros whose parameter is also named X:
#     #define CASE_INPUTS(X) X(X, 8, RAND, 0) …
# so the driver's field becomes the macro's own name and never builds,
# whatever symgrad writes. This runs those cases from a copy whose macro
# parameter is renamed (F), against the same problems, references and
# tolerances, with the suite's own run script.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$top/../shared}
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cases"
for name in "$@"; do
    cp -r "$shared/acceptance/cases/$name" "$tmp/cases/$name"
    chmod -R u+w "$tmp/cases/$name"
    sed -i -e 's/^\(#define CASE_[A-Z]*\)(X)/\1(F)/' \
        -e '/^#define CASE_/ s/\([ )]\)X(/\1F(/g' "$tmp/cases/$name/case.h"
done
"$shared/acceptance/run" --symgrad "$symgrad" --cases "$tmp/cases" "$@"
