/* Σᵢ x[i], with 2·@lanes@ accumulators in two vector-wide arrays, summed as
   sg_dot sums (see dot.c): independent additions that vectorize */
static @real@ sg_sum(long n, const @real@ *@restrict@ x)
{
    @real@ t = 0;
    long i = 0, k;
    if (n >= 2 * @lanes@) {
        @real@ p[@lanes@] = {0}, q[@lanes@] = {0};
        for (; i + 2 * @lanes@ <= n; i += 2 * @lanes@) {
            for (k = 0; k < @lanes@; k++)
                p[k] += x[i + k];
            for (k = 0; k < @lanes@; k++)
                q[k] += x[i + @lanes@ + k];
        }
        t = sg_pairwise(p, q);
    }
    for (; i < n; i++)
        t += x[i];
    return t;
}
