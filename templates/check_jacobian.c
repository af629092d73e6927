/* the central difference (f(y + h·dir) − f(y − h·dir)) / 2h into d[0..p) */
static int sg_check_diff(int (*eval)(void *, int, @real@ *), void *ctx, int f, long p,
                         @real@ *y, long j1, long j2, int c2, double h, @real@ *fp,
                         @real@ *fm, double *d)
{
    @real@ old[2];
    double step;
    long i;
    int rc;
    sg_check_move(y, j1, j2, c2, h, old);
    step = (double)y[j1];
    rc = eval(ctx, f, fp);
    sg_check_back(y, j1, j2, old);
    sg_check_move(y, j1, j2, c2, -h, old);
    step -= (double)y[j1]; /* the step taken, after rounding */
    rc |= eval(ctx, f, fm);
    sg_check_back(y, j1, j2, old);
    for (i = 0; i < p; i++)
        d[i] = ((double)fp[i] - (double)fm[i]) / step;
    return rc;
}

/*
 * The worst relative error of J (p×q row-major, J[i*q + j] = ∂f_i/∂y_j:
 * a gradient is 1×q, a Jacobian p×q, a Hessian the Jacobian of a gradient)
 * against central differences of result f (p entries) along the directions
 * of sg_check_dir of the input y (q entries, n rows, of the given kind). The
 * differences with steps h·max(1, |y_j|) and half that are combined as
 * (4 D(h/2) − D(h))/3 (Richardson), which cancels the h² term. The error is
 * max |fd − J| over max(|fd|, |J|, 10⁻³). Returns −1 when eval fails at a
 * moved input.
 */
static double sg_check_jacobian(int (*eval)(void *, int, @real@ *), void *ctx, int f, long p,
                                @real@ *y, long q, long n, int kind, const @real@ *J, double h,
                                @real@ *fp, @real@ *fm)
{
    double scale = 1e-3, err = 0, *d1 = (double *)malloc(sizeof *d1 * (size_t)(2 * p + 1));
    double *d2 = d1 + p;
    long d, i, j1, j2;
    int c2, rc = 0;
    if (!d1) {
        fprintf(stderr, "check: out of memory\n");
        exit(2);
    }
    for (d = 0; !rc && sg_check_dir(kind, q, n, d, &j1, &j2, &c2); d++) {
        const double step = h * (fabs((double)y[j1]) > 1 ? fabs((double)y[j1]) : 1);
        rc = sg_check_diff(eval, ctx, f, p, y, j1, j2, c2, step, fp, fm, d1) ||
             sg_check_diff(eval, ctx, f, p, y, j1, j2, c2, step / 2, fp, fm, d2);
        for (i = 0; i < p; i++)
            sg_check_note(sg_check_along(J, q, i, j1, j2, c2), (4 * d2[i] - d1[i]) / 3, &scale,
                          &err);
    }
    free(d1);
    return rc ? -1 : err / scale;
}
