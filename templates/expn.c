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
    double x, kd, k, r, p;
    long long k1, k2;
    sg_bits u, s1, s2;
    /* x in [−750, 0], NaN too (returned at the end): k is in [−1082, 0],
       and no integer below can overflow whatever the input */
    x = xin >= -750.0 ? (xin <= 0.0 ? xin : 0.0) : -750.0;
    kd = x * 1.4426950408889634 + shift; /* shift + k, k = round(x / ln 2) */
    k = kd - shift;
    r = x - k * 6.93147180369123816490e-01 - k * 1.90821492927058770002e-10;
    p = 1.60590438368216145994e-10; /* 1/13! */
    p = p * r + 2.08767569878680989792e-09;
    p = p * r + 2.50521083854417187751e-08;
    p = p * r + 2.75573192239858906526e-07;
    p = p * r + 2.75573192239858906526e-06;
    p = p * r + 2.48015873015873015873e-05;
    p = p * r + 1.98412698412698412698e-04;
    p = p * r + 1.38888888888888888889e-03;
    p = p * r + 8.33333333333333333333e-03;
    p = p * r + 4.16666666666666666667e-02;
    p = p * r + 1.66666666666666666667e-01;
    p = p * r + 0.5;
    p = 1.0 + (r + r * r * p); /* e^r = 1 + (r + r²q(r)): the last rounding is 1 + s */
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
