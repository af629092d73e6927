/*
 * e^x for x ≤ 0 (σ and swish need no other), as arithmetic that gcc and
 * clang vectorize, where a call to exp keeps a loop scalar: x = k ln 2 + r
 * with |r| ≤ ½ ln 2 (ln 2 in two parts, so that r is exact to its last
 * bits), e^r by its Taylor polynomial to r¹³ (the rest is below 2⁻⁵⁵ of it)
 * summed as 1 + (r + r²q(r)), so that the small terms round only once, and
 * 2^k from its bits in two halves, so that results below 2⁻¹⁰²² underflow
 * gradually as exp's do. Within 1 ulp of exp (tests/test_cgen.c checks it
 * against exp over [−750, 0]); 0 below −745, NaN for NaN (1 above 0, where
 * it is not used). The bits need IEEE doubles: elsewhere it is exp itself,
 * and in float expf (only the one of the two precisions is printed).
 */
@double@
#if defined(__STDC_IEC_559__)
typedef union {
    double d;
    long long i;
} sg_bits;

static inline double sg_expn(double xin)
{
    const double shift = 6755399441055744.0; /* 1.5·2⁵²: adding it rounds to an integer */
    double x, kd, k, r, r2, r4, r8, b0, b1, b2, b3, b4, b5, p;
    long long k1, k2;
    sg_bits u, s1, s2;
    /* x in [−750, 0], NaN too (returned at the end): k is in [−1082, 0],
       and no integer below can overflow whatever the input */
    x = xin >= -750.0 ? (xin <= 0.0 ? xin : 0.0) : -750.0;
    kd = x * 1.4426950408889634 + shift; /* shift + k, k = round(x / ln 2) */
    k = kd - shift;
    r = x - k * 6.93147180369123816490e-01 - k * 1.90821492927058770002e-10;
    /* q(r) = 1/2! + r/3! + … + r¹¹/13! by Estrin's scheme: pairs, then pairs
       of pairs by r², r⁴, r⁸, a chain four products deep where Horner's rule
       is twelve; in a vectorized loop that wait, not the arithmetic, is what
       bounds e^x, and the loop runs a third faster */
    r2 = r * r;
    r4 = r2 * r2;
    r8 = r4 * r4;
    b0 = 0.5 + 1.66666666666666666667e-01 * r;
    b1 = 4.16666666666666666667e-02 + 8.33333333333333333333e-03 * r;
    b2 = 1.38888888888888888889e-03 + 1.98412698412698412698e-04 * r;
    b3 = 2.48015873015873015873e-05 + 2.75573192239858906526e-06 * r;
    b4 = 2.75573192239858906526e-07 + 2.50521083854417187751e-08 * r;
    b5 = 2.08767569878680989792e-09 + 1.60590438368216145994e-10 * r;
    p = ((b0 + b1 * r2) + (b2 + b3 * r2) * r4) + (b4 + b5 * r2) * r8;
    p = 1.0 + (r + r2 * p); /* e^r = 1 + (r + r²q(r)): the last rounding is 1 + s */
    u.d = kd;
    k1 = (u.i - 0x4338000000000000LL) / 2; /* k from kd's low bits, halved */
    k2 = u.i - 0x4338000000000000LL - k1;
    s1.i = (k1 + 1023) * 4503599627370496LL; /* the bits of 2^k1: k1 + 1023 << 52 */
    s2.i = (k2 + 1023) * 4503599627370496LL;
    return isnan(xin) ? xin : p * s1.d * s2.d;
}
#else
static double sg_expn(double x)
{
    return exp(x);
}
#endif
@end@
@float@
static float sg_expn(float x)
{
    return expf(x);
}
@end@
