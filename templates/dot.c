/*
 * Σᵢ x[i] y[i] with 2·@lanes@ accumulators, held as two arrays p and q of @lanes@
 * (the reals of a 32-byte vector): x[i + k] y[i + k] is added to p[k] and
 * x[i + @lanes@ + k] y[i + @lanes@ + k] to q[k], then p + q is summed pairwise
 * and the rest in order. An array one vector wide, filled by a loop one
 * vector long, is what gcc and clang keep in a register; a wider one stays
 * in memory, and every addition then waits on a store: two to five times
 * slower. sg_dot4 sums each of its rows in exactly this order.
 */
static @real@ sg_dot(long n, const @real@ *@restrict@ x, const @real@ *@restrict@ y)
{
    @real@ t = 0;
    long i = 0, k;
    if (n >= 2 * @lanes@) {
        @real@ p[@lanes@] = {0}, q[@lanes@] = {0};
        for (; i + 2 * @lanes@ <= n; i += 2 * @lanes@) {
            for (k = 0; k < @lanes@; k++)
                p[k] += x[i + k] * y[i + k];
            for (k = 0; k < @lanes@; k++)
                q[k] += x[i + @lanes@ + k] * y[i + @lanes@ + k];
        }
        t = sg_pairwise(p, q);
    }
    for (; i < n; i++)
        t += x[i] * y[i];
    return t;
}
