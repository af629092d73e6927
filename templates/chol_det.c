/* det A = Π l_kk² from the factor of sg_chol */
static @real@ sg_chol_det(long n, const @real@ *@restrict@ F)
{
    @real@ d = 1;
    long k;
    for (k = 0; k < n; k++)
        d *= F[k * n + k] * F[k * n + k];
    return d;
}
