/*
 * Solves op(A) X = B (right = 0; X, B n×k) or X op(A) = B (right = 1; X, B
 * k×n) in place, from the factors F of sg_lu (P A = L U): Z holds B row-major
 * on entry and X on return. op(A) is A, or Aᵀ when trans is set. Every
 * step reads Z by whole rows: A = Pᵀ L U, Aᵀ = Uᵀ Lᵀ P, and each triangular
 * factor is one sg_trsm. F must not be singular. pack holds
 * sg_trsm_pack(n, k) reals.
 */
static void sg_lu_swap_rows(long n, const @real@ *piv, int undo, long k, @real@ *Z)
{
    long s, c;
    for (s = 0; s < n; s++) {
        const long i = undo ? n - 1 - s : s, p = (long)piv[i];
        if (p != i)
            for (c = 0; c < k; c++) {
                const @real@ t = Z[i * k + c];
                Z[i * k + c] = Z[p * k + c];
                Z[p * k + c] = t;
            }
    }
}

static void sg_lu_solve(long n, const @real@ *F, int trans, int right, long k, @real@ *Z,
                        @real@ *pack)
{
    const @real@ *piv = F + n * n;
    if (!right && !trans) { /* X = U⁻¹ L⁻¹ P B */
        sg_lu_swap_rows(n, piv, 0, k, Z);
        sg_trsm(0, 1, 0, 1, n, F, n, k, Z, k, pack);
        sg_trsm(0, 0, 0, 0, n, F, n, k, Z, k, pack);
    } else if (!right) { /* X = Pᵀ L⁻ᵀ U⁻ᵀ B */
        sg_trsm(0, 0, 1, 0, n, F, n, k, Z, k, pack);
        sg_trsm(0, 1, 1, 1, n, F, n, k, Z, k, pack);
        sg_lu_swap_rows(n, piv, 1, k, Z);
    } else if (!trans) { /* X = B U⁻¹ L⁻¹ P */
        sg_trsm(1, 0, 0, 0, n, F, n, k, Z, n, pack);
        sg_trsm(1, 1, 0, 1, n, F, n, k, Z, n, pack);
        sg_lu_swap_cols(n, piv, 1, k, Z);
    } else { /* X = B Pᵀ L⁻ᵀ U⁻ᵀ */
        sg_lu_swap_cols(n, piv, 0, k, Z);
        sg_trsm(1, 1, 1, 1, n, F, n, k, Z, n, pack);
        sg_trsm(1, 0, 1, 0, n, F, n, k, Z, n, pack);
    }
}
