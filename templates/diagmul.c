/*
 * y = diag(op(A) op(B)): y[i] = Σₚ op(A)[i][p] op(B)[p][i] for op(A) n×k and
 * op(B) k×n, without the n×n product; op(X) is X, or Xᵀ when its flag is set.
 */
static void sg_diagmul(long n, long k, int ta, const @real@ *@restrict@ A, int tb,
                       const @real@ *@restrict@ B, @real@ *@restrict@ y)
{
    long i, p;
    for (i = 0; i < n; i++) {
        @real@ s = 0;
        for (p = 0; p < k; p++)
            s += (ta ? A[p * n + i] : A[i * k + p]) * (tb ? B[i * k + p] : B[p * n + i]);
        y[i] = s;
    }
}
