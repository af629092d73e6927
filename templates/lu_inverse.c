/*
 * Z = op(A)⁻¹ (n×n) from the factors F of sg_lu: A⁻¹ = U⁻¹ L⁻¹ P, with L⁻¹
 * from sg_trsm_lower_inverse (a third of a solve against I), U⁻¹ applied by
 * rows, P by swapping columns; (Aᵀ)⁻¹ = (A⁻¹)ᵀ is that transposed in place.
 * pack holds sg_trsm_pack(n, n) reals.
 */
static void sg_lu_inverse(long n, const @real@ *F, int trans, @real@ *Z, @real@ *pack)
{
    long i, j;
    sg_trsm_lower_inverse(n, F, 1, Z, pack);
    sg_trsm(0, 0, 0, 0, n, F, n, n, Z, n, pack);
    sg_lu_swap_cols(n, F + n * n, 1, n, Z);
    if (trans)
        for (i = 0; i < n; i++)
            for (j = i + 1; j < n; j++) {
                const @real@ t = Z[i * n + j];
                Z[i * n + j] = Z[j * n + i];
                Z[j * n + i] = t;
            }
}
