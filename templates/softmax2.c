/*
 * S = softmax and Ls = log softmax of each column of the p×N matrix X
 * (strided as in sg_softmax) at once, from one exponential per entry: S is
 * e/Σe and Ls is x − (max + log Σe), as sg_softmax and sg_logsoftmax have them.
 */
static void sg_softmax2(long p, long N, const @real@ *@restrict@ X, long rs, long cs,
                        @real@ *@restrict@ S, @real@ *@restrict@ Ls)
{
    long i, j;
    for (j = 0; j < N; j++) {
        @real@ mx = p > 0 ? X[j * cs] : 0, s = 0, lse;
        for (i = 1; i < p; i++)
            if (X[i * rs + j * cs] > mx)
                mx = X[i * rs + j * cs];
        for (i = 0; i < p; i++) {
            S[i * N + j] = @exp@(X[i * rs + j * cs] - mx);
            s += S[i * N + j];
        }
        lse = mx + @log@(s);
        for (i = 0; i < p; i++) {
            S[i * N + j] /= s;
            Ls[i * N + j] = X[i * rs + j * cs] - lse;
        }
    }
}
