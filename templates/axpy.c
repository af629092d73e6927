/* y += a x: a row of a sweep added into a sum of rows */
static void sg_axpy(long n, @real@ a, const @real@ *@restrict@ x, @real@ *@restrict@ y)
{
    long i;
    for (i = 0; i < n; i++)
        y[i] += a * x[i];
}
