/*
 * y[r] = A[r,:]·x for the four rows r = 0…3 of A (lda apart), each exactly as
 * sg_dot sums it (see dot.c), in one loop: x is read once for the four, and
 * the four rows are read side by side, which keeps more reads in flight when
 * A comes from memory. Eight arrays one vector wide: eight registers.
 */
static void sg_dot4(long n, const @real@ *@restrict@ A, long lda, const @real@ *@restrict@ x,
                    @real@ *@restrict@ y)
{
    const @real@ *@restrict@ a0 = A, *@restrict@ a1 = A + lda, *@restrict@ a2 = A + 2 * lda,
                 *@restrict@ a3 = A + 3 * lda;
    @real@ t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    long i = 0, k;
    if (n >= 2 * @lanes@) {
        @real@ p0[@lanes@] = {0}, p1[@lanes@] = {0}, p2[@lanes@] = {0}, p3[@lanes@] = {0};
        @real@ q0[@lanes@] = {0}, q1[@lanes@] = {0}, q2[@lanes@] = {0}, q3[@lanes@] = {0};
        for (; i + 2 * @lanes@ <= n; i += 2 * @lanes@) {
            for (k = 0; k < @lanes@; k++) {
                p0[k] += a0[i + k] * x[i + k];
                p1[k] += a1[i + k] * x[i + k];
                p2[k] += a2[i + k] * x[i + k];
                p3[k] += a3[i + k] * x[i + k];
            }
            for (k = 0; k < @lanes@; k++) {
                q0[k] += a0[i + @lanes@ + k] * x[i + @lanes@ + k];
                q1[k] += a1[i + @lanes@ + k] * x[i + @lanes@ + k];
                q2[k] += a2[i + @lanes@ + k] * x[i + @lanes@ + k];
                q3[k] += a3[i + @lanes@ + k] * x[i + @lanes@ + k];
            }
        }
        t0 = sg_pairwise(p0, q0);
        t1 = sg_pairwise(p1, q1);
        t2 = sg_pairwise(p2, q2);
        t3 = sg_pairwise(p3, q3);
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
