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
 */
static int sg_lu(long n, @real@ *F)
{
    @real@ *piv = F + n * n, big = 0, tol;
    long i, j, k;
    int singular = 0;
    for (i = 0; i < n * n; i++)
        if (@fabs@(F[i]) > big)
            big = @fabs@(F[i]);
    tol = (@real@)n * @eps@ * big;
    for (k = 0; k < n; k++) {
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
            if (fk[k] == 0)
                continue;
        }
        for (i = k + 1; i < n; i++) {
            @real@ *fi = F + i * n;
            const @real@ l = fi[k] / fk[k];
            fi[k] = l;
            for (j = k + 1; j < n; j++)
                fi[j] -= l * fk[j];
        }
    }
    return singular;
}
