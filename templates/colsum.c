/* y = 𝟙ᵀA: y[j] = Σᵢ A[i][j] for an m×n row-major A (y has n entries) */
static void sg_colsum(long m, long n, const @real@ *@restrict@ A, @real@ *@restrict@ y)
{
    long i, j;
    for (j = 0; j < n; j++)
        y[j] = 0;
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++)
            y[j] += A[i * n + j];
}
