/* softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), exact for large |x| */
static @real@ sg_softplus(@real@ x)
{
    return (x > 0 ? x : 0) + @log1p@(@exp@(-@fabs@(x)));
}
