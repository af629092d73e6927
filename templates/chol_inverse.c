/* Z = A⁻¹ = L⁻ᵀ L⁻¹ (n×n) from the factor of sg_chol: L⁻¹ by sg_trsm_lower_inverse,
   then one solve with Lᵀ. pack holds sg_trsm_pack(n, n) reals. */
static void sg_chol_inverse(long n, const @real@ *F, @real@ *Z, @real@ *pack)
{
    sg_trsm_lower_inverse(n, F, 0, Z, pack);
    sg_trsm(0, 1, 1, 0, n, F, n, n, Z, n, pack);
}
