# cgen.sh: the C printer end to end, as a user meets it (sourced by
# tests/gencode.sh, whose $symgrad, $top, $tmp, ok, bad, $CSTD and $SANFLAGS
# it uses). These runs were test_cgen.c's, which compiled every output
# in-process and made `make unit` take minutes; test_cgen.c keeps what needs
# no compiler (the generated text, the plans behind it).
#
# Each problem is a file in tests/gencode/cgen/ (or an example), given to
# ./symgrad with the options a user would give (-t float, --dim, --blas,
# --check, with or without -H). For each run (cgen below):
#   - symgrad prints the same bytes twice;
#   - the .c compiles warning-free with gcc and clang at $STRICT (-Wconversion,
#     -Wdouble-promotion, …: docs/GENERATED_C.md's flags) and with g++ as C++;
#   - a driver written from the header by cgen.py, built with gcc under
#     AddressSanitizer and UBSan, allocates exactly P_work_size bytes (filled
#     with 0xff, so that a read of a buffer never written shows), computes
#     the values alone and then the results asked for (all of them, then each
#     request of the case), checks that the values agree bit for bit, and
#     prints every result; cgen.py compares them with symgrad --eval (the
#     interpreter) at the same inputs, to 1e-10 of each result's scale (1e-4
#     in float) plus --eval's 10 digits;
#   - with --dim, dims other than the fixed ones give P_EDIMS;
#   - with --blas, the products go through cblas_shim.c (which counts its
#     calls), then through OpenBLAS when it links.
# checkmain builds --check's main() the same three ways (gcc under the
# sanitizers) and runs it: it exits 0 and reports every derivative.
# Without python3 (cgen.py) these runs are skipped, saying so.

cgen_dir="$top/tests/gencode/cgen"
cgen_py="$top/tests/gencode/cgen.py"
cblas_dir="$top/tests/gencode/cblas"
# the flags the generated C compiles cleanly with (docs/GENERATED_C.md)
STRICT="-std=c99 -Wall -Wextra -pedantic -Wconversion -Wsign-conversion -Wdouble-promotion -Wfloat-equal -Werror"
CXXFLAGS_GEN="-x c++ -Wall -Wextra -Werror"
mkdir -p "$tmp/cg"

have_clang=0
command -v clang >/dev/null 2>&1 && have_clang=1 || echo "gencode: clang is not installed; skipping its strict builds"
have_gxx=0
command -v g++ >/dev/null 2>&1 && have_gxx=1 || echo "gencode: g++ is not installed; skipping the C++ builds"
# can gcc link a program against OpenBLAS's CBLAS?
have_openblas=0
printf '#include <cblas.h>\nint main(void){double a=1,b=1,c=0;cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.0,&a,1,&b,1,0.0,&c,1);return c!=1;}\n' >"$tmp/cg/blastest.c"
if gcc "$tmp/cg/blastest.c" -o "$tmp/cg/blastest" -lopenblas >/dev/null 2>&1 && "$tmp/cg/blastest"; then
    have_openblas=1
else
    echo "gencode: OpenBLAS does not link; --blas is checked against cblas_shim.c only"
fi

# strict ID FILE.c: gcc and clang at $STRICT, g++ as C++ (objects only)
strict() {
    if gcc $STRICT -I. -I"$cblas_dir" -c "$2" -o strict_gcc.o 2>build.txt; then ok; else bad "$1: gcc $STRICT: $(head -c 800 build.txt)"; fi
    if [ $have_clang = 1 ]; then
        if clang $STRICT -I. -I"$cblas_dir" -c "$2" -o strict_clang.o 2>build.txt; then ok; else bad "$1: clang $STRICT: $(head -c 800 build.txt)"; fi
    fi
    if [ $have_gxx = 1 ]; then
        if g++ $CXXFLAGS_GEN -I. -I"$cblas_dir" -c "$2" -o strict_cxx.o 2>build.txt; then ok; else bad "$1: g++ as C++: $(head -c 800 build.txt)"; fi
    fi
}

# twice ID OUT ARGS...: symgrad ARGS -o OUT, twice, the same bytes both times
twice() {
    id=$1 out=$2
    shift 2
    if ! "$symgrad" "$@" -o "$out" 2>err.txt; then
        bad "$id: symgrad $*: $(head -c 300 err.txt)"
        return 1
    fi
    mv "$out" first.out
    [ -f gen.h ] && mv gen.h first.h
    "$symgrad" "$@" -o "$out" 2>err.txt
    if cmp -s first.out "$out" && { [ ! -f first.h ] || cmp -s first.h gen.h; }; then ok; else bad "$id: symgrad $* prints different bytes the second time"; fi
    rm -f first.out first.h
}

# cgen ID FILE DIMS REQUESTS [+noheader] [+rtol=R] [+noeval] [+rc=CODE] [SYMGRAD OPTIONS...]
#   FILE in tests/gencode/cgen/ (or a path from the top); DIMS the run-time
#   dimensions ("T=5 n=3"); REQUESTS the masks to try besides everything
#   ("100 011": one character per result of P_out). +noheader: no -H, the
#   driver includes the .c; +noeval: --eval cannot take this many numbers on
#   its command line, so only the driver's own checks run; +rc=CODE: only the
#   code P_eval returns is checked, for the one request given (or everything).
cgen() {
    id=$1 file=$2 dims=$3 masks=$4
    shift 4
    header=1 rtol="" noeval=0 rc="" single=0 blas=0 fixed=0
    while [ $# -gt 0 ]; do
        case $1 in
        +noheader) header=0 ;;
        +rtol=*) rtol=${1#+rtol=} ;;
        +noeval) noeval=1 ;;
        +rc=*) rc=${1#+rc=} ;;
        *) break ;;
        esac
        shift
    done
    for a in "$@"; do
        case $a in
        float) single=1 ;;
        --blas) blas=1 ;;
        --dim) fixed=1 ;;
        esac
    done
    case $file in /*) ;; *) file=$cgen_dir/$file ;; esac
    [ -n "$rtol" ] || { [ $single = 1 ] && rtol=1e-4 || rtol=1e-10; }
    mkdir -p "$tmp/cg/$id" && cd "$tmp/cg/$id" || return
    decl=gen.c
    if [ $header = 1 ]; then
        decl=gen.h
        set -- "$@" -H gen.h
    fi
    if twice "$id" gen.c "$@" "$file"; then
        strict "$id" gen.c
        cgen_drive
    fi
    cd "$tmp" || exit 1
}

# the driver of cgen's case, built and run (cgen's variables)
cgen_drive() {
    prec=""
    [ $single = 1 ] && prec=float
    if ! python3 "$cgen_py" driver "$file" $decl "$dims" $prec 2>err.txt; then
        bad "$id: cgen.py driver: $(tail -c 300 err.txt)"
        return
    fi
    srcs=""
    [ $header = 1 ] && srcs=gen.c
    [ $blas = 1 ] && srcs="$srcs $cblas_dir/cblas_shim.c"
    # shellcheck disable=SC2086
    if ! gcc $CSTD $SANFLAGS -I. -I"$cblas_dir" -o driver driver.c $srcs -lm 2>build.txt; then
        bad "$id: the driver builds: $(head -c 800 build.txt)"
        return
    fi
    ok
    if [ -n "$rc" ]; then
        if [ "$(./driver "rc$masks" 2>err.txt)" = "$rc" ]; then ok; else bad "$id: P_eval for '$masks' does not return $rc: $(tail -c 300 err.txt)"; fi
        return
    fi
    if [ $noeval = 0 ] && [ "$(wc -c <eval.txt)" -gt 120000 ]; then
        bad "$id: --eval's values take $(wc -c <eval.txt) bytes, more than its command line holds"
        return
    fi
    if [ $noeval = 0 ] && ! "$symgrad" "$file" --eval "$(cat eval.txt)" >ev.txt 2>err.txt; then
        bad "$id: symgrad --eval: $(head -c 300 err.txt)"
        return
    fi
    all=$(python3 -c "import sys; print('1' * int(sys.argv[1]))" "$(grep -c 'static .* res_' driver.c)")
    for m in "$all" $masks; do
        if ! ./driver "$m" >out.txt 2>err.txt; then
            bad "$id: the driver for '$m' exits $?: $(tail -c 1500 err.txt)"
        elif [ $noeval = 1 ]; then
            ok
        elif python3 "$cgen_py" compare "$file" $decl out.txt ev.txt "$m" "$rtol" >cmp.txt 2>&1; then
            ok
        else
            bad "$id: results for '$m' against --eval: $(head -5 cmp.txt)"
        fi
    done
    if [ $fixed = 1 ]; then
        if ./driver edims 2>err.txt; then ok; else bad "$id: a dimension off its --dim value does not give EDIMS"; fi
    fi
    if [ $blas = 1 ]; then
        if [ "$(cat cblas_calls.txt 2>/dev/null || echo 0)" -gt 0 ]; then ok; else bad "$id: --blas made no CBLAS call"; fi
        if [ $have_openblas = 1 ]; then
            mkdir -p openblas
            # shellcheck disable=SC2086
            if gcc $CSTD -g -O1 -o openblas/driver driver.c $([ $header = 1 ] && echo gen.c) -lopenblas -lm 2>build.txt &&
                ./openblas/driver "$all" >out.txt 2>err.txt &&
                python3 "$cgen_py" compare "$file" $decl out.txt ev.txt "$all" "$rtol" >cmp.txt 2>&1; then
                ok
            else
                bad "$id: with OpenBLAS: $(head -c 600 build.txt) $(tail -c 300 err.txt) $(head -5 cmp.txt)"
            fi
        fi
    fi
}

# touched ID MASK: the bytes of work the call for MASK wrote (ID's driver)
touched() {
    "$tmp/cg/$1/driver" "touch$2" 2>/dev/null || echo -1
}

# checkmain ID FILE COUNT [SYMGRAD OPTIONS...]: --check's main(), built as a
# user would, exits 0 and reports COUNT derivatives ("" for one or more), none too
# large; its output stays in $tmp/cg/ID/out.txt
checkmain() {
    id=$1 file=$2 want=$3
    shift 3
    case $file in /*) ;; *) file=$cgen_dir/$file ;; esac
    blas=""
    case " $* " in *" --blas "*) blas=$cblas_dir/cblas_shim.c ;; esac
    mkdir -p "$tmp/cg/$id" && cd "$tmp/cg/$id" || return
    if twice "$id" check.c --check "$@" "$file"; then
        strict "$id" check.c
        # shellcheck disable=SC2086
        if gcc $STRICT $SANFLAGS -I"$cblas_dir" -c check.c -o check.o 2>build.txt &&
            gcc $CSTD $SANFLAGS -I"$cblas_dir" -o check check.o $blas -lm 2>>build.txt; then
            ./check >out.txt 2>err.txt
            code=$?
            n=$(grep -c "worst relative error" out.txt)
            if [ $code = 0 ] && ! grep -q "too large" out.txt && [ "$n" -ge 1 ] && { [ -z "$want" ] || [ "$n" = "$want" ]; }; then
                ok
            else
                bad "$id: --check's main() exits $code with $n derivatives (want ${want:-any}): $(head -c 600 out.txt) $(tail -c 600 err.txt)"
            fi
        else
            bad "$id: --check's main() builds: $(head -c 800 build.txt)"
        fi
    fi
    cd "$tmp" || exit 1
}

# has ID TEXT: ID's --check output says TEXT
has() {
    if grep -qF -- "$2" "$tmp/cg/$1/out.txt"; then ok; else bad "$1: no '$2' in $(head -c 300 "$tmp/cg/$1/out.txt")"; fi
}

if ! command -v python3 >/dev/null 2>&1; then
    echo "gencode: python3 is not installed; skipping the C printer's runs (tests/gencode/cgen.sh)"
    return 0 2>/dev/null || exit 0
fi

. "$top/tests/gencode/cgen_cases.sh"
