/*
 * y = A x (trans = 0: y has m entries, x has n) or y = Aᵀx (trans = 1: y has
 * n, x has m), for an m×n row-major A. A x takes a dot product per row;
 * Aᵀx adds the rows of A scaled by x, so both read A in memory order.
 */
static void sg_gemv(long m, long n, int trans, const @real@ *@restrict@ A,
                    const @real@ *@restrict@ x, @real@ *@restrict@ y)
{
    long i, j;
    if (!trans) {
        for (i = 0; i < m; i++)
            y[i] = sg_dot(n, A + i * n, x);
        return;
    }
    for (j = 0; j < n; j++)
        y[j] = 0;
    for (i = 0; i < m; i++) {
        const @real@ xi = x[i];
        const @real@ *@restrict@ a = A + i * n;
        for (j = 0; j < n; j++)
            y[j] += a[j] * xi;
    }
}
