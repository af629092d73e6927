/*
 * strmap.c: an open-addressing hash table (FNV-1a, linear probing), grown to
 * keep it at most half full.
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"

static size_t hash(const char *s)
{
    size_t h = (size_t)2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)16777619u;
    return h;
}

void sg_strmap_init(sg_strmap *m)
{
    memset(m, 0, sizeof *m);
}

void sg_strmap_free(sg_strmap *m)
{
    free(m->key);
    free(m->val);
    sg_strmap_init(m);
}

int sg_strmap_get(const sg_strmap *m, const char *name)
{
    size_t i;
    if (!m->cap)
        return -1;
    for (i = hash(name) & (m->cap - 1); m->key[i]; i = (i + 1) & (m->cap - 1))
        if (strcmp(m->key[i], name) == 0)
            return m->val[i];
    return -1;
}

static void grow(sg_strmap *m)
{
    sg_strmap old = *m;
    size_t i, j;
    m->cap = old.cap ? 2 * old.cap : 16;
    m->key = sg_xmalloc(m->cap * sizeof *m->key);
    m->val = sg_xmalloc(m->cap * sizeof *m->val);
    memset(m->key, 0, m->cap * sizeof *m->key);
    for (i = 0; i < old.cap; i++) {
        if (!old.key[i])
            continue;
        for (j = hash(old.key[i]) & (m->cap - 1); m->key[j]; j = (j + 1) & (m->cap - 1))
            ;
        m->key[j] = old.key[i];
        m->val[j] = old.val[i];
    }
    free(old.key);
    free(old.val);
}

void sg_strmap_put(sg_strmap *m, const char *name, int val)
{
    size_t i;
    if (2 * (m->n + 1) > m->cap)
        grow(m);
    for (i = hash(name) & (m->cap - 1); m->key[i]; i = (i + 1) & (m->cap - 1))
        if (strcmp(m->key[i], name) == 0)
            return;
    m->key[i] = name;
    m->val[i] = val;
    m->n++;
}
