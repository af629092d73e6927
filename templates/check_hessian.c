/* the second difference (f(+u, +v) − f(+u, −v) − f(−u, +v) + f(−u, −v)) / 4hₓh_y */
static int sg_check_diff2(int (*eval)(void *, int, @real@ *), void *ctx, int f, @real@ *x,
                          long i1, long i2, int cu, double hx, @real@ *y, long j1, long j2,
                          int cv, double hy, double *d)
{
    int a, b, rc = 0;
    *d = 0;
    for (a = -1; a <= 1; a += 2)
        for (b = -1; b <= 1; b += 2) {
            @real@ ox[2], oy[2], v = 0;
            sg_check_move(x, i1, i2, cu, a * hx, ox);
            sg_check_move(y, j1, j2, cv, b * hy, oy);
            rc |= eval(ctx, f, &v);
            sg_check_back(y, j1, j2, oy); /* x and y may be one input: in reverse */
            sg_check_back(x, i1, i2, ox);
            *d += a * b * (double)v;
        }
    *d /= 4 * hx * hy;
    return rc;
}

/*
 * The worst relative error of H (qx×qy row-major, H[i*qy + j] = ∂²f/∂x_i∂y_j)
 * against second central differences of the scalar result f along the
 * directions u of x and v of y (sg_check_dir; x and y may be the same input),
 * with Richardson's (4 D(h/2) − D(h))/3 as in sg_check_jacobian. Returns −1
 * when eval fails at a moved input.
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
            double want = sg_check_along(H, qy, i1, j1, j2, cv), d1, d2;
            if (i2 >= 0)
                want += cu * sg_check_along(H, qy, i2, j1, j2, cv);
            rc = sg_check_diff2(eval, ctx, f, x, i1, i2, cu, hx, y, j1, j2, cv, hy, &d1) ||
                 sg_check_diff2(eval, ctx, f, x, i1, i2, cu, hx / 2, y, j1, j2, cv, hy / 2, &d2);
            if (!rc) /* d2 is not set when the first difference failed */
                sg_check_note(want, (4 * d2 - d1) / 3, &scale, &err);
        }
    return rc ? -1 : err / scale;
}
