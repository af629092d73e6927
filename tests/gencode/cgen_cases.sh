# cgen_cases.sh: the runs of tests/gencode/cgen.sh, one a line, grouped
# under the test of test_cgen.c they came from (sourced by cgen.sh, which
# holds cgen, checkmain, touched and has).
ex=$top/examples

# the autoencoder: every request; float; every dimension fixed, declarations
# in the .c; large enough for the sweeps (Wx and Wᵀ(Wx) in one pass over W's
# rows, Wr, Wᵀ(Wr) and ∂L/∂W in another); a deep network's shared passes
cgen autoencoder autoencoder.sg "m=3 n=5" "100 010 001 011"
cgen ae_float autoencoder.sg "m=4 n=3" "010" -p ae -t float
cgen fixed autoencoder.sg "m=3 n=5" "001" +noheader -p fixed --dim n=5 --dim m=3
cgen sweep autoencoder.sg "m=37 n=53" "100 010 001 110" -p sweep
cgen deep deep.sg "n=7" "1000 0100 0001"

# every operation and shape
cgen mlp mlp.sg "D=5 H=4 C=3" "10000 01000 00010 00001"
cgen cw cw.sg "p=4 N=3" "1100 0001"
cgen ew ew.sg "n=7" "010"
# the functions of libm, sign and step, inputs in their domains (fn.sg's
# gencode-fill), in both precisions; --check at its own inputs in [−1, 1]
cgen fn fn.sg "n=5" "100000 010000 001000 000100 000011"
cgen fnf fn.sg "n=4" "000011" -p fnf -t float
checkmain fn_check fncheck.sg 3
checkmain fn_checkf fncheck.sg 3 -t float
# a batch softmax cross-entropy, Y ∈ Δ^{C×N}: --check draws each column in
# the simplex; the values against --eval
checkmain batch_check batch.sg 3
checkmain batch_checkf batch.sg 3 -t float
cgen batch batch.sg "D=3 C=4 N=5" "1000 0100 0010 0001"
cgen logreg logreg.sg "N=6 D=3" "10"
# X + Xᵀ and ½cX + ½cXᵀ (sg_symadd): sizes with and without a remainder
# past the blocks of either precision, and n = 1
cgen qs quadform.sg "n=37" "1010 0001 0011"
cgen qs1 quadform.sg "n=1" "0011" -p qs1
cgen qsf quadform.sg "n=39" "0011" -p qsf -t float
cgen qsf8 quadform.sg "n=8" "0011" -p qsf8 -t float
# a sweep led by an output, asked for without it (and alone)
cgen swl sweeplead.sg "n=9" "011 001 010 100"
# symmetric products (sg_syrk, one triangle mirrored): plain loops; the packed
# kernel with edge tiles on every side; two panels deep; --blas (cblas_dsyrk's
# shim leaves NaN above the diagonal: a read of it instead of the mirror fails)
cgen syrk syrk.sg "N=6 D=3" "100 010 001"
cgen syrk_big syrk.sg "N=29 D=41" "100 010 001" -p syrkb
cgen syrk_deep syrk.sg "N=300 D=13" "010 001" -p syrkd
cgen syrk_float syrk.sg "N=29 D=41" "100" -p syrkf -t float
cgen syrk_blas syrk.sg "N=29 D=41" "100 010 001" -p syrkbl --blas
cgen mat mat.sg "n=4 m=3 k=5" "0100 0010 1000"
cgen edge edge.sg "n=4" "1000000 0000100 0000010"
cgen sc sc.sg "" "010"
# random problems over every op and shape (test_cgen.c's fuzz_one, seeds 1 to 4)
for i in 1 2 3 4; do cgen fz$i fz$i.sg "n=3 m=4" "100000000 010000000 001001010 000110100"; done

# names that clash with C, renamed; the gnu modes, where linux and unix are macros
cgen names names.sg "n=3 i=2" ""
cgen net net.sg "n=3 linux=2" ""
if cd "$tmp/cg/net"; then
    if gcc -Wall -Wextra -Werror -I. -c gen.c -o gnu.o 2>build.txt; then ok; else bad "net: gcc in its gnu mode: $(head -c 600 build.txt)"; fi
    if [ $have_clang = 1 ]; then
        if clang -Wall -Wextra -Werror -I. -c gen.c -o gnu.o 2>build.txt; then ok; else bad "net: clang in its gnu mode: $(head -c 600 build.txt)"; fi
    fi
    cd "$tmp" || exit 1
fi

# the linear algebra and its codes: a singular matrix, one that is not
# positive definite, and a determinant (0) that is no error
cgen gp gp.sg "N=4 Q=2 D=3" "100 010 001" +noheader
cgen gpf gp.sg "N=5 Q=3 D=2" "" -p gpf -t float
cgen lu lu.sg "n=4 m=3" "1000000000 0100000000 0000000011 0000000100"
cgen chol chol.sg "n=5" "10000 01000 00110"
cgen dg dg.sg "n=5 m=3" "10000000 01000000 00000011"
cgen sing sing.sg "n=4" "" +rc=1
cgen notspd notspd.sg "n=3" "" +rc=2
cgen det0 det0d.sg "n=4" "" +rtol=1e-6
cgen det0_inv det0.sg "n=4" "01" +rc=1
cgen det0_det det0.sg "n=4" "10" +rc=0

# the RNN for T = 1, 2, 5: a loss-only call runs no backward loop (δh,
# (T + 1)·n numbers, is not even written)
for T in 1 2 5; do
    cgen rnn$T "$ex/rnn.sg" "T=$T k=2 p=3 n=4" "10000 01000 00100 00010 00001 01101"
    a=$(touched rnn$T 10000) b=$(touched rnn$T 11111)
    if [ "$a" -ge 0 ] && [ $((a + 8 * (T + 1) * 4)) -le "$b" ]; then ok; else bad "rnn$T: a loss-only call writes $a bytes of work, everything $b"; fi
done
# T = 10 000 under the sanitizers with exactly P_work_size bytes, as a
# dimension and fixed with --dim (--eval cannot take 50 000 numbers on its
# command line: --check's finite differences stand in for it at that length)
cgen rnn_long "$ex/rnn.sg" "T=10000 k=2 p=3 n=3" "10000 00001" +noeval
cgen rnn_dim5 "$ex/rnn.sg" "T=5 k=2 p=3 n=3" "" --dim T=5
cgen rnn_dim10000 "$ex/rnn.sg" "T=10000 k=2 p=3 n=3" "" +noeval --dim T=10000
checkmain rnn_check10000 "$ex/rnn.sg" 4 --dim T=10000
# the C for T = 5 and T = 10 000 differs in the constants only
if [ "$(diff "$tmp/cg/rnn_dim5/gen.c" "$tmp/cg/rnn_dim10000/gen.c" | grep -c '^<')" -le 5 ] &&
    [ "$(wc -l <"$tmp/cg/rnn_dim5/gen.c")" = "$(wc -l <"$tmp/cg/rnn_dim10000/gen.c")" ]; then
    ok
else
    bad "rnn --dim T=5 and T=10000: the C differs in more than the constants"
fi
cgen rnnf "$ex/rnn.sg" "T=6 k=2 p=3 n=3" "01000" -p rnnf -t float
checkmain rnn_check "$ex/rnn.sg" 4
checkmain rnn_checkf "$ex/rnn.sg" 4 -t float

# ∂L/∂x[t] for an input sequence, written in place into out->dL_dx as x is
# laid out (saliency over an RNN, with x also read one step back and at
# fixed steps; CS224n negative sampling), for several T; --check moves every
# entry of every step
for T in 1 2 5; do cgen sal$T saliency.sg "T=$T k=2 p=3 n=3" "1000 0100 0010 0001 1101"; done
cgen salf saliency.sg "T=4 k=2 p=3 n=3" "0100" -p salf -t float
checkmain sal_check saliency.sg 3
checkmain sal_checkf saliency.sg 3 -t float
for K in 1 4; do cgen negsamp$K negsamp.sg "d=3 K=$K" "1000 0001 1111"; done
checkmain negsamp_check negsamp.sg 3

# gated recurrences: an LSTM and a GRU (gates as per-step sequences; c, h and
# the gates computed together, one loop over t each way), for several T, in
# both precisions; the C for T = 5 and T = 1000 differs in the constants only
for T in 1 2 5; do
    cgen lstm$T lstm.sg "T=$T k=2 p=3 n=3" "1000000000000000 0000000000000011 0100000000000100"
    cgen gru$T gru.sg "T=$T k=2 p=2 n=3" "100000000000 000000000011 001000000100"
    cgen perstep$T perstep.sg "T=$T n=3" "100 011"
done
cgen lstm_dim5 lstm.sg "T=5 k=2 p=3 n=3" "" --dim T=5
cgen lstm_dim1000 lstm.sg "T=1000 k=2 p=3 n=3" "" +noeval --dim T=1000
if [ "$(diff "$tmp/cg/lstm_dim5/gen.c" "$tmp/cg/lstm_dim1000/gen.c" | grep -c '^<')" -le 5 ] &&
    [ "$(wc -l <"$tmp/cg/lstm_dim5/gen.c")" = "$(wc -l <"$tmp/cg/lstm_dim1000/gen.c")" ]; then
    ok
else
    bad "lstm --dim T=5 and T=1000: the C differs in more than the constants"
fi
checkmain lstm_check lstm.sg 15
checkmain lstm_checkf lstm.sg 15 -t float
checkmain gru_check gru.sg 11
checkmain perstep_check perstep.sg 2
for T in 1 2 4; do cgen substep$T substep.sg "T=$T k=2 n=3" "100 011"; done
checkmain substep_check substep.sg 2
# ∂L/∂x[t] through an LSTM's gates (saliency)
cgen lstmx lstmx.sg "T=3 k=2 p=2 n=3" "10000000000000000 01000000000000000"
checkmain lstmx_check lstmx.sg 16
# CS229's GDA with a shared covariance Σ (𝕊₊₊, a Cholesky solve), --check
cgen gda gda.sg "d=3 N=5" "1000 0001 1111"
checkmain gda_check gda.sg 4

# recurrences that exercise the corners, for several T
for T in 1 2 5; do cgen last$T rnnlast.sg "T=$T k=2 p=3 n=3" "10000"; done
for T in 1 5; do cgen leaky$T leaky.sg "T=$T k=2 n=3" "01000"; done
for T in 1 2 3 6; do cgen sub$T sub.sg "T=$T k=2 n=3" "00001"; done
for T in 1 4; do cgen two$T two.sg "T=$T n=3" "00010"; done
for T in 1 4; do cgen stacked$T stacked.sg "T=$T k=2 n=3" "0001001"; done
for T in 1 2 4; do cgen mixed$T mixed.sg "T=$T n=3" "0100"; done
for T in 1 3; do
    cgen invsum$T invsum.sg "T=$T n=3" "10"
    cgen instep$T instep.sg "T=$T n=3" "010"
    cgen ahead$T ahead.sg "T=$T n=3" "0010"
    cgen solvestep$T solvestep.sg "T=$T n=3" "010"
    cgen matstep$T matstep.sg "T=$T m=2 n=3" "001"
done
# a node that does not vary with t read in place by a kernel in a loop:
# stored before it, at two lengths; --check's main() passes
for v in 1 2 3 4 5 6; do
    dims="m=3"
    [ $v = 5 ] && dims="m=3 n=2"
    for T in 1 3; do cgen views${v}_$T views$v.sg "T=$T $dims" ""; done
    [ $v = 1 ] || checkmain views${v}_check views$v.sg ""
done

# products large enough to be packed and tiled, in double and float, with
# every dimension fixed, and with --blas
mlpbdims="D=40 H=36 C=5 N=30"
mlpbfix="--dim D=40 --dim H=36 --dim C=5 --dim N=30"
cgen mlpb mlpb.sg "$mlpbdims" "10000 01000 00011"
cgen mlpb_f mlpb.sg "$mlpbdims" "10000 01000 00011" -t float
# shellcheck disable=SC2086
cgen mlpb_dims mlpb.sg "$mlpbdims" "10000 01000 00011" +noheader $mlpbfix
cgen mlpb_blas mlpb.sg "$mlpbdims" "10000 01000 00011" --blas
cgen mlpbf_blas mlpb.sg "$mlpbdims" "10000 01000 00011" -p mlpbf -t float --blas
# blocked LU and Cholesky, solves and inverses past one block (SG_NB = 64)
cgen gpb gp.sg "N=150 Q=3 D=2" "100 010" +rtol=1e-9 -p gpb
cgen gpbf gp.sg "N=150 Q=3 D=2" "100 010" +rtol=1e-3 -p gpbf -t float
cgen gpb_blas gp.sg "N=150 Q=3 D=2" "100 010" +rtol=1e-9 -p gpb --blas
cgen spdb spdb.sg "n=131" "1000 0100 0011" +rtol=1e-9
cgen spdbf spdb.sg "n=131" "1000 0100 0011" +rtol=1e-3 -p spdbf -t float
cgen spdb_blas spdb.sg "n=131" "1000 0100 0011" +rtol=1e-9 --blas

# --check's main(): every derivative against finite differences, in both
# precisions; structured inputs (spd, symmetric, simplex), a Jacobian and
# Hessians, one of them mixed
checkmain ae_check autoencoder.sg 2 -p ae
has ae_check "dL_dW: worst relative error "
has ae_check "dL_dx: worst relative error "
checkmain gp_check gp.sg 2
checkmain gp_checkf gp.sg 2 -t float
checkmain st_check structured.sg 8
checkmain qs_check quadform.sg 2 --dim n=37
checkmain qs_checkf quadform.sg 2 -p qsf --dim n=39 -t float
checkmain st_checkf structured.sg "" -t float
# on the new kernels' paths (sizes fixed so that the products are packed and
# the LU blocked): double, float, and --blas in both; float differences are
# too coarse for a 70×70 LU
for v in 0 1 2 3; do
    opt=""
    [ $((v & 1)) = 1 ] && opt="-t float"
    [ $((v >> 1)) = 1 ] && opt="$opt --blas"
    # shellcheck disable=SC2086
    checkmain mlpbc_$v mlpb.sg 4 -p mlpbc $mlpbfix $opt
    # shellcheck disable=SC2086
    [ $((v & 1)) = 1 ] || checkmain gpc_$v gp.sg 2 -p gpc --dim N=70 --dim Q=3 --dim D=2 $opt
done

# bytes from file names and the command line in the banner: a newline, a
# backslash-newline splice, the trigraph for a backslash, a star-slash,
# quotes, control bytes and ill-formed UTF-8 stay inside one comment line;
# the #error they carry is never code, even with -trigraphs
mkdir -p "$tmp/cg/banner"
cd "$tmp/cg/banner" || exit 1
k=0
for name in 'x*\\\n/#error pwned\n' 'd??/\n#error pwned\n' 'a*/ #error pwned /*' \
    'q"\\\\\001\177\377\303(/b.sg\\' 'ok/ℓ??/../ℓ.sg??'; do
    k=$((k + 1))
    path=$(printf "${name}X")
    path=${path%X}
    dir=${path%/*}
    mkdir -p "$dir" "$(printf 'ok/ℓ??')"
    printf 'x ∈ ℝ\nL = 2x\noutput L\n' >"$path"
    if "$symgrad" -o gen$k.c -p bn "$path" 2>err.txt; then
        if gcc -std=c99 -Wall -Wextra -Werror -trigraphs -c gen$k.c -o gen.o 2>build.txt &&
            gcc -Wall -Wextra -Werror -c gen$k.c -o gen.o 2>>build.txt &&
            { [ $have_clang = 0 ] || clang -std=c99 -Wall -Wextra -Werror -trigraphs -Wno-trigraphs -c gen$k.c -o gen.o 2>>build.txt; }; then
            ok
        else
            bad "banner $k: $(head -c 600 build.txt)"
        fi
    else
        bad "banner $k: symgrad: $(head -c 300 err.txt)"
    fi
done
cd "$tmp" || exit 1
# max and min (relu written by the checker), a scalar on either side, in both
# precisions; --check away from the kinks at its own inputs
cgen maxmin maxmin.sg "n=5" "10000 01000 00100 00011"
cgen maxminf maxmin.sg "n=4" "00011" -p mmf -t float
checkmain maxmin_check maxmin.sg 4

# Jacobians and Hessians of and with respect to matrices (row-major vec, ⊗ in
# closed form): against --eval, and --check's central differences
cgen kron kron.sg "m=3 n=2 p=4 q=3" "1000000000000000 0000000010000000 0000000000000111"
cgen kronf kron.sg "m=2 n=3 p=2 q=2" "0000000011111111" -p kronf -t float
checkmain kron_check kron.sg 8
checkmain kron_checkf kron.sg 8 -t float
cgen jacmat jacmat.sg "n=4" "1"
# ‖T − UVᵀ‖²: 2(I ⊗ VᵀV) and 2(I ⊗ UᵀU) (the mixed-product property), block
# diagonal; UᵀU and VᵀV by sg_syrk; --check against finite differences
cgen mf mf.sg "m=3 n=4 k=2" "100 010 001"
cgen mf_big mf.sg "m=9 n=40 k=7" "010 001" -p mfb
checkmain mf_check mf.sg 3
checkmain jacmat_check jacmat.sg 1
