/*
 * y = A x (trans = 0) or y = Aᵀx (trans = 1) for an m×n row-major A, as in
 * gemv.c, by cblas_@b@gemv from the CBLAS the program links when A is large.
 */
static void sg_gemv(long m, long n, int trans, const @real@ *@restrict@ A,
                    const @real@ *@restrict@ x, @real@ *@restrict@ y)
{
    long i, j;
    if (m * n >= 4096 && m <= 2147483647L && n <= 2147483647L) { /* CBLAS counts in int */
        cblas_@b@gemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, (int)m, (int)n, 1, A,
                    (int)n, x, 1, 0, y, 1);
        return;
    }
    if (!trans) {
        for (i = 0; i + 4 <= m; i += 4)
            sg_dot4(n, A + i * n, n, x, y + i);
        for (; i < m; i++)
            y[i] = sg_dot(n, A + i * n, x);
        return;
    }
    for (j = 0; j < n; j++)
        y[j] = 0;
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++)
            y[j] += A[i * n + j] * x[i];
}
