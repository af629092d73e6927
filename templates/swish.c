/* swish(x) = x σ(x) */
static @real@ sg_swish(@real@ x)
{
    return x * sg_sigmoid(x);
}
