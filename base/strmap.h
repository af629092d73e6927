/*
 * strmap.h: names to indices, for the tables that are looked up by name
 * (symbols, dimensions, sequences, definitions). Lookups take constant time,
 * so a problem of a hundred thousand statements checks in linear time.
 *
 * The map does not copy its keys: each must outlive the map (they live in
 * an arena). The first index put for a name is the one kept, as a linear
 * search from the start of the table would find it.
 */
#ifndef SG_STRMAP_H
#define SG_STRMAP_H

#include <stddef.h>

typedef struct {
    const char **key; /* NULL: an empty slot */
    int *val;
    size_t cap, n;    /* cap is 0 or a power of two, kept at least twice n */
} sg_strmap;

void sg_strmap_init(sg_strmap *m);
void sg_strmap_free(sg_strmap *m);
/* the index of name, or -1 */
int sg_strmap_get(const sg_strmap *m, const char *name);
/* name → val, unless name is already there */
void sg_strmap_put(sg_strmap *m, const char *name, int val);

#endif
