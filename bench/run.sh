#!/bin/sh
# bench/run.sh: what `make bench` runs (see bench/README.md).
#
# Installs what is missing (libopenblas-dev, python3-torch, gnuplot-nox) with
# apt-get, generates the C of every problem with ./symgrad into bench/build/,
# compiles every C file with the same flags, runs bench/harness (the generated
# code, the hand-written C, OpenBLAS), bench/torch_bench.py (PyTorch), the
# engine-scaling measurement (deep tanh networks) and the input-scaling one
# (large inputs of five families at N, 2N, 4N in every mode), and writes
# bench/results/results.md and one PNG per problem. Whatever cannot be
# installed or built is skipped with a note in the table.
#
# BENCH_ONLY="engine scale" (either or both, spaces or commas) runs only those
# steps and the report: the other steps' raw results in bench/build/ are kept,
# so the report still shows them (from the last full run).
#
# Environment: BENCH_CC (default gcc), BENCH_CFLAGS (default -O2 -march=native),
# BENCH_MIN_BATCH, BENCH_BATCHES (see harness.c), BENCH_NO_INSTALL=1 (never
# call apt-get), BENCH_GCC_TIMEOUT (seconds, default 300), BENCH_PYTHON (the
# python3 with torch, default /usr/bin/python3), BENCH_NO_BLAS=1 (leave
# OpenBLAS out, to test the fallback), BENCH_SCALE_TIMEOUT (seconds, default
# 20: an input-scaling run is killed after it, and the larger sizes of its
# family and mode are not run).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
B=bench/build
R=bench/results
CC=${BENCH_CC:-gcc}
CFLAGS=${BENCH_CFLAGS:--O2 -march=native}
STD="-std=c99 -D_DEFAULT_SOURCE"
GCC_TIMEOUT=${BENCH_GCC_TIMEOUT:-300}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

ONLY=$(printf '%s' "${BENCH_ONLY:-}" | tr ',' ' ')
for s in $ONLY; do
    case $s in engine|scale) ;; *) echo "bench: BENCH_ONLY: unknown step '$s' (engine, scale)" >&2; exit 2 ;; esac
done
want() {   # want STEP: true when the run includes STEP
    [ -z "$ONLY" ] && return 0
    case " $ONLY " in *" $1 "*) return 0 ;; esac
    return 1
}
NOTES=$B/notes.tsv
if [ -z "$ONLY" ]; then
    rm -rf "$B/gen" "$B/obj" "$B/data" "$B/deep" "$B/scale" "$B/plots"
    mkdir -p "$B/gen" "$B/obj" "$B/data" "$B/deep" "$B/scale" "$B/plots" "$R" || exit 1
    rm -f "$B"/*.tsv "$B"/*.log
    : > "$NOTES"
else
    # only some steps: theirs are redone, the others' results are kept
    mkdir -p "$B/obj" "$B/plots" "$R" || exit 1
    touch "$NOTES"
    if want engine; then
        rm -rf "$B/deep" "$B/engine.tsv"; mkdir -p "$B/deep" || exit 1
        grep -v '^gccice' "$NOTES" > "$NOTES.tmp"; mv "$NOTES.tmp" "$NOTES"
    fi
    if want scale; then
        rm -rf "$B/scale" "$B/scale.tsv"; mkdir -p "$B/scale" || exit 1
        grep -v '^scale' "$NOTES" > "$NOTES.tmp"; mv "$NOTES.tmp" "$NOTES"
    fi
fi
note() {   # note KEY TEXT: shown in results.md
    printf '%s\t%s\n' "$1" "$2" >> "$NOTES"
    echo "bench: $2" >&2
}
step() { printf '\n== %s\n' "$*" >&2; }

# ---- 1. dependencies ------------------------------------------------------

step "dependencies"
PY=${BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
have_torch() { "$PY" -c 'import torch, numpy' >/dev/null 2>&1; }
have_blas() {
    [ "${BENCH_NO_BLAS:-0}" = 1 ] && return 1
    printf '#include <cblas.h>\nint main(void){double a=1,b=1,c=0;cblas_dgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.0,&a,1,&b,1,0.0,&c,1);return c!=1;}\n' \
        > "$B/obj/blastest.c" &&
        $CC $CFLAGS $STD -o "$B/obj/blastest" "$B/obj/blastest.c" -lopenblas >/dev/null 2>&1 &&
        "$B/obj/blastest"
}
have_gnuplot() { command -v gnuplot >/dev/null 2>&1; }

missing=""
have_blas || missing="$missing libopenblas-dev"
have_torch || missing="$missing python3-torch"
have_gnuplot || missing="$missing gnuplot-nox"
if [ -z "$ONLY" ] && [ -n "$missing" ] && [ "${BENCH_NO_INSTALL:-0}" != 1 ]; then
    SUDO=none
    if [ "$(id -u)" = 0 ]; then
        SUDO=
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    fi
    if [ "$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then
        note install "cannot install$missing (needs root and apt-get)"
    else
        echo "installing$missing" >&2
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        if ! $SUDO apt-get install -y --no-install-recommends $missing > "$B/apt.log" 2>&1; then
            $SUDO apt-get update >> "$B/apt.log" 2>&1
            for p in $missing; do
                $SUDO apt-get install -y --no-install-recommends "$p" >> "$B/apt.log" 2>&1 ||
                    note install "apt-get could not install $p (see $B/apt.log)"
            done
        fi
    fi
fi
HAVE_BLAS=0; have_blas && HAVE_BLAS=1
HAVE_TORCH=0; have_torch && HAVE_TORCH=1
HAVE_GNUPLOT=0; have_gnuplot && HAVE_GNUPLOT=1
if [ -z "$ONLY" ]; then
[ $HAVE_BLAS = 1 ] || note noblas "OpenBLAS: not available (libopenblas-dev not installed)"
[ $HAVE_TORCH = 1 ] || note notorch "PyTorch: not available (python3-torch not installed for $PY)"
[ $HAVE_GNUPLOT = 1 ] || note nognuplot "no plots: gnuplot is not installed"
fi

# ---- 2. symgrad and the generated C ----------------------------------------

step "symgrad"
if [ ! -x ./symgrad ]; then
    make symgrad >&2 || { echo "bench: cannot build ./symgrad" >&2; exit 1; }
fi
$CC $CFLAGS $STD -o "$B/runstat" bench/runstat.c || exit 1
LOAD0=$(cut -d' ' -f1 /proc/loadavg)

if [ -z "$ONLY" ]; then   # steps 2 to 4: the generated code against the others
gen() {   # gen MACRO NAME SOURCE [OPTIONS]: ./symgrad SOURCE → $B/gen/NAME.{c,h}
    macro=$1 name=$2 src=$3
    shift 3
    if ./symgrad "$@" "$src" -o "$B/gen/$name.c" -H "$B/gen/$name.h" 2> "$B/gen/$name.err"; then
        echo "$macro=1" >> "$B/gen/have"
        echo "generated $B/gen/$name.c" >&2
        return 0
    fi
    rm -f "$B/gen/$name.c" "$B/gen/$name.h"
    return 1
}
: > "$B/gen/have"
gen HAVE_AE autoencoder examples/autoencoder.sg ||
    note gen "symgrad failed on examples/autoencoder.sg: $(head -c 300 $B/gen/autoencoder.err)"
gen HAVE_MLP mlp_swish examples/mlp_swish.sg ||
    note gen "symgrad failed on examples/mlp_swish.sg: $(head -c 300 $B/gen/mlp_swish.err)"
# the tiny sizes also with every dimension fixed (--dim), the issue's feature for them
AE_DIM="-DTINY_AE_M=3 -DTINY_AE_N=5" MLP_DIM="-DTINY_MLP_D=5 -DTINY_MLP_H=4 -DTINY_MLP_C=3"
gen HAVE_AE_DIM ae_dim examples/autoencoder.sg --dim m=3 --dim n=5 -p ae_dim ||
    note gen "symgrad --dim failed on examples/autoencoder.sg: $(head -c 300 $B/gen/ae_dim.err)"
gen HAVE_MLP_DIM mlp_dim examples/mlp_swish.sg --dim D=5 --dim H=4 --dim C=3 -p mlp_dim ||
    note gen "symgrad --dim failed on examples/mlp_swish.sg: $(head -c 300 $B/gen/mlp_dim.err)"
gen HAVE_MLPB mlp_batch bench/problems/mlp_batch.sg ||
    note gen "symgrad failed on bench/problems/mlp_batch.sg: $(head -c 300 $B/gen/mlp_batch.err)"
gen HAVE_GP gp_loglik examples/gp_loglik.sg ||
    note gen "symgrad failed on examples/gp_loglik.sg: $(head -c 300 $B/gen/gp_loglik.err)"
# the Hessians of Laue et al. and the products (the default GEMM against cblas_dgemm)
gen HAVE_QFH quadform_hess bench/problems/quadform_hess.sg ||
    note gen "symgrad failed on bench/problems/quadform_hess.sg: $(head -c 300 $B/gen/quadform_hess.err)"
gen HAVE_LRH logreg_hess bench/problems/logreg_hess.sg ||
    note gen "symgrad failed on bench/problems/logreg_hess.sg: $(head -c 300 $B/gen/logreg_hess.err)"
gen HAVE_MFH mf_hess bench/problems/mf_hess.sg ||
    note gen "symgrad failed on bench/problems/mf_hess.sg: $(head -c 300 $B/gen/mf_hess.err)"
gen HAVE_GEMM gemm bench/problems/gemm.sg ||
    note gen "symgrad failed on bench/problems/gemm.sg: $(head -c 300 $B/gen/gemm.err)"
gen HAVE_GEMMNT gemm_nt bench/problems/gemm_nt.sg ||
    note gen "symgrad failed on bench/problems/gemm_nt.sg: $(head -c 300 $B/gen/gemm_nt.err)"
if [ $HAVE_BLAS = 0 ]; then
    note noblasgen "mlp_batch --blas: n/a (OpenBLAS not installed)"
elif gen HAVE_MLPB_BLAS mlp_batch_blas bench/problems/mlp_batch.sg --blas -p mlpb_blas; then
    :
elif grep -q "unknown option '--blas'" "$B/gen/mlp_batch_blas.err"; then
    note noblasgen "mlp_batch --blas: n/a (no --blas yet)"
else
    note noblasgen "mlp_batch --blas: n/a (symgrad --blas failed: $(head -c 300 $B/gen/mlp_batch_blas.err))"
fi

# ---- 3. compile, every C file with the same flags ------------------------

step "compile ($CC $CFLAGS)"
DEFS="-DHAVE_BLAS=$HAVE_BLAS $AE_DIM $MLP_DIM"
OBJS=""
compile() {   # compile SRC OBJ: returns the compiler's status
    $CC $CFLAGS $STD $DEFS -Ibench -I"$B/gen" -c -o "$2" "$1" 2> "$2.err"
    st=$?
    [ -s "$2.err" ] && cat "$2.err" >&2
    return $st
}
while IFS='=' read -r macro _; do
    [ -n "$macro" ] || continue
    case $macro in
        HAVE_AE) name=autoencoder ;;
        HAVE_MLP) name=mlp_swish ;;
        HAVE_AE_DIM) name=ae_dim ;;
        HAVE_MLP_DIM) name=mlp_dim ;;
        HAVE_MLPB) name=mlp_batch ;;
        HAVE_MLPB_BLAS) name=mlp_batch_blas ;;
        HAVE_GP) name=gp_loglik ;;
        HAVE_QFH) name=quadform_hess ;;
        HAVE_LRH) name=logreg_hess ;;
        HAVE_MFH) name=mf_hess ;;
        HAVE_GEMM) name=gemm ;;
        HAVE_GEMMNT) name=gemm_nt ;;
        *) continue ;;
    esac
    if compile "$B/gen/$name.c" "$B/obj/gen_$name.o"; then
        DEFS="$DEFS -D$macro=1"
        OBJS="$OBJS $B/obj/gen_$name.o"
    else
        note compile "the generated $name.c does not compile: $(head -c 300 $B/obj/gen_$name.o.err)"
    fi
done < "$B/gen/have"
ok=1
for f in bench/baselines/*.c; do
    o=$B/obj/hand_$(basename "$f" .c).o
    compile "$f" "$o" && OBJS="$OBJS $o" || ok=0
done
LIBS="-lm"
if [ $HAVE_BLAS = 1 ]; then
    for f in bench/blas/*.c; do
        o=$B/obj/blas_$(basename "$f" .c).o
        compile "$f" "$o" && OBJS="$OBJS $o" || ok=0
    done
    LIBS="-lopenblas -lm"
fi
# the generated code of the problems PyTorch runs also as shared libraries,
# which bench/torch_bench.py calls through ctypes to time them paired with it
for name in autoencoder ae_dim mlp_swish mlp_dim mlp_batch mlp_batch_blas gp_loglik \
    quadform_hess logreg_hess mf_hess; do
    [ -f "$B/gen/$name.c" ] || continue
    lib=""
    [ $name = mlp_batch_blas ] && lib="-lopenblas"
    # shellcheck disable=SC2086
    $CC $CFLAGS $STD -shared -fPIC -o "$B/obj/$name.so" "$B/gen/$name.c" $lib -lm ||
        note sharedlib "the generated $name.c does not build as a shared library: no paired timing"
done
compile bench/harness.c "$B/obj/harness.o" || ok=0
[ $ok = 1 ] || { echo "bench: the harness does not compile" >&2; exit 1; }
# shellcheck disable=SC2086
$CC $CFLAGS -o "$B/harness" "$B/obj/harness.o" $OBJS $LIBS || exit 1

# ---- 4. run ------------------------------------------------------------

step "C implementations (bench/harness)"
{ "$B/harness" "$B" 2>&1; echo $? > "$B/harness.status"; } | tee "$B/harness.log" >&2
[ "$(cat "$B/harness.status")" = 0 ] ||
    note harness "bench/harness exited with status $(cat "$B/harness.status"): the results stop where it did (see $B/harness.log)"

if [ $HAVE_TORCH = 1 ]; then
    step "PyTorch (bench/torch_bench.py)"
    { "$PY" bench/torch_bench.py "$B" 2>&1; echo $? > "$B/torch.status"; } | tee "$B/torch.log" >&2
    [ "$(cat "$B/torch.status")" = 0 ] ||
        note torch "bench/torch_bench.py exited with status $(cat "$B/torch.status") (see $B/torch.log)"
fi

fi   # steps 2 to 4

engine_scaling() {
step "engine scaling (deep tanh networks)"
E=$B/engine.tsv
: > "$E"
TO=""
command -v timeout >/dev/null 2>&1 && TO="timeout $GCC_TIMEOUT"
for L in 10 100 1000; do
    sh bench/gen_deep.sh "$L" > "$B/deep/deep$L.sg"
    walls="" rss=0 st=0
    for _ in 1 2 3; do
        "$B/runstat" -o "$B/deep/run.txt" ./symgrad "$B/deep/deep$L.sg" \
            -o "$B/deep/deep$L.c" -H "$B/deep/deep$L.h" || st=1
        read -r w k s _ < "$B/deep/run.txt"
        [ "$s" = 0 ] || st=$s
        walls="$walls $w"
        [ "$k" -gt "$rss" ] && rss=$k
    done
    wall=$(printf '%s\n' $walls | sort -g | sed -n 2p)   # the median of 3
    bytes=$(wc -c < "$B/deep/deep$L.c" 2>/dev/null || echo 0)
    gwall=nan gst=skipped
    if [ "$st" = 0 ]; then
        # the median of 3 compilations, as for symgrad (one when it takes over 20 s)
        gwalls=""
        for n in 1 2 3; do
            # shellcheck disable=SC2086
            "$B/runstat" -o "$B/deep/gcc.txt" $TO $CC $CFLAGS $STD -c -o "$B/deep/deep$L.o" \
                "$B/deep/deep$L.c" 2> "$B/deep/gcc$L.err"
            read -r gwall k gst _ < "$B/deep/gcc.txt"
            gwalls="$gwalls $gwall"
            [ "$gst" = 0 ] && awk -v w="$gwall" 'BEGIN { exit !(w < 20) }' || break
        done
        [ "$n" = 3 ] && gwall=$(printf '%s\n' $gwalls | sort -g | sed -n 2p)
        if grep -q "internal compiler error" "$B/deep/gcc$L.err"; then
            gst=ice
            note gccice "$CC crashed (internal compiler error) on the generated C for $L layers: $(grep -m1 'internal compiler error' "$B/deep/gcc$L.err")"
        fi
    fi
    printf 'engine\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$L" "$wall" "$rss" "$bytes" "$gwall" "$st" "$gst" "$GCC_TIMEOUT" >> "$E"
    echo "  layers $L: symgrad ${wall} s, ${rss} KB, ${bytes} bytes of C; $CC $CFLAGS: ${gwall} s (status $gst)" >&2
done
}

input_scaling() {
step "input scaling (large inputs at N, 2N, 4N, every mode)"
# Each family of bench/gen_scale.sh at N, 2N and 4N through ./symgrad in each
# mode; runstat gives wall time, peak RSS, exit status and CPU time. Three
# runs when the first takes under 2 s (CPU time: on a quiet machine the same
# as the wall time, and a loaded machine does not cut the noisy ones to a
# single run), else that one run: the wall time
# is the median of the runs, the CPU time the least (other processes on the
# cores can only add to it), the peak RSS the largest. A run is killed after
# BENCH_SCALE_TIMEOUT seconds, and the larger sizes of its family and mode
# are then skipped and said so.
S=$B/scale.tsv
: > "$S"
STO=${BENCH_SCALE_TIMEOUT:-20}
TO=""
command -v timeout >/dev/null 2>&1 && TO="timeout $STO"
printf 'meta\ttimeout\t%s\n' "$STO" >> "$S"
# family:N (sizes N, 2N, 4N)
for spec in sum:5000 outs:5000 dist:2500 deep:1250 line:16; do
    fam=${spec%%:*} n=${spec#*:}
    modes="c formulas latex check" want=0
    [ "$fam" = line ] && modes=c want=1   # a bad line: rejected (exit 1), the default mode only
    for k in 1 2 4; do
        sh bench/gen_scale.sh "$fam" $((k * n)) > "$B/scale/$fam$((k * n)).sg" || return 1
    done
    for mode in $modes; do
        case $mode in c) opt="" ;; *) opt="--$mode" ;; esac
        cut=""   # why the larger sizes are not run
        for k in 1 2 4; do
            size=$((k * n))
            if [ -n "$cut" ]; then
                printf 'scale\t%s\t%s\t%s\tnan\t0\t0\tskipped\t0\tnan\n' "$fam" "$size" "$mode" >> "$S"
                continue
            fi
            walls="" cpus="" rss=0 st=ok runs=0 bytes=0
            while :; do
                out=$B/scale/out.$fam.$mode
                rm -f "$out"
                # shellcheck disable=SC2086
                "$B/runstat" -o "$B/scale/run.txt" $TO ./symgrad $opt "$B/scale/$fam$size.sg" \
                    -o "$out" 2> "$B/scale/$fam$size.$mode.err"
                read -r w kb s c < "$B/scale/run.txt"
                runs=$((runs + 1))
                walls="$walls $w" cpus="$cpus $c"
                [ "$kb" -gt "$rss" ] && rss=$kb
                bytes=0   # the bytes written: the output, or the diagnostics of a bad input
                if [ "$want" = 0 ]; then
                    [ -f "$out" ] && bytes=$(wc -c < "$out")
                else
                    bytes=$(wc -c < "$B/scale/$fam$size.$mode.err")
                fi
                rm -f "$out"   # a --latex may write hundreds of MB
                if [ -n "$TO" ] && [ "$s" = 124 ]; then
                    st=timeout
                elif [ "$s" != "$want" ]; then
                    st=exit:$s
                elif [ "$want" = 0 ] && [ "$bytes" = 0 ]; then
                    st=empty
                fi
                # 3 runs when the first one is fine and under 2 s (CPU time)
                [ "$runs" = 1 ] && w1=$c
                if [ "$st" != ok ] || [ "$runs" -ge 3 ] ||
                   ! awk -v w="$w1" 'BEGIN { exit !(w < 2) }'; then
                    break
                fi
            done
            if [ "$runs" = 3 ]; then
                # shellcheck disable=SC2086
                wall=$(printf '%s\n' $walls | sort -g | sed -n 2p)   # the median of 3
                # shellcheck disable=SC2086
                cpu=$(printf '%s\n' $cpus | sort -g | sed -n 1p)   # the least
            else
                wall=$w cpu=$c
            fi
            printf 'scale\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fam" "$size" "$mode" "$wall" "$rss" \
                "$bytes" "$st" "$runs" "$cpu" >> "$S"
            echo "  $fam $size ${opt:--o}: ${wall} s wall, ${cpu} s CPU, ${rss} KB, ${bytes} bytes ($st, $runs run(s))" >&2
            [ "$st" = timeout ] && cut="killed after $STO s at $size"
            if [ -n "$cut" ] && [ "$k" != 4 ]; then
                note "scale_${fam}_$mode" "input scaling: $fam ${opt:--o} not run at the larger sizes: $cut"
            fi
        done
    done
done
}

want engine && engine_scaling
want scale && input_scaling

# ---- 5. the environment and the report ----------------------------------

V=$B/env.tsv
if [ -n "$ONLY" ] && [ -s "$V" ]; then
    # the rest of the report is from an earlier run: say what was redone
    grep -v '^env	rerun' "$V" > "$V.tmp"; mv "$V.tmp" "$V"
    printf 'env\trerun\t%s rerun alone on %s at %s (1-minute load average %s before, %s after)\n' \
        "$ONLY" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
        "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' (with uncommitted changes)')" \
        "$LOAD0" "$(cut -d' ' -f1 /proc/loadavg)" >> "$V"
else
{
    printf 'env\tdate\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'env\tcommit\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' (with uncommitted changes)')"
    printf 'env\tsymgrad\t%s\n' "$(./symgrad --version 2>&1 | head -1)"
    printf 'env\tcpu\t%s, %s cores\n' "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" "$(getconf _NPROCESSORS_ONLN)"
    printf 'env\tload\t1-minute load average %s before the timings, %s after (other processes share the cores when it is above ~1)\n' "$LOAD0" "$(cut -d' ' -f1 /proc/loadavg)"
    printf 'env\tcc\t%s; flags: %s %s\n' "$($CC --version | head -1)" "$CFLAGS" "$STD"
    [ $HAVE_BLAS = 1 ] && printf 'env\topenblas\t%s\n' "$(dpkg-query -W -f '${Version}' libopenblas-dev 2>/dev/null || echo '?')"
    [ $HAVE_TORCH = 1 ] && printf 'env\ttorch\t%s (%s)\n' "$("$PY" -c 'import torch; print(torch.__version__)')" "$PY"
} > "$V"
fi

step "report"
if command -v "$PY" >/dev/null 2>&1; then
    "$PY" bench/report.py "$B" "$R" "$HAVE_GNUPLOT"
else
    echo "bench: no python3 to write the report; the raw results are in $B/*.tsv" >&2
    exit 1
fi
