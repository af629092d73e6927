/*
 * Z = L⁻¹ for the lower triangular n×n L in T (leading dimension n; unit:
 * its diagonal is 1 and not read), by the blocked forward solve L Z = I that
 * skips what it knows is 0: L⁻¹ is lower triangular, so a block of rows only
 * updates the columns up to its end, a third of a full solve's work. pack
 * holds sg_trsm_pack(n, n) reals.
 */
static void sg_trsm_lower_inverse(long n, const @real@ *T, int unit, @real@ *Z, @real@ *pack)
{
    long b, e, i, j, c;
    for (i = 0; i < n * n; i++)
        Z[i] = 0;
    for (i = 0; i < n; i++)
        Z[i * n + i] = 1;
    for (b = 0; b < n; b = e) {
        e = n - b < SG_NB ? n : b + SG_NB;
        for (i = b; i < e; i++) { /* the diagonal block: row i has columns 0..i */
            @real@ *@restrict@ zi = Z + i * n;
            for (j = b; j < i; j++) {
                const @real@ t = T[i * n + j];
                const @real@ *@restrict@ zj = Z + j * n;
                if (!(t >= 0 && t <= 0)) /* t != 0 (or NaN), without -Wfloat-equal */
                    for (c = 0; c <= j; c++)
                        zi[c] -= t * zj[c];
            }
            if (!unit) {
                const @real@ d = 1 / T[i * n + i];
                for (c = 0; c <= i; c++)
                    zi[c] *= d;
            }
        }
        if (e < n) /* the rows below: columns 0..e−1 only */
            sg_gemm_ex(n - e, e, e - b, -1, 0, T + e * n + b, n, 0, Z + b * n, n, 1, Z + e * n, n,
                       pack);
    }
}
