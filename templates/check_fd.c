/*
 * Direction d of the perturbations of an input of q entries, kind as in
 * sg_check_fill: +1 on entry j1, and c2 on entry j2 when j2 ≥ 0. Entries
 * are independent (one direction each), except that a symmetric n×n input
 * moves (a, b) and (b, a) together (a ≤ b), which keeps it symmetric, and
 * positive definite for a small step; and a simplex (n rows, each column
 * in it) moves e_(a,j) − e_(last,j), which keeps column j's sum 1. Returns
 * 0 past the last direction.
 */
static int sg_check_dir(int kind, long q, long n, long d, long *j1, long *j2, int *c2)
{
    long a = 0;
    *j2 = -1;
    *c2 = 0;
    if (kind == 1 || kind == 2) {
        while (a < n && d >= n - a)
            d -= n - a++;
        if (a >= n)
            return 0;
        *j1 = a * n + a + d;
        if (d > 0) {
            *j2 = (a + d) * n + a;
            *c2 = 1;
        }
        return 1;
    }
    if (kind == 3) {
        long cols = n > 0 ? q / n : 1;
        if (d >= q - cols)
            return 0;
        *j1 = d; /* the first n − 1 rows, row-major */
        *j2 = (n - 1) * cols + d % cols;
        *c2 = -1;
        return 1;
    }
    if (d >= q)
        return 0;
    *j1 = d;
    return 1;
}

/* moves entry j1 of v by h and entry j2 (if any) by c2·h, keeping their values in old */
static void sg_check_move(@real@ *v, long j1, long j2, int c2, double h, @real@ *old)
{
    old[0] = v[j1];
    v[j1] = (@real@)((double)v[j1] + h);
    if (j2 >= 0) {
        old[1] = v[j2];
        v[j2] = (@real@)((double)v[j2] + c2 * h);
    }
}

/* undoes sg_check_move */
static void sg_check_back(@real@ *v, long j1, long j2, const @real@ *old)
{
    if (j2 >= 0)
        v[j2] = old[1];
    v[j1] = old[0];
}

/* the derivative along a direction from a p×q matrix J: Σ of J's columns */
static double sg_check_along(const @real@ *J, long q, long i, long j1, long j2, int c2)
{
    return (double)J[i * q + j1] + (j2 >= 0 ? c2 * (double)J[i * q + j2] : 0);
}

/* keeps the largest |want| and |got| (the scale) and |want − got| (the error) */
static void sg_check_note(double want, double got, double *scale, double *err)
{
    if (fabs(want) > *scale)
        *scale = fabs(want);
    if (fabs(got) > *scale)
        *scale = fabs(got);
    if (!(fabs(want - got) <= *err)) /* a NaN is the worst */
        *err = isnan(want - got) ? HUGE_VAL : fabs(want - got);
}

/* prints a result's worst error; 1 when it is too large or eval failed */
static int sg_check_report(const char *name, double err, double tol)
{
    if (err < 0) {
        printf("%s: the evaluation failed at a moved input\n", name);
        return 1;
    }
    printf("%s: worst relative error %.2g%s\n", name, err, err <= tol ? "" : " (too large)");
    return !(err <= tol);
}
