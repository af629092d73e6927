/* sign(x) ∈ {−1, 0, 1}: the derivative of |x| (0 at the kink) */
static @real@ sg_sign(@real@ x)
{
    return (@real@)((x > 0) - (x < 0));
}
