/* det A from the factors of sg_lu: the product of the pivots u_kk, its sign
   flipped for each row swap */
static @real@ sg_lu_det(long n, const @real@ *@restrict@ F)
{
    @real@ d = 1;
    long k;
    for (k = 0; k < n; k++)
        d *= (long)F[n * n + k] != k ? -F[k * n + k] : F[k * n + k];
    return d;
}
