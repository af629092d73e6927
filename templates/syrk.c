/*
 * The symmetric product C = op(A) diag(s) op(A)ᵀ (s NULL: op(A) op(A)ᵀ),
 * op(A) n×k, C n×n row-major: Aᵀdiag(d)A, AᵀA and AAᵀ, as in BLAS's dsyrk
 * but with the diagonal in the middle. Only the tiles holding the lower
 * triangle are computed, by gemm.c's packed kernel, with s applied while
 * op(A)ᵀ is packed (no scaled copy of A is made); the upper triangle is then
 * the lower one mirrored (mirror.c), so C is exactly symmetric. Small ones are plain
 * loops over the lower triangle. pack holds sg_syrk_pack(n, k) reals.
 */
static long sg_syrk_pack(long n, long k)
{
    return sg_gemm_pack(n, n, k);
}

static void sg_syrk(long n, long k, int ta, const @real@ *@restrict@ A, const @real@ *@restrict@ s,
                    @real@ *@restrict@ C, @real@ *@restrict@ pack)
{
    const long lda = ta ? n : k; /* A as stored: k×n when ta, else n×k */
    long i, j, p;
    if (!sg_gemm_small(n, n, k)) {
        sg_gemm_blocked(n, n, k, 1, ta, A, lda, !ta, A, lda, s, 0, C, n, pack, 1);
    } else if (ta) { /* row i of C += (s[p] A[p][i]) A[p][0..i] */
        for (i = 0; i < n; i++) {
            @real@ *@restrict@ c = C + i * n;
            for (j = 0; j <= i; j++)
                c[j] = 0;
            for (p = 0; p < k; p++) {
                const @real@ a = s ? s[p] * A[p * lda + i] : A[p * lda + i];
                const @real@ *@restrict@ b = A + p * lda;
                for (j = 0; j <= i; j++)
                    c[j] += a * b[j];
            }
        }
    } else { /* C[i][j] = Σₚ A[i][p] s[p] A[j][p]: rows against rows */
        if (!s) {
            sg_gemm_loops(n, n, k, 1, 0, A, lda, 1, A, lda, 0, C, n);
            return; /* each entry a dot product, the same both ways */
        }
        for (i = 0; i < n; i++)
            for (j = 0; j <= i; j++) {
                const @real@ *@restrict@ a = A + i * lda, *@restrict@ b = A + j * lda;
                @real@ t = 0;
                for (p = 0; p < k; p++)
                    t += a[p] * s[p] * b[p];
                C[i * n + j] = t;
            }
    }
    sg_mirror(n, C);
}
