/*
 * y[j] = log Σᵢ exp X(i, j) for each column of the p×N matrix X (strided as
 * in sg_softmax), computed as max + log Σ exp(x − max).
 */
static void sg_logsumexp(long p, long N, const @real@ *@restrict@ X, long rs, long cs,
                         @real@ *@restrict@ y)
{
    long i, j;
    for (j = 0; j < N; j++) {
        @real@ mx = p > 0 ? X[j * cs] : 0, s = 0;
        for (i = 1; i < p; i++)
            if (X[i * rs + j * cs] > mx)
                mx = X[i * rs + j * cs];
        for (i = 0; i < p; i++)
            s += @exp@(X[i * rs + j * cs] - mx);
        y[j] = mx + @log@(s);
    }
}
