/* y = A𝟙: y[i] = Σⱼ A[i][j] for an m×n row-major A (y has m entries) */
static void sg_rowsum(long m, long n, const @real@ *@restrict@ A, @real@ *@restrict@ y)
{
    long i;
    for (i = 0; i < m; i++)
        y[i] = sg_sum(n, A + i * n);
}
