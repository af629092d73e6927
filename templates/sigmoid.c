/* σ(x) = 1/(1 + e^−x), branching on the sign so that exp never overflows */
static @real@ sg_sigmoid(@real@ x)
{
    @real@ e;
    if (x >= 0)
        return 1 / (1 + @exp@(-x));
    e = @exp@(x);
    return e / (1 + e);
}
