/*
 * Solves A X = B (right = 0; X, B n×k) or X A = B (right = 1; X, B k×n) in
 * place, from the factor L of sg_chol (A = L Lᵀ): Z holds B row-major on
 * entry and X on return. Two triangular solves, each reading Z by whole rows.
 * pack holds sg_trsm_pack(n, k) reals.
 */
static void sg_chol_solve(long n, const @real@ *F, int right, long k, @real@ *Z, @real@ *pack)
{
    if (!right) { /* L Y = B, then Lᵀ X = Y */
        sg_trsm(0, 1, 0, 0, n, F, n, k, Z, k, pack);
        sg_trsm(0, 1, 1, 0, n, F, n, k, Z, k, pack);
    } else { /* W Lᵀ = B, then X L = W */
        sg_trsm(1, 1, 1, 0, n, F, n, k, Z, n, pack);
        sg_trsm(1, 1, 0, 0, n, F, n, k, Z, n, pack);
    }
}
