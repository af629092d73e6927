/*
 * The packed product under the product kernels (gemm_ex.c, syrk.c):
 * C = α op(A) op(B) + β C with β 0 or 1 (β = 0 never
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
#define SG_MC 96  /* rows of op(A) per packed block (at most): it stays in L2 */
#define SG_KC 256 /* the depth of a panel (at most): an op(B) sliver stays in L1 */
#define SG_NC 4096 /* columns of op(B) per packed panel */
/* depths a packer takes at once where it reads rows along p and writes
   slivers across them (op(A) = A, op(B) = Bᵀ): its SG_PB·SG_MR (SG_PB·SG_NR)
   stores are adjacent. Taken one row of the sliver at a time, the stores went
   a sliver row apart and each line of the sliver was written SG_MR (SG_NR)
   times over: packing Xᵀ alone (X 784×256, 8 rows 2 KiB apart) took up to
   2.4 ms, this way 0.07 ms (in the batched MLP, whose X comes from L3, the
   two are within its noise); with p outer and the rows inner, gcc gathers
   pairs. */
#define SG_PB 4
/* a·b + c in one rounding where the machine has the instruction (C99's
   FP_FAST_FMA and FP_FAST_FMAF: <math.h> defines them when gcc or clang
   compile for such a machine, as with -march=native), else a·b + c: the
   micro-kernel's only arithmetic. In ISO C mode (-std=c99) gcc never fuses
   a·b + c by itself; on a machine with separate multiply and add units that
   costs little, on others half the peak. */
#if defined(FP_FAST_FMA) && defined(FP_FAST_FMAF)
#define SG_FMA(a, b, c) @fma@(a, b, c)
#else
#define SG_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* asks the caches for the line holding *p, which will be written (gcc and
   clang; elsewhere nothing): the tile prefetches its rows of C before its
   loop, whose kc steps hide the wait, instead of stalling on them after it.
   C is too large for L2 in a big product and each panel of depth revisits it,
   so without this every tile waits on six lines from L3 or memory: the
   difference between 80% and 95% of OpenBLAS at 512×784×256. */
#if defined(__GNUC__) || defined(__clang__)
#define SG_PREFETCH_W(p) __builtin_prefetch((p), 1)
#else
#define SG_PREFETCH_W(p) ((void)0)
#endif

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
    for (r = 0; r < mr; r++) { /* the row's first and last entry: one or two lines */
        SG_PREFETCH_W(c + r * ldc);
        SG_PREFETCH_W(c + r * ldc + nr - 1);
    }
    for (r = 0; r < SG_MR; r++)
        for (q = 0; q < SG_NR; q++)
            t[r][q] = 0;
    for (p = 0; p < kc; p++, a += SG_MR, b += SG_NR) {
        SG_UNROLL
        for (r = 0; r < SG_MR; r++)
            for (q = 0; q < SG_NR; q++)
                t[r][q] = SG_FMA(a[r], b[q], t[r][q]);
    }
    for (r = 0; r < mr; r++)
        for (q = 0; q < nr; q++)
            c[r * ldc + q] = beta ? c[r * ldc + q] + alpha * t[r][q] : alpha * t[r][q];
}

/* entries [i0, i0 + mc) × [p0, p0 + kc) of op(A) as slivers of SG_MR rows
   (zero-padded); a full sliver's loops have constant bounds, which gcc and
   clang unroll and vectorize */
static void sg_gemm_pack_a(long mc, long kc, int ta, const @real@ *@restrict@ A, long lda,
                           long i0, long p0, @real@ *@restrict@ d)
{
    long i, p, r, u;
    for (i = 0; i < mc; i += SG_MR, d += SG_MR * kc) {
        const long mr = mc - i < SG_MR ? mc - i : SG_MR;
        const @real@ *@restrict@ a = ta ? A + p0 * lda + i0 + i : A + (i0 + i) * lda + p0;
        if (mr == SG_MR && ta) /* op(A) = Aᵀ: each p is SG_MR adjacent entries of a row */
            for (p = 0; p < kc; p++)
                SG_UNROLL /* gcc makes a loop that copies a call to memmove, a call
                             per 48 bytes: Xᵀdiag(d)X at 100 × 2000 ran at 77% of
                             OpenBLAS, 96% unrolled */
                for (r = 0; r < SG_MR; r++)
                    d[p * SG_MR + r] = a[p * lda + r];
        else if (mr == SG_MR) { /* SG_MR rows, each read along */
            for (p = 0; p + SG_PB <= kc; p += SG_PB)
                SG_UNROLL
                for (u = 0; u < SG_PB; u++)
                    SG_UNROLL
                    for (r = 0; r < SG_MR; r++)
                        d[(p + u) * SG_MR + r] = a[r * lda + p + u];
            for (; p < kc; p++)
                for (r = 0; r < SG_MR; r++)
                    d[p * SG_MR + r] = a[r * lda + p];
        } else
            for (p = 0; p < kc; p++)
                for (r = 0; r < SG_MR; r++)
                    d[p * SG_MR + r] = r >= mr ? 0 : ta ? a[p * lda + r] : a[r * lda + p];
    }
}

/* entries [p0, p0 + kc) × [j0, j0 + nc) of op(B) as slivers of SG_NR columns
   (zero-padded), row p scaled by s[p] when s is not NULL: diag(s) op(B)
   costs nothing more than op(B) */
static void sg_gemm_pack_b(long kc, long nc, int tb, const @real@ *@restrict@ B, long ldb,
                           const @real@ *@restrict@ s, long p0, long j0, @real@ *@restrict@ d)
{
    long j, p, q, u;
    for (j = 0; j < nc; j += SG_NR, d += SG_NR * kc) {
        const long nr = nc - j < SG_NR ? nc - j : SG_NR;
        const @real@ *@restrict@ b = tb ? B + (j0 + j) * ldb + p0 : B + p0 * ldb + j0 + j;
        if (nr == SG_NR && tb) { /* op(B) = Bᵀ: SG_NR rows of B, each read along */
            for (p = 0; p + SG_PB <= kc; p += SG_PB)
                SG_UNROLL
                for (u = 0; u < SG_PB; u++) {
                    const @real@ f = s ? s[p0 + p + u] : 1;
                    SG_UNROLL
                    for (q = 0; q < SG_NR; q++)
                        d[(p + u) * SG_NR + q] = f * b[q * ldb + p + u];
                }
            for (; p < kc; p++)
                for (q = 0; q < SG_NR; q++)
                    d[p * SG_NR + q] = (s ? s[p0 + p] : 1) * b[q * ldb + p];
            continue;
        }
        for (p = 0; p < kc; p++) {
            const @real@ f = s ? s[p0 + p] : 1;
            if (nr == SG_NR) /* a row's SG_NR adjacent entries (unrolled: */
                SG_UNROLL        /* not a call to memmove, see pack_a) */
                for (q = 0; q < SG_NR; q++)
                    d[p * SG_NR + q] = f * b[p * ldb + q];
            else
                for (q = 0; q < SG_NR; q++)
                    d[p * SG_NR + q] = q >= nr ? 0 : f * (tb ? b[q * ldb + p] : b[p * ldb + q]);
        }
    }
}

/* n in pieces of equal size ≤ most, rounded up to a multiple of unit: the
   depth 784 is 4 panels of 196, not 3 of 256 and one of 16 (a shallow last
   panel costs a pass over C for little work) */
static long sg_gemm_step(long n, long most, long unit)
{
    const long pieces = (n + most - 1) / most, step = (n + pieces - 1) / pieces;
    return (step + unit - 1) / unit * unit;
}

/*
 * The blocked product: C = α op(A) diag(s) op(B) + β C (s NULL: no
 * diag(s)), with lower set only the tiles of C that hold an entry on or below
 * its diagonal (the others are left as they are: see syrk.c).
 */
static void sg_gemm_blocked(long m, long n, long k, @real@ alpha, int ta, const @real@ *@restrict@ A,
                            long lda, int tb, const @real@ *@restrict@ B, long ldb,
                            const @real@ *@restrict@ s, int beta, @real@ *@restrict@ C, long ldc,
                            @real@ *@restrict@ pack, int lower)
{
    const long kstep = sg_gemm_step(k, SG_KC, 1), mstep = sg_gemm_step(m, SG_MC, SG_MR);
    long i, j, jc, pc, ic;
    for (jc = 0; jc < n; jc += SG_NC) {
        const long nc = n - jc < SG_NC ? n - jc : SG_NC;
        for (pc = 0; pc < k; pc += kstep) {
            const long kc = k - pc < kstep ? k - pc : kstep;
            @real@ *bp = pack + (m < SG_MC ? (m + SG_MR - 1) / SG_MR * SG_MR : SG_MC) * kc;
            sg_gemm_pack_b(kc, nc, tb, B, ldb, s, pc, jc, bp);
            for (ic = lower ? jc / mstep * mstep : 0; ic < m; ic += mstep) {
                const long mc = m - ic < mstep ? m - ic : mstep;
                sg_gemm_pack_a(mc, kc, ta, A, lda, ic, pc, pack);
                for (j = 0; j < nc; j += SG_NR)
                    for (i = 0; i < mc; i += SG_MR) {
                        if (lower && ic + i + SG_MR - 1 < jc + j)
                            continue; /* strictly above the diagonal */
                        sg_gemm_tile(kc, pack + i * kc, bp + j * kc, alpha, beta || pc > 0,
                                     C + (ic + i) * ldc + jc + j, ldc,
                                     mc - i < SG_MR ? mc - i : SG_MR,
                                     nc - j < SG_NR ? nc - j : SG_NR);
                    }
            }
        }
    }
}
