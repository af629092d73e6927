/*
 * Triangular solves with many right-hand sides, in place: Z holds B on
 * entry and X on return, for a triangular n×n T stored row-major (leading
 * dimension ldt), with op(T) = T, or Tᵀ when trans is set:
 *   left:  op(T) X = B, X and B n×k (leading dimension ldz);
 *   right: X op(T) = B, X and B k×n.
 * lower says whether T as stored is lower triangular (the other triangle is
 * not read), unit that its diagonal is 1 (and not read). Blocked: the
 * solutions of earlier diagonal blocks are subtracted from later ones with
 * sg_gemm_ex, and each diagonal block is solved by row operations on
 * contiguous rows of Z. pack holds sg_trsm_pack(n, k) reals (a right solve
 * copies each diagonal block of op(T) there first).
 */
#define SG_NB 64 /* the block of triangular solves and factorizations */

static long sg_trsm_pack(long n, long k)
{
    const long l = sg_gemm_pack(SG_NB, k, n), r = SG_NB * SG_NB + sg_gemm_pack(k, SG_NB, n);
    return l > r ? l : r;
}

/* entry (i, j) of op(T) */
#define SG_OPT(i, j) (trans ? T[(j) * ldt + (i)] : T[(i) * ldt + (j)])

/* the diagonal block [b, b + nb): left, op(T) X = B on rows b.. of Z */
static void sg_trsm_left_block(int fwd, int trans, int unit, long b, long nb, const @real@ *T,
                               long ldt, long k, @real@ *Z, long ldz)
{
    long s, i, j, c;
    for (s = 0; s < nb; s++) {
        i = fwd ? b + s : b + nb - 1 - s;
        for (j = fwd ? b : i + 1; j < (fwd ? i : b + nb); j++) {
            const @real@ t = SG_OPT(i, j);
            @real@ *@restrict@ zi = Z + i * ldz;
            const @real@ *@restrict@ zj = Z + j * ldz;
            if (!(t >= 0 && t <= 0)) /* t != 0 (or NaN), without -Wfloat-equal */
                for (c = 0; c < k; c++)
                    zi[c] -= t * zj[c];
        }
        if (!unit) {
            const @real@ d = 1 / SG_OPT(i, i);
            for (c = 0; c < k; c++)
                Z[i * ldz + c] *= d;
        }
    }
}

/* the diagonal block [b, b + nb): right, X op(T) = B on columns b.. of each row of Z;
   D is op(T)'s block, copied contiguous (nb×nb) */
static void sg_trsm_right_block(int fwd, int trans, int unit, long b, long nb,
                                const @real@ *T, long ldt, long k, @real@ *Z, long ldz,
                                @real@ *@restrict@ D)
{
    long r, s, j, i;
    for (j = 0; j < nb; j++)
        for (i = 0; i < nb; i++)
            D[j * nb + i] = SG_OPT(b + j, b + i);
    for (r = 0; r < k; r++) {
        @real@ *@restrict@ z = Z + r * ldz + b;
        for (s = 0; s < nb; s++) { /* z[j] is final once the earlier columns are out */
            const @real@ *@restrict@ d;
            j = fwd ? s : nb - 1 - s;
            d = D + j * nb;
            if (!unit)
                z[j] /= d[j];
            if (!(z[j] >= 0 && z[j] <= 0)) { /* z[j] != 0 (or NaN) */
                if (fwd)
                    for (i = j + 1; i < nb; i++)
                        z[i] -= z[j] * d[i];
                else
                    for (i = 0; i < j; i++)
                        z[i] -= z[j] * d[i];
            }
        }
    }
}

static void sg_trsm(int right, int lower, int trans, int unit, long n, const @real@ *T, long ldt,
                    long k, @real@ *Z, long ldz, @real@ *pack)
{
    /* op(T) is lower: the unknowns come out first to last (left), or last to
       first (right); upper the other way round */
    const int fwd = right ? (lower == trans) : (lower != trans);
    long s, b, nb;
    for (s = 0; s < n; s += SG_NB) {
        nb = n - s < SG_NB ? n - s : SG_NB;
        b = fwd ? s : n - s - nb;
        if (!right) {
            sg_trsm_left_block(fwd, trans, unit, b, nb, T, ldt, k, Z, ldz);
            /* the rows still to solve: Z[rest] −= op(T)[rest][block] X[block] */
            if (fwd && b + nb < n)
                sg_gemm_ex(n - b - nb, k, nb, -1, trans, trans ? T + b * ldt + b + nb : T + (b + nb) * ldt + b,
                           ldt, 0, Z + b * ldz, ldz, 1, Z + (b + nb) * ldz, ldz, pack);
            if (!fwd && b > 0)
                sg_gemm_ex(b, k, nb, -1, trans, trans ? T + b * ldt : T + b, ldt, 0, Z + b * ldz, ldz,
                           1, Z, ldz, pack);
        } else {
            sg_trsm_right_block(fwd, trans, unit, b, nb, T, ldt, k, Z, ldz, pack);
            /* the columns still to solve: Z[·][rest] −= X[·][block] op(T)[block][rest] */
            if (fwd && b + nb < n)
                sg_gemm_ex(k, n - b - nb, nb, -1, 0, Z + b, ldz, trans,
                           trans ? T + (b + nb) * ldt + b : T + b * ldt + b + nb, ldt, 1, Z + b + nb,
                           ldz, pack);
            if (!fwd && b > 0)
                sg_gemm_ex(k, b, nb, -1, 0, Z + b, ldz, trans, trans ? T + b : T + b * ldt, ldt, 1, Z,
                           ldz, pack);
        }
    }
}
#undef SG_OPT
