/*
 * Products too small to pack (see gemm.c): C = α op(A) op(B) + β C (β 0 or
 * 1, leading dimensions as stored) as plain loops. Each row of C is built
 * from rows of op(B) scaled by op(A)'s entries (the i-p-j order, which
 * streams through B and C), except when only B is transposed: then each
 * entry is a dot product of two contiguous rows.
 */
#define SG_MR 6 /* gemm.c's tile: SG_MR rows of 2 vectors, 12 accumulators */
#if defined(__AVX512F__)
#define SG_VECBYTES 64
#elif defined(__AVX__)
#define SG_VECBYTES 32
#else
#define SG_VECBYTES 16
#endif
#define SG_NR (2 * SG_VECBYTES / (int)sizeof(@real@))

/* a product this small runs as plain loops, without packing */
static int sg_gemm_small(long m, long n, long k)
{
    return m < SG_MR || n < SG_NR / 2 || k < 8 || m * n * k < 32768;
}

static void sg_gemm_loops(long m, long n, long k, @real@ alpha, int ta, const @real@ *@restrict@ A,
                          long lda, int tb, const @real@ *@restrict@ B, long ldb, int beta,
                          @real@ *@restrict@ C, long ldc)
{
    long i, j, p;
    for (i = 0; i < m; i++) {
        @real@ *@restrict@ c = C + i * ldc;
        if (tb && !ta) { /* each entry a dot product of two rows */
            for (j = 0; j < n; j++) {
                @real@ s = sg_dot(k, A + i * lda, B + j * ldb);
                c[j] = beta ? c[j] + alpha * s : alpha * s;
            }
            continue;
        }
        if (!beta)
            for (j = 0; j < n; j++)
                c[j] = 0;
        for (p = 0; p < k; p++) { /* c += α op(A)[i][p] op(B)[p][·] */
            const @real@ a = alpha * (ta ? A[p * lda + i] : A[i * lda + p]);
            if (tb)
                for (j = 0; j < n; j++)
                    c[j] += a * B[j * ldb + p];
            else
                for (j = 0; j < n; j++)
                    c[j] += a * B[p * ldb + j];
        }
    }
}
