/*
 * y = A x (trans = 0: y has m entries, x has n) or y = Aᵀx (trans = 1: y has
 * n, x has m), for an m×n row-major A, reading A once in memory order. A x
 * takes four rows at a time, each a dot product with sixteen accumulators
 * (x is loaded once for the four); Aᵀx adds four rows scaled by x at a time,
 * so that y is loaded and stored once for the four.
 */
static void sg_gemv(long m, long n, int trans, const @real@ *@restrict@ A,
                    const @real@ *@restrict@ x, @real@ *@restrict@ y)
{
    long i, j, k;
    if (!trans) {
        for (i = 0; i + 4 <= m; i += 4) {
            const @real@ *a0 = A + i * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
            @real@ s0[8] = {0}, s1[8] = {0}, s2[8] = {0}, s3[8] = {0}, t0, t1, t2, t3;
            for (j = 0; j + 8 <= n; j += 8)
                for (k = 0; k < 8; k++) {
                    s0[k] += a0[j + k] * x[j + k];
                    s1[k] += a1[j + k] * x[j + k];
                    s2[k] += a2[j + k] * x[j + k];
                    s3[k] += a3[j + k] * x[j + k];
                }
            for (k = 4; k > 0; k /= 2)
                for (j = 0; j < k; j++) {
                    s0[j] += s0[j + k];
                    s1[j] += s1[j + k];
                    s2[j] += s2[j + k];
                    s3[j] += s3[j + k];
                }
            t0 = s0[0], t1 = s1[0], t2 = s2[0], t3 = s3[0];
            for (j = n - n % 8; j < n; j++) {
                t0 += a0[j] * x[j];
                t1 += a1[j] * x[j];
                t2 += a2[j] * x[j];
                t3 += a3[j] * x[j];
            }
            y[i] = t0, y[i + 1] = t1, y[i + 2] = t2, y[i + 3] = t3;
        }
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
