/* A += α u vᵀ for an m×n row-major A: the rank-one update */
static void sg_ger(long m, long n, @real@ alpha, const @real@ *@restrict@ u,
                   const @real@ *@restrict@ v, @real@ *@restrict@ A)
{
    long i, j;
    for (i = 0; i < m; i++) {
        const @real@ a = alpha * u[i];
        @real@ *@restrict@ r = A + i * n;
        for (j = 0; j < n; j++)
            r[j] += a * v[j];
    }
}
