/* relu(x) = max(x, 0) */
static @real@ sg_relu(@real@ x)
{
    return x > 0 ? x : 0;
}
