/*
 * Solves op(A) X = B in place, from the factors F of sg_lu (P A = L U): Z
 * holds B on entry and X on return. X is n×k with entry (i, c) at
 * Z[i*rs + c*cs]: a row-major n×k X has rs = k, cs = 1, and rs = 1, cs = n
 * reads the transpose of a row-major k×n matrix, which turns a product
 * B op(A)⁻¹ = (op(A)⁻ᵀ Bᵀ)ᵀ into a solve. op(A) is A, or Aᵀ when trans is
 * set: Aᵀ = Uᵀ Lᵀ P. F must not be singular.
 */
static void sg_lu_solve(long n, const @real@ *@restrict@ F, int trans, long k,
                        @real@ *@restrict@ Z, long rs, long cs)
{
    const @real@ *piv = F + n * n;
    long i, j, c;
    if (!trans) { /* Z ← P Z, then L Y = Z, then U X = Y */
        for (i = 0; i < n; i++) {
            const long p = (long)piv[i];
            if (p != i)
                for (c = 0; c < k; c++) {
                    const @real@ t = Z[i * rs + c * cs];
                    Z[i * rs + c * cs] = Z[p * rs + c * cs];
                    Z[p * rs + c * cs] = t;
                }
        }
        for (i = 1; i < n; i++)
            for (j = 0; j < i; j++) {
                const @real@ l = F[i * n + j];
                if (l != 0)
                    for (c = 0; c < k; c++)
                        Z[i * rs + c * cs] -= l * Z[j * rs + c * cs];
            }
        for (i = n - 1; i >= 0; i--) {
            for (j = i + 1; j < n; j++) {
                const @real@ u = F[i * n + j];
                if (u != 0)
                    for (c = 0; c < k; c++)
                        Z[i * rs + c * cs] -= u * Z[j * rs + c * cs];
            }
            for (c = 0; c < k; c++)
                Z[i * rs + c * cs] /= F[i * n + i];
        }
        return;
    }
    /* Uᵀ Y = Z, then Lᵀ W = Y, then X = Pᵀ W (the swaps undone in reverse) */
    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++) {
            const @real@ u = F[j * n + i];
            if (u != 0)
                for (c = 0; c < k; c++)
                    Z[i * rs + c * cs] -= u * Z[j * rs + c * cs];
        }
        for (c = 0; c < k; c++)
            Z[i * rs + c * cs] /= F[i * n + i];
    }
    for (i = n - 1; i >= 0; i--)
        for (j = i + 1; j < n; j++) {
            const @real@ l = F[j * n + i];
            if (l != 0)
                for (c = 0; c < k; c++)
                    Z[i * rs + c * cs] -= l * Z[j * rs + c * cs];
        }
    for (i = n - 1; i >= 0; i--) {
        const long p = (long)piv[i];
        if (p != i)
            for (c = 0; c < k; c++) {
                const @real@ t = Z[i * rs + c * cs];
                Z[i * rs + c * cs] = Z[p * rs + c * cs];
                Z[p * rs + c * cs] = t;
            }
    }
}
