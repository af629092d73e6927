/* the column swaps of sg_lu's pivots applied to the k×n Z (undo: in reverse order) */
static void sg_lu_swap_cols(long n, const @real@ *piv, int undo, long k, @real@ *Z)
{
    long s, r;
    for (r = 0; r < k; r++)
        for (s = 0; s < n; s++) {
            const long i = undo ? n - 1 - s : s, p = (long)piv[i];
            if (p != i) {
                const @real@ t = Z[r * n + i];
                Z[r * n + i] = Z[r * n + p];
                Z[r * n + p] = t;
            }
        }
}
