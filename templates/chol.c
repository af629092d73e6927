/*
 * The Cholesky factorization A = L Lᵀ of the symmetric n×n row-major matrix
 * in F, in place. Only the lower triangle of A is read; L is written there
 * and the upper triangle is set to 0. Returns 0, or 1 when a pivot is not
 * positive (A is not positive definite, or holds a NaN); F is then left
 * part-way. Blocked, right-looking: a diagonal block of SG_NB columns is
 * factored by dot products, the rows below it come from a triangular solve,
 * and the rest of the lower triangle is updated by products, A₂₂ −= L₂₁L₂₁ᵀ.
 * pack holds sg_chol_pack(n) reals.
 */
static long sg_chol_pack(long n)
{
    const long s = sg_trsm_pack(SG_NB, n), g = sg_gemm_pack(SG_NB, n, SG_NB);
    return s > g ? s : g;
}

static int sg_chol(long n, @real@ *F, @real@ *pack)
{
    long i, j, k, b, e, r;
    for (b = 0; b < n; b = e) {
        e = n - b < SG_NB ? n : b + SG_NB; /* the diagonal block [b, e) */
        for (j = b; j < e; j++) {
            @real@ *fj = F + j * n;
            @real@ d = fj[j];
            for (k = b; k < j; k++)
                d -= fj[k] * fj[k];
            if (!(d > 0))
                return 1;
            d = @sqrt@(d);
            fj[j] = d;
            for (i = j + 1; i < e; i++) {
                @real@ *fi = F + i * n;
                @real@ s = fi[j];
                for (k = b; k < j; k++)
                    s -= fi[k] * fj[k];
                fi[j] = s / d;
            }
        }
        if (e == n)
            break;
        /* L₂₁ L₁₁ᵀ = A₂₁, then the lower triangle of A₂₂ −= L₂₁ L₂₁ᵀ, a block row at a time */
        sg_trsm(1, 1, 1, 0, e - b, F + b * n + b, n, n - e, F + e * n + b, n, pack);
        for (r = e; r < n; r += SG_NB) {
            const long nr = n - r < SG_NB ? n - r : SG_NB;
            sg_gemm_ex(nr, r + nr - e, e - b, -1, 0, F + r * n + b, n, 1, F + e * n + b, n, 1,
                       F + r * n + e, n, pack);
        }
    }
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            F[i * n + j] = 0;
    return 0;
}
