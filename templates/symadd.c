/*
 * C = s(X + Xᵀ) for an n×n X stored (the Hessian of xᵀAx is A + Aᵀ, s = 1):
 * the lower triangle, each entry stored at (i, j) and at (j, i), so half the
 * sums are done and C is exactly symmetric. A plain loop over the triangle
 * reads Xᵀ and writes the mirror one entry per row, down a column, and its
 * stores alone take longer than a copy of X. Here, on x86 with SSE2, a
 * w×w block (w = 2 doubles or 4 floats: one 16-byte vector) reads w rows of
 * X and w rows of Xᵀ's place, transposes the latter in registers, and
 * writes w rows of C and, transposed back, w rows of the mirror: whole
 * vectors along rows only. Blocks go 32×32 entries at a time, which keeps
 * the rows of the four tiles in L1. The rows and columns past the last
 * whole block, and every entry without SSE2, are the plain loop's. The sums
 * are the same operations in either case, so the bits are too. sg_symadd
 * stays a call of its own: gcc 12, inlining it into the evaluation, spilled
 * the loop's pointers to the stack at every block (1.5× its time).
 */
#ifndef SG_NOINLINE
#if defined(__GNUC__)
#define SG_NOINLINE __attribute__((noinline))
#else
#define SG_NOINLINE
#endif
#endif
@double@
#if SG_HAVE_SSE2
/* the 2×2 block at (i, j) of C from X's at (i, j) and (j, i), rows n apart, and its
   mirror at (j, i): x and c point at the blocks (i, j), xt and ct at (j, i) */
static void sg_symadd_block(long n, double s, const double *SG_RESTRICT x,
                            const double *SG_RESTRICT xt, double *SG_RESTRICT c,
                            double *SG_RESTRICT ct)
{
    const __m128d sv = _mm_set1_pd(s), t0 = _mm_loadu_pd(xt), t1 = _mm_loadu_pd(xt + n);
    /* row r of the block: X[i+r][j], X[i+r][j+1] plus X[j][i+r], X[j+1][i+r] */
    const __m128d c0 = _mm_mul_pd(sv, _mm_add_pd(_mm_loadu_pd(x), _mm_unpacklo_pd(t0, t1)));
    const __m128d c1 = _mm_mul_pd(sv, _mm_add_pd(_mm_loadu_pd(x + n), _mm_unpackhi_pd(t0, t1)));
    _mm_storeu_pd(c, c0);
    _mm_storeu_pd(c + n, c1);
    _mm_storeu_pd(ct, _mm_unpacklo_pd(c0, c1));
    _mm_storeu_pd(ct + n, _mm_unpackhi_pd(c0, c1));
}
#endif
@end@
@float@
#if SG_HAVE_SSE2
/* the 4×4 block at (i, j) of C and its mirror, as the 2×2 one of double */
static void sg_symadd_block(long n, float s, const float *SG_RESTRICT x,
                            const float *SG_RESTRICT xt, float *SG_RESTRICT c,
                            float *SG_RESTRICT ct)
{
    const __m128 sv = _mm_set1_ps(s);
    __m128 t0 = _mm_loadu_ps(xt), t1 = _mm_loadu_ps(xt + n), t2 = _mm_loadu_ps(xt + 2 * n),
           t3 = _mm_loadu_ps(xt + 3 * n);
    _MM_TRANSPOSE4_PS(t0, t1, t2, t3);
    t0 = _mm_mul_ps(sv, _mm_add_ps(_mm_loadu_ps(x), t0));
    t1 = _mm_mul_ps(sv, _mm_add_ps(_mm_loadu_ps(x + n), t1));
    t2 = _mm_mul_ps(sv, _mm_add_ps(_mm_loadu_ps(x + 2 * n), t2));
    t3 = _mm_mul_ps(sv, _mm_add_ps(_mm_loadu_ps(x + 3 * n), t3));
    _mm_storeu_ps(c, t0);
    _mm_storeu_ps(c + n, t1);
    _mm_storeu_ps(c + 2 * n, t2);
    _mm_storeu_ps(c + 3 * n, t3);
    _MM_TRANSPOSE4_PS(t0, t1, t2, t3);
    _mm_storeu_ps(ct, t0);
    _mm_storeu_ps(ct + n, t1);
    _mm_storeu_ps(ct + 2 * n, t2);
    _mm_storeu_ps(ct + 3 * n, t3);
}
#endif
@end@

SG_NOINLINE static void sg_symadd(long n, @real@ s, const @real@ *@restrict@ X,
                                   @real@ *@restrict@ C)
{
    long ib, jb, i, j, m = 0; /* the blocks cover rows and columns < m */
#if SG_HAVE_SSE2
    const long w = 16 / (long)sizeof(@real@);
    m = n - n % w;
    for (ib = 0; ib < m; ib += 32)
        for (jb = 0; jb <= ib; jb += 32)
            for (i = ib; i < m && i < ib + 32; i += w) {
                const @real@ *x = X + i * n, *xt = X + i; /* row i, column i */
                @real@ *c = C + i * n, *ct = C + i;
                for (j = jb; j <= i && j < jb + 32; j += w)
                    sg_symadd_block(n, s, x + j, xt + j * n, c + j, ct + j * n);
            }
#endif
    for (ib = m - m % 32; ib < n; ib += 32) /* the tiles holding a row ≥ m */
        for (jb = 0; jb <= ib; jb += 32)
            for (i = ib > m ? ib : m; i < n && i < ib + 32; i++)
                for (j = jb; j <= i && j < jb + 32; j++)
                    C[j * n + i] = C[i * n + j] = s * (X[j * n + i] + X[i * n + j]);
}
