/*
 * mask.c: interned sets of small integers as hash-consed trees (mask.h).
 *
 * A node at level k covers 64·2^k bits: a leaf (level 0) one word, an inner
 * node two halves of level k − 1. A set's root is always at the table's
 * height, so two sets of one table have the same shape and the operations
 * recurse on both in step. Every node is made through the table, which
 * returns the existing node when one with the same contents exists: equal
 * sets are equal pointers, and an operation whose result is one of its
 * operands allocates nothing.
 */
#include "mask.h"

#include "../base/arena.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct sg_mask {
    unsigned level;             /* 0: a leaf */
    unsigned id;                /* made id-th: the hash of the set */
    int count;                  /* members */
    unsigned long long word;    /* a leaf's bits */
    const sg_mask *kid[2];      /* an inner node's halves (NULL: empty) */
};

struct sg_masks {
    sg_arena *ar;
    int nbits;
    unsigned height;            /* the roots' level */
    const sg_mask **tab;        /* open addressing, NULL empty */
    unsigned cap, n;
    const sg_mask *full;        /* made on first use */
};

static unsigned mix(unsigned long long h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return (unsigned)(h ^ (h >> 32));
}

static unsigned long long kid_key(const sg_mask *m)
{
    return m ? (unsigned long long)m->id + 1 : 0;
}

static unsigned node_hash(unsigned level, unsigned long long word, const sg_mask *a,
                          const sg_mask *b)
{
    if (level == 0)
        return mix(word);
    return mix(((unsigned long long)level << 58) ^ (kid_key(a) * 0x9e3779b97f4a7c15ull) ^
               (kid_key(b) << 29) ^ kid_key(b));
}

static unsigned hash_of(const sg_mask *m)
{
    return node_hash(m->level, m->word, m->kid[0], m->kid[1]);
}

sg_masks *sg_masks_new(int nbits)
{
    sg_masks *t = sg_xmalloc(sizeof *t);
    assert(nbits >= 0);
    memset(t, 0, sizeof *t);
    t->ar = sg_arena_new();
    t->nbits = nbits;
    while ((64ll << t->height) < (long long)nbits)
        t->height++;
    t->cap = 64;
    t->tab = sg_xmalloc(t->cap * sizeof *t->tab);
    memset(t->tab, 0, t->cap * sizeof *t->tab);
    return t;
}

void sg_masks_free(sg_masks *t)
{
    if (!t)
        return;
    sg_arena_free(t->ar);
    free(t->tab);
    free(t);
}

unsigned long sg_masks_nodes(const sg_masks *t)
{
    return t->n;
}

static void grow(sg_masks *t)
{
    unsigned cap = 2 * t->cap, i, j;
    const sg_mask **tab = sg_xmalloc(cap * sizeof *tab);
    memset(tab, 0, cap * sizeof *tab);
    for (i = 0; i < t->cap; i++)
        if (t->tab[i]) {
            for (j = hash_of(t->tab[i]) & (cap - 1); tab[j]; j = (j + 1) & (cap - 1))
                ;
            tab[j] = t->tab[i];
        }
    free(t->tab);
    t->tab = tab;
    t->cap = cap;
}

/* the node with these contents: the existing one, or a new one */
static const sg_mask *make(sg_masks *t, unsigned level, unsigned long long word,
                           const sg_mask *a, const sg_mask *b)
{
    unsigned i;
    sg_mask *m;
    if (level == 0 ? word == 0 : !a && !b)
        return NULL; /* the empty set is NULL at every level */
    if (2 * (t->n + 1) > t->cap)
        grow(t);
    for (i = node_hash(level, word, a, b) & (t->cap - 1); t->tab[i]; i = (i + 1) & (t->cap - 1)) {
        const sg_mask *x = t->tab[i];
        if (x->level == level && x->word == word && x->kid[0] == a && x->kid[1] == b)
            return x;
    }
    m = sg_arena_alloc(t->ar, sizeof *m);
    m->level = level;
    m->id = t->n++;
    m->word = word;
    m->kid[0] = a;
    m->kid[1] = b;
    if (level == 0) {
        unsigned long long w;
        m->count = 0;
        for (w = word; w; w &= w - 1)
            m->count++;
    } else {
        m->count = (a ? a->count : 0) + (b ? b->count : 0);
    }
    t->tab[i] = m;
    return m;
}

const sg_mask *sg_mask_one(sg_masks *t, int bit)
{
    const sg_mask *m;
    unsigned level;
    assert(bit >= 0 && bit < t->nbits);
    m = make(t, 0, 1ull << (bit & 63), NULL, NULL);
    for (level = 1; level <= t->height; level++)
        m = (bit >> (6 + level - 1)) & 1 ? make(t, level, 0, NULL, m) : make(t, level, 0, m, NULL);
    return m;
}

/* the members of [lo, lo + 64·2^level) below nbits */
static const sg_mask *full_from(sg_masks *t, unsigned level, long long lo)
{
    long long half;
    if (lo >= t->nbits)
        return NULL;
    if (level == 0) {
        long long n = t->nbits - lo;
        return make(t, 0, n >= 64 ? ~0ull : (1ull << n) - 1, NULL, NULL);
    }
    half = 64ll << (level - 1);
    return make(t, level, 0, full_from(t, level - 1, lo), full_from(t, level - 1, lo + half));
}

const sg_mask *sg_mask_full(sg_masks *t)
{
    if (!t->full)
        t->full = full_from(t, t->height, 0);
    return t->full;
}

const sg_mask *sg_mask_union(sg_masks *t, const sg_mask *a, const sg_mask *b)
{
    if (!a || a == b)
        return b;
    if (!b)
        return a;
    assert(a->level == b->level);
    if (a->level == 0)
        return make(t, 0, a->word | b->word, NULL, NULL);
    return make(t, a->level, 0, sg_mask_union(t, a->kid[0], b->kid[0]),
                sg_mask_union(t, a->kid[1], b->kid[1]));
}

const sg_mask *sg_mask_minus(sg_masks *t, const sg_mask *a, const sg_mask *b)
{
    if (!a || a == b)
        return NULL;
    if (!b)
        return a;
    assert(a->level == b->level);
    if (a->level == 0)
        return make(t, 0, a->word & ~b->word, NULL, NULL);
    return make(t, a->level, 0, sg_mask_minus(t, a->kid[0], b->kid[0]),
                sg_mask_minus(t, a->kid[1], b->kid[1]));
}

int sg_mask_subset(const sg_mask *a, const sg_mask *b)
{
    if (!a || a == b)
        return 1;
    if (!b || a->count > b->count)
        return 0;
    assert(a->level == b->level);
    if (a->level == 0)
        return (a->word & ~b->word) == 0;
    return sg_mask_subset(a->kid[0], b->kid[0]) && sg_mask_subset(a->kid[1], b->kid[1]);
}

int sg_mask_has(const sg_mask *m, int bit)
{
    if (bit < 0)
        return 0;
    while (m && m->level > 0) {
        if ((long long)bit >= (64ll << m->level))
            return 0;
        m = m->kid[(bit >> (6 + m->level - 1)) & 1];
        bit &= (int)((64ll << (m ? m->level : 0)) - 1);
    }
    return m && bit < 64 && ((m->word >> bit) & 1ull);
}

int sg_mask_count(const sg_mask *m)
{
    return m ? m->count : 0;
}

/* the least member ≥ bit of m, which covers [base, base + 64·2^level) */
static long long next_in(const sg_mask *m, long long base, long long bit)
{
    long long half, r;
    if (!m)
        return -1;
    if (m->level == 0) {
        unsigned long long w = m->word;
        int k;
        if (bit >= base + 64)
            return -1;
        if (bit > base)
            w &= ~0ull << (bit - base);
        if (!w)
            return -1;
        for (k = 0; !((w >> k) & 1ull); k++)
            ;
        return base + k;
    }
    half = 64ll << (m->level - 1);
    if (bit < base + half) {
        r = next_in(m->kid[0], base, bit);
        if (r >= 0)
            return r;
    }
    return next_in(m->kid[1], base + half, bit > base + half ? bit : base + half);
}

int sg_mask_next(const sg_mask *m, int bit)
{
    return (int)next_in(m, 0, bit < 0 ? 0 : bit);
}

unsigned sg_mask_hash(const sg_mask *m)
{
    return m ? mix((unsigned long long)m->id + 0x9e3779b97f4a7c15ull) : 0u;
}
