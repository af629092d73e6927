/*
 * y[r] = A[r,:]·x for the four rows r = 0…3 of A (lda apart), each exactly as
 * sg_dot sums it (sixteen accumulators, pairwise, then the rest in order), in
 * one loop: x is read once for the four, and the four rows are read side by
 * side, which keeps more reads in flight when A comes from memory.
 */
static void sg_dot4(long n, const @real@ *@restrict@ A, long lda, const @real@ *@restrict@ x,
                    @real@ *@restrict@ y)
{
    const @real@ *@restrict@ a0 = A, *@restrict@ a1 = A + lda, *@restrict@ a2 = A + 2 * lda,
                 *@restrict@ a3 = A + 3 * lda;
    @real@ t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    long i = 0, j, k;
    if (n >= 16) {
        @real@ s0[16] = {0}, s1[16] = {0}, s2[16] = {0}, s3[16] = {0};
        for (; i + 16 <= n; i += 16) {
            for (k = 0; k < 16; k++)
                s0[k] += a0[i + k] * x[i + k];
            for (k = 0; k < 16; k++)
                s1[k] += a1[i + k] * x[i + k];
            for (k = 0; k < 16; k++)
                s2[k] += a2[i + k] * x[i + k];
            for (k = 0; k < 16; k++)
                s3[k] += a3[i + k] * x[i + k];
        }
        for (k = 8; k > 0; k /= 2) /* pairwise */
            for (j = 0; j < k; j++) {
                s0[j] += s0[j + k];
                s1[j] += s1[j + k];
                s2[j] += s2[j + k];
                s3[j] += s3[j + k];
            }
        t0 = s0[0];
        t1 = s1[0];
        t2 = s2[0];
        t3 = s3[0];
    }
    for (; i < n; i++) {
        t0 += a0[i] * x[i];
        t1 += a1[i] * x[i];
        t2 += a2[i] * x[i];
        t3 += a3[i] * x[i];
    }
    y[0] = t0;
    y[1] = t1;
    y[2] = t2;
    y[3] = t3;
}
