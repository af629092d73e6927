/*
 * The LU factorization with partial pivoting of the n×n row-major matrix in
 * F, in place: P A = L U, with L unit lower triangular (stored below the
 * diagonal) and U upper triangular (on and above it). F holds n*n + n
 * entries: after the matrix, the pivots (step k swapped rows k and
 * F[n*n + k], an index held as a @real@). Returns 0, or 1 when A counts as
 * singular: some pivot |u_kk| ≤ n·ε·max|a_ij| (ε the precision's machine
 * epsilon; an exact 0 and a NaN count too). A column whose pivot is exactly 0
 * has nothing to eliminate and is skipped, so that the factors stay finite
 * and the product of the pivots is still det A (0).
 *
 * Blocked, right-looking: a panel of SG_NB columns is factored by row
 * operations (whole rows are swapped), then the rows of U to its right come
 * from a triangular solve and the rest of the matrix is updated by one
 * product, A₂₂ −= L₂₁U₁₂, where nearly all the work is done at the speed of
 * sg_gemm_ex. pack holds sg_lu_pack(n) reals.
 */
static long sg_lu_pack(long n)
{
    return sg_gemm_pack(n, n, SG_NB) > sg_trsm_pack(SG_NB, n) ? sg_gemm_pack(n, n, SG_NB)
                                                             : sg_trsm_pack(SG_NB, n);
}

static int sg_lu(long n, @real@ *F, @real@ *pack)
{
    @real@ *piv = F + n * n, big = 0, tol;
    long i, j, k, b, e;
    int singular = 0;
    for (i = 0; i < n * n; i++)
        if (@fabs@(F[i]) > big)
            big = @fabs@(F[i]);
    tol = (@real@)n * @eps@ * big;
    for (b = 0; b < n; b = e) {
        e = n - b < SG_NB ? n : b + SG_NB; /* the panel: columns [b, e) */
        for (k = b; k < e; k++) {
            @real@ *fk = F + k * n;
            long p = k;
            for (i = k + 1; i < n; i++)
                if (@fabs@(F[i * n + k]) > @fabs@(F[p * n + k]))
                    p = i;
            piv[k] = (@real@)p;
            if (p != k)
                for (j = 0; j < n; j++) {
                    const @real@ t = fk[j];
                    fk[j] = F[p * n + j];
                    F[p * n + j] = t;
                }
            if (!(@fabs@(fk[k]) > tol)) {
                singular = 1;
                if (fk[k] >= 0 && fk[k] <= 0) /* fk[k] == 0, without -Wfloat-equal */
                    continue;
            }
            for (i = k + 1; i < n; i++) {
                @real@ *fi = F + i * n;
                const @real@ l = fi[k] / fk[k];
                fi[k] = l;
                for (j = k + 1; j < e; j++)
                    fi[j] -= l * fk[j];
            }
        }
        if (e < n) {
            /* U₁₂ = L₁₁⁻¹ A₁₂, then A₂₂ −= L₂₁ U₁₂ */
            sg_trsm(0, 1, 0, 1, e - b, F + b * n + b, n, n - e, F + b * n + e, n, pack);
            sg_gemm_ex(n - e, n - e, e - b, -1, 0, F + e * n + b, n, 0, F + b * n + e, n, 1,
                       F + e * n + e, n, pack);
        }
    }
    return singular;
}
