/*
 * Solves A X = B in place, from the factor L of sg_chol (A = L Lᵀ): Z holds
 * B on entry and X on return. X is n×k with entry (i, c) at Z[i*rs + c*cs]:
 * a row-major n×k X has rs = k, cs = 1, and rs = 1, cs = n reads the
 * transpose of a row-major k×n matrix, which turns B A⁻¹ = (A⁻¹Bᵀ)ᵀ into a
 * solve (A is symmetric).
 */
static void sg_chol_solve(long n, const @real@ *@restrict@ F, long k, @real@ *@restrict@ Z,
                          long rs, long cs)
{
    long i, j, c;
    for (i = 0; i < n; i++) { /* L Y = B */
        for (j = 0; j < i; j++) {
            const @real@ l = F[i * n + j];
            if (l != 0)
                for (c = 0; c < k; c++)
                    Z[i * rs + c * cs] -= l * Z[j * rs + c * cs];
        }
        for (c = 0; c < k; c++)
            Z[i * rs + c * cs] /= F[i * n + i];
    }
    for (i = n - 1; i >= 0; i--) { /* Lᵀ X = Y */
        for (j = i + 1; j < n; j++) {
            const @real@ l = F[j * n + i];
            if (l != 0)
                for (c = 0; c < k; c++)
                    Z[i * rs + c * cs] -= l * Z[j * rs + c * cs];
        }
        for (c = 0; c < k; c++)
            Z[i * rs + c * cs] /= F[i * n + i];
    }
}
