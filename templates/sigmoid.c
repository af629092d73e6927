/* σ(x) = 1/(1 + e^−x), or e^x/(1 + e^x) below 0 so that exp never
   overflows: both computed, one chosen, so that a loop of them vectorizes */
static inline @real@ sg_sigmoid(@real@ x)
{
    const @real@ e = sg_expn(-@fabs@(x)), d = 1 / (1 + e), ed = e * d;
    return x >= 0 ? d : ed;
}
