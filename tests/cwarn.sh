#!/bin/sh
# The generated C is safe and clean (docs/GENERATED_C.md):
#   1. warnings: every problem (examples/*.sg, tests/golden/*.sg that check,
#      tests/gencode/*.sg) × {double, float} × {.c alone, .c with -H, --check,
#      --blas --check when <cblas.h> is installed}
#      compiles with gcc and clang under
#        -std=c99 -Wall -Wextra -pedantic -Wconversion -Wsign-conversion
#        -Wdouble-promotion -Wfloat-equal -Werror
#      and with g++ as C++; -t float code (without --check, whose finite
#      differences are measured in double on purpose) has no double in it:
#      no `double`, no unsuffixed floating literal;
#   2. names: problems whose names are keywords, macros (linux, NULL, EOF,
#      errno, …), header names, our own prefixes (sg_, SG_) or the problem's
#      (net_bias with prefix net, NET_OK) generate in bounded time and compile
#      with gcc, clang and g++ in their default gnu modes and in strict C99;
#   3. banner: file names and a command line with a newline, a splice *\⏎/,
#      the trigraph ??/, quotes and backslashes stay in the comment: the
#      #error they carry is never code, also with -trigraphs; an -H name that
#      #include "…" cannot hold is a usage error (exit 2, nothing written);
#   4. literal dimensions 1, 2, 3, 5 compile clean at -O1 and -O2, where gcc
#      looks for variables that may be used uninitialized.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL cwarn: $1"; }
have() { command -v "$1" >/dev/null 2>&1; }

W="-std=c99 -Wall -Wextra -pedantic -Wconversion -Wsign-conversion -Wdouble-promotion -Wfloat-equal -Werror"
ccs="gcc"
have clang && ccs="$ccs clang"

# compile FILE.c [FLAGS…]: with every C compiler under $W, and g++ as C++
compile() {
    f=$1
    shift
    for cc in $ccs; do
        # shellcheck disable=SC2086
        if $cc $W "$@" -c "$f" -o "$tmp/o.o" 2>"$tmp/cc.err"; then ok; else
            bad "$cc $W $* $f ($what)"
            head -5 "$tmp/cc.err"
        fi
    done
    if have g++; then
        if g++ -x c++ -Wall -Wextra -Werror "$@" -c "$f" -o "$tmp/o.o" 2>"$tmp/cc.err"; then ok; else
            bad "g++ $f ($what)"
            head -5 "$tmp/cc.err"
        fi
    fi
}

# --blas too where a CBLAS header is installed
blas=0
printf '#include <cblas.h>\n' | gcc -E - >/dev/null 2>&1 && blas=1

# ---- 1. every problem, every way, warning-free -------------------------------------------------
for sg in "$top"/examples/*.sg "$top"/tests/golden/*.sg "$top"/tests/gencode/*.sg; do
    [ -f "$sg" ] || continue
    name=$(basename "$sg" .sg)
    opts=$(sed -n '1s/^# symgrad: //p' "$sg")
    # shellcheck disable=SC2086
    "$symgrad" $opts "$sg" >/dev/null 2>&1 || continue # an error case
    for t in double float; do
        d="$tmp/$name-$t"
        mkdir -p "$d"
        what="$name -t $t"
        # shellcheck disable=SC2086
        timeout 60 "$symgrad" $opts -t $t "$sg" -o "$d/plain.c" || bad "$what: symgrad"
        compile "$d/plain.c"
        what="$name -t $t -H"
        # shellcheck disable=SC2086
        timeout 60 "$symgrad" $opts -t $t "$sg" -o "$d/with_h.c" -H "$d/$name.h" || bad "$what: symgrad"
        compile "$d/with_h.c" -I"$d"
        compile "$d/$name.h" -x c
        what="$name -t $t --check"
        # shellcheck disable=SC2086
        timeout 60 "$symgrad" $opts -t $t --check "$sg" -o "$d/check.c" || bad "$what: symgrad"
        compile "$d/check.c"
        if [ $blas = 1 ]; then
            what="$name -t $t --blas --check"
            # shellcheck disable=SC2086
            timeout 60 "$symgrad" $opts -t $t --blas --check "$sg" -o "$d/blas.c" || bad "$what: symgrad"
            compile "$d/blas.c"
        fi
        if [ $t = float ]; then
            # the code without comments: no double, no literal without its f
            gcc -fpreprocessed -dD -E -P "$d/plain.c" 2>/dev/null | grep -v '^#' > "$d/code.c"
            if grep -nwE 'double' "$d/code.c" > "$tmp/dbl"; then
                bad "$name -t float: double in the code"
                head -3 "$tmp/dbl"
            else ok; fi
            if grep -nE '(^|[^A-Za-z0-9_.])([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?([^0-9fFeE]|$)' \
                "$d/code.c" > "$tmp/lit"; then
                bad "$name -t float: a double literal"
                head -3 "$tmp/lit"
            else ok; fi
        fi
    done
done

# ---- 2. reserved names ----------------------------------------------------------------------------
mkdir -p "$tmp/names"
cat > "$tmp/names/net.sg" <<'EOF'
prefix net
net_bias ∈ ℝ^n
net_eval ∈ ℝ^n
NET_OK ∈ ℝ^n
sg_x ∈ ℝ^n
SG_RESTRICT ∈ ℝ^n
linux ∈ ℝ^unix
NULL, EOF, errno, bool, assert, size_t, exp, sqrtf, M_PI, M_PI_, t1, i, dims, a__b, a_b ∈ ℝ
s = NULL + EOF + errno + bool + assert + size_t + exp + sqrtf + M_PI + M_PI_ + t1 + i + dims + a__b + a_b
L = s ‖net_bias + net_eval + NET_OK + sg_x + SG_RESTRICT‖² + ‖linux‖²
grad L wrt net_bias, NET_OK, sg_x, linux, NULL, EOF, M_PI_, t1, i, a__b, a_b
EOF
cd "$tmp/names" || exit 1
for t in double float; do
    what="reserved names -t $t"
    if timeout 10 "$symgrad" -t $t net.sg -o net.c && timeout 10 "$symgrad" -t $t net.sg -o neth.c -H net.h &&
        timeout 10 "$symgrad" -t $t --check net.sg -o netcheck.c; then
        ok
        compile net.c
        compile neth.c -I.
        compile netcheck.c
        for cc in $ccs; do # the gnu modes: linux and unix are macros there
            if $cc -Wall -Wextra -Werror -c net.c -o o.o && $cc -Wall -Wextra -Werror -I. -c neth.c -o o.o &&
                $cc -Wall -Wextra -Werror netcheck.c -o netcheck -lm && ./netcheck >/dev/null; then ok; else
                bad "$cc (gnu mode): $what"
            fi
        done
    else
        bad "$what: symgrad failed or took more than 10 s"
    fi
done
# the same names through -p: the prefix sg (and its SG_ macros)
sed 's/^prefix net$/prefix sg/' net.sg > sgp.sg
what="prefix sg"
if timeout 10 "$symgrad" sgp.sg -o sgp.c; then ok; compile sgp.c; else bad "$what"; fi
what="-p net on a file without a prefix"
sed '/^prefix/d' net.sg > nop.sg
if timeout 10 "$symgrad" -p net nop.sg -o nop.c; then ok; compile nop.c; else bad "$what"; fi
# byte-identical across runs
timeout 10 "$symgrad" net.sg > once.c
timeout 10 "$symgrad" net.sg > again.c
if cmp -s once.c again.c; then ok; else bad "reserved names: output differs between runs"; fi

# ---- 3. file names and the command line in the banner ------------------------------------------------
mkdir -p "$tmp/inj"
cd "$tmp/inj" || exit 1
nl='
'
for dir in "x*\\${nl}/#error pwned" "y??/${nl}#error pwned" "z*/ #error pwned /*" "q\"\\${nl}\\"; do
    mkdir -p "$dir" || { bad "mkdir $dir"; continue; }
    cp "$top/examples/logreg.sg" "$dir/p??/.sg" 2>/dev/null || cp "$top/examples/logreg.sg" "$dir/p.sg"
    for f in "$dir"/*.sg; do
        what="banner for $f"
        if "$symgrad" "$f" -o out.c --prefix lr && "$symgrad" "$f" -o outh.c -H "lr.h"; then ok; else
            bad "$what: symgrad"
            continue
        fi
        # the comment holds it: the #error is no code, with or without trigraphs
        for cc in $ccs; do
            if $cc -std=c99 -Wall -Wextra -Werror -trigraphs -c out.c -o o.o &&
                $cc -Wall -Wextra -Werror -c out.c -o o.o && $cc -Wall -Wextra -Werror -I. -c outh.c -o o.o &&
                $cc -Wall -Wextra -Werror -trigraphs -x c -c lr.h -o o.o; then ok; else
                bad "$cc: $what"
            fi
        done
        if [ "$(sed -n '/^ \*\/$/q;p' out.c | grep -c '#error')" = 0 ] ||
            sed -n '/^ \*\/$/q;p' out.c | grep -q '^ \* .*#error'; then ok; else
            bad "$what: #error on a line of its own"
        fi
        # the input named as given: no directory added
        if grep -q "^ \\* generated by symgrad [^ ]* from [xyzq]" out.c; then ok; else
            bad "$what: the input is not named as given"
        fi
    done
done
# an -H name #include "…" cannot hold: a usage error, nothing written
for h in 'a"b.h' 'a\b.h' "a${nl}b.h" "a'b.h"; do
    rm -f out2.c
    "$symgrad" "$top/examples/logreg.sg" -o out2.c -H "$h" 2>err
    rc=$?
    if [ $rc = 2 ] && [ ! -e out2.c ] && [ ! -e "$h" ] &&
        grep -q 'the file name cannot be written in #include' err; then ok; else
        bad "-H '$h': exit $rc, want 2 with nothing written"
        cat err
    fi
done

# ---- 4. literal dimensions, optimised ----------------------------------------------------------------
# gcc's -Wmaybe-uninitialized runs only when optimising, and a dimension that
# is a number smaller than 4 leaves the four-rows-at-a-time path (sg_dot4,
# sg_axpy4) dead in a way gcc -O1 cannot see: it said 'sg_d1' may be used
# uninitialized. Matrix products, a symmetric input and a gradient over
# sizes 1, 2, 3, 5, compiled at -O1 and -O2.
mkdir -p "$tmp/litdims"
for N in 1 2 3 5; do
    cat > "$tmp/litdims/lit$N.sg" <<EOF
W ∈ ℝ^{$N×$N}
K ∈ 𝕊^$N
x ∈ ℝ^$N
j = (2 K) K ones($N)
h = tanh(W x)
L = sum(h) + hᵀK h + xᵀWᵀW x
grad L wrt W, x
output j
EOF
    for t in double float; do
        for chk in "" --check; do
            what="literal dimension $N -t $t $chk"
            # shellcheck disable=SC2086
            timeout 60 "$symgrad" -t $t $chk "$tmp/litdims/lit$N.sg" -o "$tmp/litdims/lit.c" || bad "$what: symgrad"
            for O in -O1 -O2; do
                for cc in $ccs; do
                    if $cc $W $O -c "$tmp/litdims/lit.c" -o "$tmp/o.o" 2>"$tmp/cc.err"; then ok; else
                        bad "$cc $W $O ($what)"
                        head -5 "$tmp/cc.err"
                    fi
                done
            done
        done
    done
done

echo "cwarn: $pass passed, $fail failed"
[ $fail = 0 ]
