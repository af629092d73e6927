/* the check's random numbers (splitmix64): uniform in [0, 1), the same everywhere */
static double sg_check_uniform(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * Fills an r×c input as its declaration allows: kind 0 uniform in [−1, 1],
 * 1 symmetric (A + Aᵀ)/2, 2 symmetric positive definite A Aᵀ/r + I, 3
 * every column a point of the simplex (positive entries summing to 1), 4
 * uniform in [0.5, 1.5]; A uniform in [−1, 1].
 */
static void sg_check_fill(@real@ *v, long r, long c, int kind, unsigned long long *s)
{
    long i, j, l, n = r * c;
    double *a = (double *)malloc(sizeof *a * (size_t)(n > 0 ? n : 1)), sum;
    if (!a) {
        fprintf(stderr, "check: out of memory\n");
        exit(2);
    }
    for (i = 0; i < n; i++)
        a[i] = kind == 3 ? 0.1 + sg_check_uniform(s)
               : kind == 4 ? 0.5 + sg_check_uniform(s)
                           : 2 * sg_check_uniform(s) - 1;
    for (i = 0; i < r; i++)
        for (j = 0; j < c; j++) {
            double x = a[i * c + j];
            if (kind == 1)
                x = 0.5 * (a[i * c + j] + a[j * c + i]);
            else if (kind == 2)
                for (x = i == j ? 1 : 0, l = 0; l < c; l++)
                    x += a[i * c + l] * a[j * c + l] / (double)r;
            else if (kind == 3) {
                for (sum = 0, l = 0; l < r; l++)
                    sum += a[l * c + j];
                x /= sum;
            }
            v[i * c + j] = (@real@)x;
        }
    free(a);
}

/* n entries, or the end of the check */
static @real@ *sg_check_alloc(long n)
{
    @real@ *p = (@real@ *)malloc(sizeof *p * (size_t)(n > 0 ? n : 1));
    if (!p) {
        fprintf(stderr, "check: out of memory\n");
        exit(2);
    }
    return p;
}

/* every entry is finite (no NaN, no infinity) */
static int sg_check_finite(const @real@ *v, long n)
{
    long i;
    for (i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}
