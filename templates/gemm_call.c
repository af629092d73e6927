/* C = op(A) op(B), C m×n, op(A) m×k, op(B) k×n, all row-major as stored */
static void sg_gemm(long m, long n, long k, int ta, const @real@ *@restrict@ A, int tb,
                    const @real@ *@restrict@ B, @real@ *@restrict@ C, @real@ *@restrict@ pack)
{
    sg_gemm_ex(m, n, k, 1, ta, A, ta ? m : k, tb, B, tb ? k : n, 0, C, n, pack);
}
