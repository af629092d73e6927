/*
 * The symmetric product with --blas: C = op(A) diag(s) op(A)ᵀ (s NULL:
 * op(A) op(A)ᵀ), op(A) n×k, as in syrk.c. Without s it is cblas_@b@syrk on
 * the lower triangle, mirrored; with s (whose signs are not known, so no
 * √s can be taken) the scaled diag(s) op(A)ᵀ is made in pack and multiplied
 * by cblas_@b@gemm. pack holds sg_syrk_pack(n, k) reals.
 */
static long sg_syrk_pack(long n, long k)
{
    return n * k;
}

static void sg_syrk(long n, long k, int ta, const @real@ *@restrict@ A, const @real@ *@restrict@ s,
                    @real@ *@restrict@ C, @real@ *@restrict@ pack)
{
    const long lda = ta ? n : k;
    long i, p;
    const int big = n > 2147483647L || k > 2147483647L; /* CBLAS counts in int */
    if (!s && !big && !sg_gemm_small(n, n, k)) {
        cblas_@b@syrk(CblasRowMajor, CblasLower, ta ? CblasTrans : CblasNoTrans, (int)n, (int)k, 1,
                    A, (int)lda, 0, C, (int)n);
        sg_mirror(n, C);
        return;
    }
    if (!s) {
        sg_gemm_loops(n, n, k, 1, ta, A, lda, !ta, A, lda, 0, C, n);
        return;
    }
    for (p = 0; p < k; p++) /* pack = diag(s) op(A)ᵀ, k×n */
        for (i = 0; i < n; i++)
            pack[p * n + i] = s[p] * (ta ? A[p * lda + i] : A[i * lda + p]);
    if (big || sg_gemm_small(n, n, k))
        sg_gemm_loops(n, n, k, 1, ta, A, lda, 0, pack, n, 0, C, n);
    else
        cblas_@b@gemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, CblasNoTrans, (int)n, (int)n,
                    (int)k, 1, A, (int)lda, pack, (int)n, 0, C, (int)n);
}
