/* step(x) = 1 for x > 0, else 0: the derivative of relu (0 at the kink) */
static @real@ sg_step(@real@ x)
{
    return x > 0 ? 1 : 0;
}
