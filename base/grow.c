/*
 * grow.c: the growth rule of every hand-grown array (grow.h).
 */
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>

void sg_too_large(size_t limit, const char *what)
{
    fprintf(stderr, "symgrad: the problem is too large: more than %lu %s\n", (unsigned long)limit,
            what);
    exit(1);
}

size_t sg_grow_cap(size_t need, size_t cap, size_t elem, size_t limit, const char *what)
{
    size_t nc = cap ? cap : 16;
    if (need > limit)
        sg_too_large(limit, what);
    while (nc < need)
        nc = nc > limit / 2 ? limit : nc * 2;
    if (nc > limit)
        nc = limit;
    if (elem && nc > (size_t)-1 / elem)
        sg_out_of_memory(0);
    return nc;
}
