/* the second difference (f(+u, +v) − f(+u, −v) − f(−u, +v) + f(−u, −v)) / 4hₓh_y */
static int sg_check_diff2(int (*eval)(void *, int, @real@ *), void *ctx, int f, @real@ *x,
                          long i1, long i2, int cu, double hx, @real@ *y, long j1, long j2,
                          int cv, double hy, double *d, double *noise)
{
    int a, b, rc = 0;
    *d = 0;
    *noise = 0;
    for (a = -1; a <= 1; a += 2)
        for (b = -1; b <= 1; b += 2) {
            @real@ ox[2], oy[2], v = 0;
            sg_check_move(x, i1, i2, cu, a * hx, ox);
            sg_check_move(y, j1, j2, cv, b * hy, oy);
            rc |= eval(ctx, f, &v);
            sg_check_back(y, j1, j2, oy); /* x and y may be one input: in reverse */
            sg_check_back(x, i1, i2, ox);
            *d += a * b * (double)v;
            *noise += fabs((double)v);
        }
    *d /= 4 * hx * hy;
    /* the values' rounding, a few units in their last place, over 4hₓh_y */
    *noise *= (sizeof(@real@) < sizeof(double) ? 1.2e-7 : 2.3e-16) * 4 / (4 * hx * hy);
    return rc || !isfinite(*d);
}

/*
 * One second derivative by Ridders' extrapolation of second differences:
 * steps h, h/2, h/4, … (scaled by the entries' sizes), each difference
 * extrapolated to step 0 with the ones before it (their error is a series in
 * h²), keeping the estimate whose neighbours in the table agree best, and
 * stopping when the table's diagonal starts to grow apart (round-off has
 * taken over). A fixed small step is either too coarse (truncation) or, for
 * a function that rounds to a few ulps, all round-off (ε|f|/h², 1e-5 of the
 * Hessian at h = 1e-4): so the step is chosen per entry. A step whose
 * evaluation fails or is not finite (it left the domain: a simplex, a
 * positive definite input) is skipped while no estimate exists, and ends the
 * table after one. An estimate's error is how far it is from its neighbours
 * plus the round-off of its smallest step's values, so that values that
 * agree by rounding to the same float are not taken for converged ones. Returns 1 when no step could be evaluated.
 */
static int sg_check_ridders2(int (*eval)(void *, int, @real@ *), void *ctx, int f, @real@ *x,
                             long i1, long i2, int cu, double hx, @real@ *y, long j1, long j2,
                             int cv, double hy, double *d, double *error)
{
    enum { LEVELS = 10 };
    double t[LEVELS][LEVELS], best = HUGE_VAL, noise;
    int k, j, n = 0, found = 0;
    *d = 0;
    for (k = 0; k < LEVELS; k++, hx /= 2, hy /= 2) {
        double fac = 4;
        if (sg_check_diff2(eval, ctx, f, x, i1, i2, cu, hx, y, j1, j2, cv, hy, &t[n][0], &noise)) {
            if (found)
                break;
            continue; /* too far out: try a smaller step */
        }
        if (!found) {
            *d = t[n][0];
            found = 1;
        }
        for (j = 1; j <= n; j++, fac *= 4) {
            double e1, e2;
            t[n][j] = (fac * t[n][j - 1] - t[n - 1][j - 1]) / (fac - 1);
            e1 = fabs(t[n][j] - t[n][j - 1]);
            e2 = fabs(t[n][j] - t[n - 1][j - 1]);
            e1 = (e1 > e2 ? e1 : e2) + noise; /* two differences agreeing by chance */
            if (e1 <= best) {
                best = e1;
                *d = t[n][j];
            }
        }
        if (n > 0 && fabs(t[n][n] - t[n - 1][n - 1]) >= 2 * best)
            break;
        n++;
    }
    *error = best;
    return !found;
}

/*
 * One second derivative, from first steps h, h/16, h/256: Ridders' table
 * stops where its diagonal grows apart, and for a steep function (a deep
 * tanh chain, entries near 10³) the first step can be so coarse that the
 * table stops before it converges, on an estimate 50% off whose error it
 * knows is large. A later start is tried while the estimate's own error
 * is above 1e-9 of its size, and the estimate with the smallest error is
 * kept. Returns 1 when no step could be evaluated.
 */
static int sg_check_second(int (*eval)(void *, int, @real@ *), void *ctx, int f, @real@ *x,
                           long i1, long i2, int cu, double hx, @real@ *y, long j1, long j2,
                           int cv, double hy, double *d)
{
    double best = HUGE_VAL, e, v;
    int start, found = 0;
    for (start = 0; start < 3; start++, hx /= 16, hy /= 16) {
        if (sg_check_ridders2(eval, ctx, f, x, i1, i2, cu, hx, y, j1, j2, cv, hy, &v, &e))
            continue;
        if (!found || e < best) {
            best = e;
            *d = v;
        }
        found = 1;
        if (best <= 1e-9 * (fabs(*d) > 1 ? fabs(*d) : 1))
            break;
    }
    return !found;
}

/*
 * The worst relative error of H (qx×qy row-major, H[i*qy + j] = ∂²f/∂x_i∂y_j)
 * against second central differences of the scalar result f along the
 * directions u of x and v of y (sg_check_dir; x and y may be the same input),
 * extrapolated to step 0 from the first step h down (sg_check_second).
 * Returns −1 when eval fails at every step.
 */
static double sg_check_hessian(int (*eval)(void *, int, @real@ *), void *ctx, int f,
                               @real@ *x, long qx, long nx, int kx, @real@ *y, long qy,
                               long ny, int ky, const @real@ *H, double h)
{
    double scale = 1e-3, err = 0;
    long du, dv, i1, i2, j1, j2;
    int cu, cv, rc = 0;
    for (du = 0; !rc && sg_check_dir(kx, qx, nx, du, &i1, &i2, &cu); du++)
        for (dv = 0; !rc && sg_check_dir(ky, qy, ny, dv, &j1, &j2, &cv); dv++) {
            const double hx = h * (fabs((double)x[i1]) > 1 ? fabs((double)x[i1]) : 1);
            const double hy = h * (fabs((double)y[j1]) > 1 ? fabs((double)y[j1]) : 1);
            double want = sg_check_along(H, qy, i1, j1, j2, cv), got;
            if (i2 >= 0)
                want += cu * sg_check_along(H, qy, i2, j1, j2, cv);
            rc = sg_check_second(eval, ctx, f, x, i1, i2, cu, hx, y, j1, j2, cv, hy, &got);
            if (!rc)
                sg_check_note(want, got, &scale, &err);
        }
    return rc ? -1 : err / scale;
}
