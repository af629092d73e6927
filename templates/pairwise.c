/* the sum of the 2·@lanes@ accumulators p and q of sg_dot, sg_dot4 and sg_sum:
   p + q, then halves of p added pairwise (p is overwritten) */
static @real@ sg_pairwise(@real@ *@restrict@ p, const @real@ *@restrict@ q)
{
    long j, k;
    for (k = 0; k < @lanes@; k++)
        p[k] += q[k];
    for (k = @lanes@ / 2; k > 0; k /= 2)
        for (j = 0; j < k; j++)
            p[j] += p[j + k];
    return p[0];
}
