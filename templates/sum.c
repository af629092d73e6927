/* Σᵢ x[i], with four accumulators (independent additions pipeline) */
static @real@ sg_sum(long n, const @real@ *@restrict@ x)
{
    @real@ s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long i;
    for (i = 0; i + 4 <= n; i += 4) {
        s0 += x[i];
        s1 += x[i + 1];
        s2 += x[i + 2];
        s3 += x[i + 3];
    }
    for (; i < n; i++)
        s0 += x[i];
    return (s0 + s1) + (s2 + s3);
}
