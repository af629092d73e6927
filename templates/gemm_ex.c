/*
 * The product kernel: C = α op(A) op(B) + β C with β 0 or 1 (β = 0 never
 * reads C), op(A) m×k, op(B) k×n, leading dimensions as stored (gemm.c):
 * plain loops when small, else packed and blocked. pack holds
 * sg_gemm_pack(m, n, k) reals.
 */
static void sg_gemm_ex(long m, long n, long k, @real@ alpha, int ta, const @real@ *@restrict@ A,
                       long lda, int tb, const @real@ *@restrict@ B, long ldb, int beta,
                       @real@ *@restrict@ C, long ldc, @real@ *@restrict@ pack)
{
    if (sg_gemm_small(m, n, k))
        sg_gemm_loops(m, n, k, alpha, ta, A, lda, tb, B, ldb, beta, C, ldc);
    else
        sg_gemm_blocked(m, n, k, alpha, ta, A, lda, tb, B, ldb, 0, beta, C, ldc, pack, 0);
}
