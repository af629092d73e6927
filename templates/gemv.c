/*
 * y = A x (trans = 0: y has m entries, x has n) or y = Aᵀx (trans = 1: y has
 * n, x has m), for an m×n row-major A, reading A once in memory order. A x
 * takes four rows at a time (sg_dot4: x is loaded once for the four); Aᵀx
 * adds four rows scaled by x at a time, so that y is loaded and stored once
 * for the four.
 */
static void sg_gemv(long m, long n, int trans, const @real@ *@restrict@ A,
                    const @real@ *@restrict@ x, @real@ *@restrict@ y)
{
    long i, j;
    if (!trans) {
        for (i = 0; i + 4 <= m; i += 4)
            sg_dot4(n, A + i * n, n, x, y + i);
        for (; i < m; i++)
            y[i] = sg_dot(n, A + i * n, x);
        return;
    }
    for (j = 0; j < n; j++)
        y[j] = 0;
    for (i = 0; i + 4 <= m; i += 4) {
        const @real@ *a0 = A + i * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
        const @real@ x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
        for (j = 0; j < n; j++)
            y[j] += (a0[j] * x0 + a1[j] * x1) + (a2[j] * x2 + a3[j] * x3);
    }
    for (; i < m; i++)
        for (j = 0; j < n; j++)
            y[j] += A[i * n + j] * x[i];
}
