/*
 * The product kernel with --blas: C = α op(A) op(B) + β C (β 0 or 1, leading
 * dimensions as stored, as in gemm.c) by cblas_@b@gemm from the CBLAS the
 * program links, except for small products, which the plain loops do faster
 * than a library call. Nothing is packed here: the library has its own room.
 */
static long sg_gemm_pack(long m, long n, long k)
{
    (void)m, (void)n, (void)k;
    return 0;
}

static void sg_gemm_ex(long m, long n, long k, @real@ alpha, int ta, const @real@ *@restrict@ A,
                       long lda, int tb, const @real@ *@restrict@ B, long ldb, int beta,
                       @real@ *@restrict@ C, long ldc, @real@ *@restrict@ pack)
{
    (void)pack;
    /* CBLAS counts in int: a size past INT_MAX stays with the loops */
    if (sg_gemm_small(m, n, k) || m > 2147483647L || n > 2147483647L || k > 2147483647L ||
        lda > 2147483647L || ldb > 2147483647L || ldc > 2147483647L)
        sg_gemm_loops(m, n, k, alpha, ta, A, lda, tb, B, ldb, beta, C, ldc);
    else
        cblas_@b@gemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (int)m, (int)n, (int)k, alpha, A, (int)lda, B, (int)ldb, beta ? 1 : 0, C,
                    (int)ldc);
}
