/*
 * The Cholesky factorization A = L Lᵀ of the symmetric n×n row-major matrix
 * in F, in place. Only the lower triangle of A is read; L is written there
 * and the upper triangle is set to 0. Returns 0, or 1 when a pivot is not
 * positive (A is not positive definite, or holds a NaN); F is then left
 * part-way.
 */
static int sg_chol(long n, @real@ *F)
{
    long i, j, k;
    for (j = 0; j < n; j++) {
        @real@ *fj = F + j * n;
        @real@ d = fj[j];
        for (k = 0; k < j; k++)
            d -= fj[k] * fj[k];
        if (!(d > 0))
            return 1;
        d = @sqrt@(d);
        fj[j] = d;
        for (i = j + 1; i < n; i++) {
            @real@ *fi = F + i * n;
            @real@ s = fi[j];
            for (k = 0; k < j; k++)
                s -= fi[k] * fj[k];
            fi[j] = s / d;
        }
        for (k = j + 1; k < n; k++)
            fj[k] = 0;
    }
    return 0;
}
