/*
 * C = op(A) op(B), C m×n, op(A) m×k, op(B) k×n, all row-major; op(X) is X,
 * or Xᵀ when its flag is set (then X is stored k×m or n×k). Each row of C is
 * built from rows of op(B) scaled by op(A)'s entries (the i-p-j order, which
 * streams through B and C), except when B is transposed: then each entry is
 * a dot product of two contiguous rows.
 */
static void sg_gemm(long m, long n, long k, int ta, const @real@ *@restrict@ A, int tb,
                    const @real@ *@restrict@ B, @real@ *@restrict@ C)
{
    long i, j, p;
    for (i = 0; i < m; i++) {
        @real@ *@restrict@ c = C + i * n;
        if (tb && !ta) {
            for (j = 0; j < n; j++)
                c[j] = sg_dot(k, A + i * k, B + j * k);
            continue;
        }
        for (j = 0; j < n; j++)
            c[j] = 0;
        for (p = 0; p < k; p++) {
            const @real@ a = ta ? A[p * m + i] : A[i * k + p];
            if (tb)
                for (j = 0; j < n; j++)
                    c[j] += a * B[j * k + p];
            else {
                const @real@ *@restrict@ b = B + p * n;
                for (j = 0; j < n; j++)
                    c[j] += a * b[j];
            }
        }
    }
}
