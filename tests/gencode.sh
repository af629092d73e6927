#!/bin/sh
# The generated C at run time, for every example (and the extra problems in
# tests/gencode/*.sg): each is driven by tests/gencode/NAME.c through
# tests/gencode/harness.h, which allocates every input, result and the work
# buffer at exactly their size (malloc(NAME_work_size(dims)) bytes) and checks
#   - zero-sized dimensions: exact empty results (each dimension 0 in turn,
#     then all of them, plus each problem's exact values);
#   - NaN and ±∞ in every input: the documented code, NaN out for NaN in,
#     no undefined behaviour;
#   - singular and non-positive-definite matrices: the documented codes;
#   - every subset of the results (NULL pointers) gives the same numbers;
# built with gcc and clang (-std=c99 -Wall -Wextra -Werror -pedantic) under
# AddressSanitizer and UndefinedBehaviorSanitizer (float-cast-overflow too,
# -fno-sanitize-recover), with g++ as C++, and run under valgrind when it is
# installed. The results at random inputs are also compared with
# symgrad --eval (the symbolic evaluator), for several T for the RNN, and a
# dimension fixed with --dim is checked against the dims passed at run time.
#
# Then tests/gencode/cgen.sh: the C printer end to end, every operation,
# option and corner (the problems in tests/gencode/cgen/), compiled with
# gcc and clang at the strict flags of docs/GENERATED_C.md and with g++,
# run under the sanitizers by a driver written from the header, and
# compared with --eval; --check's main() built and run; names C reserves;
# the banner's bytes.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
symgrad=$(cd "$top" && realpath "${SYMGRAD:-./symgrad}")
drivers="$top/tests/gencode"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL gencode: $1"; }

CSTD="-std=c99 -Wall -Wextra -Werror -pedantic"
SANFLAGS="-O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer"
# the sanitizers' own leak check needs ptrace, which some containers lack
ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
export ASAN_OPTIONS
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export UBSAN_OPTIONS

# the problems: every example, and the extra ones next to the drivers
problems=""
for sg in "$top"/examples/*.sg "$drivers"/*.sg; do
    [ -f "$sg" ] || continue
    name=$(basename "$sg" .sg)
    if [ ! -f "$drivers/$name.c" ]; then
        bad "$name.sg has no driver tests/gencode/$name.c"
        continue
    fi
    if "$symgrad" "$sg" -o "$name.c" -H "$name.h" 2>err.txt; then
        problems="$problems $name"
        cp "$sg" "$name.sg"
    else
        bad "symgrad $name.sg: $(head -c 300 err.txt)"
    fi
done

# build NAME CONFIG COMPILER FLAGS...: the driver and the generated code
build() {
    name=$1 config=$2 cc=$3
    shift 3
    if command -v "$cc" >/dev/null 2>&1; then
        # shellcheck disable=SC2068
        if "$cc" "$@" -I. -I"$drivers" -o "$name.$config" "$drivers/$name.c" "$name.c" -lm 2>build.txt; then
            ok
            return 0
        fi
        bad "$cc builds $name: $(head -c 600 build.txt)"
    else
        echo "gencode: $cc is not installed; skipping the $config build"
    fi
    return 1
}

# runcheck NAME CONFIG [WRAPPER...]: the driver's checks
runcheck() {
    name=$1 config=$2
    shift 2
    if "$@" "./$name.$config" check >out.txt 2>err.txt; then
        ok
    else
        bad "$name ($config): $(grep FAIL out.txt | head -5) $(tail -c 1500 err.txt)"
    fi
    tail -1 out.txt | sed "s/^/gencode $config: /" >>summary.txt
}

have_valgrind=0
if command -v valgrind >/dev/null 2>&1; then
    have_valgrind=1
else
    echo "gencode: valgrind is not installed; skipping the runs under valgrind"
fi

for name in $problems; do
    # shellcheck disable=SC2086
    build "$name" gcc-san gcc $CSTD $SANFLAGS && runcheck "$name" gcc-san
    # with clang, empty inputs and work buffers are passed as NULL (allowed)
    # shellcheck disable=SC2086
    build "$name" clang-san clang $CSTD $SANFLAGS -DNULL_WHEN_EMPTY=3 && runcheck "$name" clang-san
    # as C++: the driver and the generated code both
    build "$name" gxx g++ -x c++ -Wall -Wextra -Werror -pedantic -O2 && runcheck "$name" gxx
    if [ $have_valgrind = 1 ]; then
        # shellcheck disable=SC2086
        build "$name" plain gcc $CSTD -O2 -g &&
            runcheck "$name" plain valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    fi
done

# evalcmp SG EXE SEED DIMS...: the driver's results at random inputs agree
# with symgrad --eval SG at the same inputs
evalcmp() {
    sg=$1 exe=$2 seed=$3
    shift 3
    what="$exe --eval at dims $* (seed $seed)"
    if ! "$exe" eval "$seed" "$@" >drv.txt 2>err.txt; then
        bad "$what: the driver failed: $(tail -c 600 err.txt)"
        return
    fi
    if ! "$symgrad" "$sg" --eval "$(head -1 drv.txt)" >ev.txt 2>err.txt; then
        bad "$what: symgrad --eval failed: $(head -c 300 err.txt)"
        return
    fi
    if ! grep -qx 'rc = 0' drv.txt; then
        bad "$what: $(grep '^rc' drv.txt)"
        return
    fi
    # the numbers of each result, flattened, against --eval's 10 digits
    if awk '
        NR == FNR { if (FNR > 2) { name = $1; $1 = ""; $2 = ""; drv[name] = $0 } ; next }
        { line = $0; name = $1; sub(/^[^=]*= */, "", line); gsub(/[][,]/, " ", line); ev[name] = line }
        END {
            bad = 0
            for (name in drv) {
                if (!(name in ev)) { print "no " name " in --eval"; bad = 1; continue }
                n = split(drv[name], a, " "); m = split(ev[name], b, " ")
                if (n != m) { print name ": " n " numbers, --eval has " m; bad = 1; continue }
                big = 1
                for (i = 1; i <= m; i++) { v = b[i] < 0 ? -b[i] : b[i]; if (v > big) big = v }
                for (i = 1; i <= n; i++) {
                    d = a[i] - b[i]; if (d < 0) d = -d
                    v = b[i] < 0 ? -b[i] : b[i]
                    if (d > 1e-8 * v + 1e-11 * big) { print name "[" i - 1 "] = " a[i] ", --eval " b[i]; bad = 1; break }
                }
            }
            exit bad
        }' drv.txt ev.txt >cmp.txt; then
        ok
    else
        bad "$what: $(head -5 cmp.txt)"
    fi
}

evalexe=""
for config in gcc-san clang-san gxx plain; do
    [ -x "autoencoder.$config" ] && evalexe=$config && break
done
if [ -n "$evalexe" ]; then
    for name in $problems; do
        [ -x "$name.$evalexe" ] || continue
        case $name in
        autoencoder | autoencoder_ascii) sets="2_3 5_4 1_1 7_1" ;;
        gp_loglik) sets="4_2_3 1_1_1 3_5_2 6_1_4" ;;
        least_squares) sets="3_2 1_1 2_5 6_6" ;;
        logreg) sets="5_3 1_1 2_7 9_2" ;;
        mlp_swish) sets="4_3_2 1_1_1 2_5_3 3_2_6" ;;
        # k T p n: T from 1 to 12
        rnn) sets="2_1_1_2 2_2_1_2 1_3_2_3 3_5_2_4 2_12_3_2 1_7_1_1" ;;
        softmax_jacobian) sets="3 1 2 9" ;;
        spd) sets="3 1 5" ;;
        lu) sets="3 1 5" ;;
        *) sets="" ;;
        esac
        seed=1
        for s in $sets; do
            # shellcheck disable=SC2046
            evalcmp "$name.sg" "./$name.$evalexe" $seed $(echo "$s" | tr _ ' ')
            seed=$((seed + 1))
        done
    done
fi

# a dimension fixed with --dim: the constant is used, and other dims are refused
mkdir fixed
if "$symgrad" --dim n=3 autoencoder.sg -o fixed/autoencoder.c -H fixed/autoencoder.h 2>err.txt; then
    grep -q 'AUTOENCODER_EDIMS' fixed/autoencoder.h && ok || bad "--dim: the header names AUTOENCODER_EDIMS"
    # shellcheck disable=SC2086
    if gcc $CSTD $SANFLAGS -Ifixed -I"$drivers" -o fixed/drv "$drivers/autoencoder.c" fixed/autoencoder.c -lm 2>build.txt; then
        [ "$(./fixed/drv rc 2 3)" = 0 ] && ok || bad "--dim n=3: n = 3 returns 0"
        [ "$(./fixed/drv rc 2 4)" = 3 ] && ok || bad "--dim n=3: n = 4 returns AUTOENCODER_EDIMS"
        [ "$(./fixed/drv rc 0 3)" = 0 ] && ok || bad "--dim n=3: m = 0 returns 0"
        evalcmp autoencoder.sg ./fixed/drv 3 4 3
    else
        bad "--dim n=3: the driver builds: $(head -c 600 build.txt)"
    fi
else
    bad "--dim n=3: $(head -c 300 err.txt)"
fi
# a dimension of 0 is refused when generating (it is a run-time value)
"$symgrad" --dim n=0 autoencoder.sg >out.txt 2>err.txt
[ $? = 2 ] && grep -q -- "--dim: 'n=0' is not a positive integer value" err.txt && ok ||
    bad "--dim n=0 is a usage error"

# the C printer's runs (tests/gencode/cgen.sh)
. "$drivers/cgen.sh"

[ -f summary.txt ] && cat summary.txt
echo "gencode: $pass passed, $fail failed"
[ $fail = 0 ]
