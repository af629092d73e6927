/*
 * Y = log softmax of each column of the p×N matrix X (strided as in
 * sg_softmax): Y = x − max − log Σ exp(x − max), never log of an underflowed 0.
 */
static void sg_logsoftmax(long p, long N, const @real@ *@restrict@ X, long rs, long cs,
                          @real@ *@restrict@ Y)
{
    long i, j;
    for (j = 0; j < N; j++) {
        @real@ mx = p > 0 ? X[j * cs] : 0, s = 0, lse;
        for (i = 1; i < p; i++)
            if (X[i * rs + j * cs] > mx)
                mx = X[i * rs + j * cs];
        for (i = 0; i < p; i++)
            s += @exp@(X[i * rs + j * cs] - mx);
        lse = mx + @log@(s);
        for (i = 0; i < p; i++)
            Y[i * N + j] = X[i * rs + j * cs] - lse;
    }
}
