/* y += a[0] A[0,:] + a[1] A[1,:] + a[2] A[2,:] + a[3] A[3,:], rows lda apart: four
   rows of a sweep added in one pass over y, which is read and written once for them */
static void sg_axpy4(long n, const @real@ *@restrict@ a, const @real@ *@restrict@ A, long lda,
                     @real@ *@restrict@ y)
{
    const @real@ a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    const @real@ *@restrict@ r0 = A, *@restrict@ r1 = A + lda, *@restrict@ r2 = A + 2 * lda,
                 *@restrict@ r3 = A + 3 * lda;
    long i;
    for (i = 0; i < n; i++)
        y[i] += ((a0 * r0[i] + a1 * r1[i]) + a2 * r2[i]) + a3 * r3[i];
}
