/* log|det A| = Σ log|u_kk| from the factors of sg_lu: no product to overflow */
static @real@ sg_lu_logdet(long n, const @real@ *@restrict@ F)
{
    @real@ s = 0;
    long k;
    for (k = 0; k < n; k++)
        s += @log@(@fabs@(F[k * n + k]));
    return s;
}
