/* Σᵢ x[i] y[i], with four accumulators */
static @real@ sg_dot(long n, const @real@ *@restrict@ x, const @real@ *@restrict@ y)
{
    @real@ s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long i;
    for (i = 0; i + 4 <= n; i += 4) {
        s0 += x[i] * y[i];
        s1 += x[i + 1] * y[i + 1];
        s2 += x[i + 2] * y[i + 2];
        s3 += x[i + 3] * y[i + 3];
    }
    for (; i < n; i++)
        s0 += x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}
