/* Σᵢ x[i], with sixteen accumulators: independent additions that vectorize */
static @real@ sg_sum(long n, const @real@ *@restrict@ x)
{
    @real@ s[16] = {0}, t;
    long i, k;
    if (n < 16) { /* short: one accumulator */
        for (t = 0, i = 0; i < n; i++)
            t += x[i];
        return t;
    }
    for (i = 0; i + 16 <= n; i += 16)
        for (k = 0; k < 16; k++)
            s[k] += x[i + k];
    for (k = 8; k > 0; k /= 2) /* pairwise */
        for (i = 0; i < k; i++)
            s[i] += s[i + k];
    for (t = s[0], i = n - n % 16; i < n; i++)
        t += x[i];
    return t;
}
