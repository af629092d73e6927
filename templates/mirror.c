/* the upper triangle of the n×n C from its lower one, a 32×32 tile at a time */
static void sg_mirror(long n, @real@ *@restrict@ C)
{
    long ib, jb, i, j;
    for (ib = 0; ib < n; ib += 32)
        for (jb = 0; jb <= ib; jb += 32)
            for (i = ib; i < n && i < ib + 32; i++)
                for (j = jb; j < i && j < jb + 32; j++)
                    C[j * n + i] = C[i * n + j];
}
