/* log det A = 2 Σ log l_kk from the factor of sg_chol */
static @real@ sg_chol_logdet(long n, const @real@ *@restrict@ F)
{
    @real@ s = 0;
    long k;
    for (k = 0; k < n; k++)
        s += @log@(F[k * n + k]);
    return 2 * s;
}
