/*
 * The product kernel: C = α op(A) op(B) + β C with β 0 or 1 (β = 0 never
 * reads C), op(A) m×k, op(B) k×n; every matrix row-major with its own
 * leading dimension (the distance between two rows as stored), op(X) is X or,
 * when its flag is set, Xᵀ. Small products are plain loops. Large ones are
 * blocked as in GotoBLAS and BLIS: a kc×nc panel of op(B) is copied ("packed")
 * into slivers SG_NR columns wide, an mc×kc block of op(A) into slivers SG_MR
 * rows tall, so that both are read with unit stride from the caches; the
 * micro-kernel multiplies a pair of slivers into an SG_MR×SG_NR tile of C
 * held in registers, which is what makes it run near the machine's peak.
 * Packing also absorbs the transposes. pack holds sg_gemm_pack(m, n, k)
 * reals (none for a small product). The tile is SG_MR×SG_NR, from gemm_small.c.
 */
#define SG_MC 96  /* rows of op(A) per packed block: it stays in L2 */
#define SG_KC 256 /* the depth of a panel: an op(B) sliver stays in L1 */
#define SG_NC 4096 /* columns of op(B) per packed panel */

/* the reals of pack that sg_gemm needs for these sizes */
static long sg_gemm_pack(long m, long n, long k)
{
    long mc = m < SG_MC ? (m + SG_MR - 1) / SG_MR * SG_MR : SG_MC;
    long nc = n < SG_NC ? (n + SG_NR - 1) / SG_NR * SG_NR : SG_NC;
    long kc = k < SG_KC ? k : SG_KC;
    return sg_gemm_small(m, n, k) ? 0 : (mc + nc) * kc;
}

/* the tile: C[0..mr)[0..nr) = α (a sliver × b sliver) + β C */
static void sg_gemm_tile(long kc, const @real@ *@restrict@ a, const @real@ *@restrict@ b,
                         @real@ alpha, int beta, @real@ *@restrict@ c, long ldc, long mr,
                         long nr)
{
    @real@ t[SG_MR][SG_NR];
    long p, r, q;
    for (r = 0; r < SG_MR; r++)
        for (q = 0; q < SG_NR; q++)
            t[r][q] = 0;
    for (p = 0; p < kc; p++, a += SG_MR, b += SG_NR) {
        SG_UNROLL
        for (r = 0; r < SG_MR; r++)
            for (q = 0; q < SG_NR; q++)
                t[r][q] += a[r] * b[q];
    }
    for (r = 0; r < mr; r++)
        for (q = 0; q < nr; q++)
            c[r * ldc + q] = beta ? c[r * ldc + q] + alpha * t[r][q] : alpha * t[r][q];
}

/* entries [i0, i0 + mc) × [p0, p0 + kc) of op(A) as slivers of SG_MR rows (zero-padded) */
static void sg_gemm_pack_a(long mc, long kc, int ta, const @real@ *@restrict@ A, long lda,
                           long i0, long p0, @real@ *@restrict@ d)
{
    long i, p, r;
    for (i = 0; i < mc; i += SG_MR, d += SG_MR * kc) {
        const long mr = mc - i < SG_MR ? mc - i : SG_MR;
        for (p = 0; p < kc; p++) {
            for (r = 0; r < mr; r++)
                d[p * SG_MR + r] = ta ? A[(p0 + p) * lda + i0 + i + r] : A[(i0 + i + r) * lda + p0 + p];
            for (; r < SG_MR; r++)
                d[p * SG_MR + r] = 0;
        }
    }
}

/* entries [p0, p0 + kc) × [j0, j0 + nc) of op(B) as slivers of SG_NR columns (zero-padded) */
static void sg_gemm_pack_b(long kc, long nc, int tb, const @real@ *@restrict@ B, long ldb,
                           long p0, long j0, @real@ *@restrict@ d)
{
    long j, p, q;
    for (j = 0; j < nc; j += SG_NR, d += SG_NR * kc) {
        const long nr = nc - j < SG_NR ? nc - j : SG_NR;
        for (p = 0; p < kc; p++) {
            if (tb)
                for (q = 0; q < nr; q++)
                    d[p * SG_NR + q] = B[(j0 + j + q) * ldb + p0 + p];
            else
                for (q = 0; q < nr; q++)
                    d[p * SG_NR + q] = B[(p0 + p) * ldb + j0 + j + q];
            for (; q < SG_NR; q++)
                d[p * SG_NR + q] = 0;
        }
    }
}

static void sg_gemm_ex(long m, long n, long k, @real@ alpha, int ta, const @real@ *@restrict@ A,
                       long lda, int tb, const @real@ *@restrict@ B, long ldb, int beta,
                       @real@ *@restrict@ C, long ldc, @real@ *@restrict@ pack)
{
    long i, j, jc, pc, ic;
    if (sg_gemm_small(m, n, k)) {
        sg_gemm_loops(m, n, k, alpha, ta, A, lda, tb, B, ldb, beta, C, ldc);
        return;
    }
    for (jc = 0; jc < n; jc += SG_NC) {
        const long nc = n - jc < SG_NC ? n - jc : SG_NC;
        for (pc = 0; pc < k; pc += SG_KC) {
            const long kc = k - pc < SG_KC ? k - pc : SG_KC;
            @real@ *bp = pack + (m < SG_MC ? (m + SG_MR - 1) / SG_MR * SG_MR : SG_MC) * kc;
            sg_gemm_pack_b(kc, nc, tb, B, ldb, pc, jc, bp);
            for (ic = 0; ic < m; ic += SG_MC) {
                const long mc = m - ic < SG_MC ? m - ic : SG_MC;
                sg_gemm_pack_a(mc, kc, ta, A, lda, ic, pc, pack);
                for (j = 0; j < nc; j += SG_NR)
                    for (i = 0; i < mc; i += SG_MR)
                        sg_gemm_tile(kc, pack + i * kc, bp + j * kc, alpha, beta || pc > 0,
                                     C + (ic + i) * ldc + jc + j, ldc,
                                     mc - i < SG_MR ? mc - i : SG_MR,
                                     nc - j < SG_NR ? nc - j : SG_NR);
            }
        }
    }
}
