/*
 * Y = softmax of each column of the p×N matrix X, whose entry (i, j) is
 * X[i*rs + j*cs] (a transposed X is read through its strides); Y is p×N
 * row-major. The column's maximum is subtracted before exp, so that no
 * exponential overflows and the largest is exactly 1.
 */
static void sg_softmax(long p, long N, const @real@ *@restrict@ X, long rs, long cs,
                       @real@ *@restrict@ Y)
{
    long i, j;
    for (j = 0; j < N; j++) {
        @real@ mx = p > 0 ? X[j * cs] : 0, s = 0;
        for (i = 1; i < p; i++)
            if (X[i * rs + j * cs] > mx)
                mx = X[i * rs + j * cs];
        for (i = 0; i < p; i++) {
            Y[i * N + j] = @exp@(X[i * rs + j * cs] - mx);
            s += Y[i * N + j];
        }
        for (i = 0; i < p; i++)
            Y[i * N + j] /= s;
    }
}
