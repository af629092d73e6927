/* Σᵢ x[i] y[i], with sixteen accumulators: independent additions that vectorize */
static @real@ sg_dot(long n, const @real@ *@restrict@ x, const @real@ *@restrict@ y)
{
    @real@ t = 0;
    long i = 0, j, k;
    if (n >= 16) {
        @real@ s[16] = {0};
        for (; i + 16 <= n; i += 16)
            for (k = 0; k < 16; k++)
                s[k] += x[i + k] * y[i + k];
        for (k = 8; k > 0; k /= 2) /* pairwise */
            for (j = 0; j < k; j++)
                s[j] += s[j + k];
        t = s[0];
    }
    for (; i < n; i++)
        t += x[i] * y[i];
    return t;
}
