/*
 * suggest.c: the closest word of a list (suggest.h).
 */
#include "suggest.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* words longer than this are not compared: no name in a problem is */
#define MAX_CHARS 64

/* the code points of s, at most MAX_CHARS + 1 of them; their number */
static int decode(const char *s, unsigned long *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    int n = 0;
    while (*p && n <= MAX_CHARS) {
        unsigned long c = *p;
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, k;
        if (len > 1)
            c &= 0x3Fu >> (len - 1);
        for (k = 1; k < len && (p[k] & 0xC0) == 0x80; k++)
            c = (c << 6) | (p[k] & 0x3Fu);
        cp[n++] = c;
        p += k;
    }
    return n;
}

static unsigned long lower(unsigned long c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* what replacing x by y costs, in half edits */
static int subst(unsigned long x, unsigned long y)
{
    return x == y ? 0 : lower(x) == lower(y) ? 1 : 2;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

int sg_suggest_distance(const char *a, const char *b)
{
    unsigned long x[MAX_CHARS + 1], y[MAX_CHARS + 1];
    int n = decode(a, x), m = decode(b, y), i, j, r;
    int *d;
    if (n > MAX_CHARS || m > MAX_CHARS)
        return 1 << 20;
    d = sg_xmalloc((size_t)(n + 1) * (size_t)(m + 1) * sizeof *d);
#define D(i, j) d[(i) * (m + 1) + (j)]
    for (i = 0; i <= n; i++)
        D(i, 0) = 2 * i;
    for (j = 0; j <= m; j++)
        D(0, j) = 2 * j;
    for (i = 1; i <= n; i++)
        for (j = 1; j <= m; j++) {
            D(i, j) = min3(D(i - 1, j) + 2, D(i, j - 1) + 2,
                           D(i - 1, j - 1) + subst(x[i - 1], y[j - 1]));
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                D(i - 2, j - 2) + 2 < D(i, j))
                D(i, j) = D(i - 2, j - 2) + 2; /* two neighbours swapped */
        }
    r = D(n, m);
#undef D
    free(d);
    return r;
}

void sg_suggest_init(sg_suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->cost = 0;
}

void sg_suggest_offer(sg_suggest *s, const char *candidate)
{
    unsigned long cp[MAX_CHARS + 1];
    int n, limit, cost;
    if (!candidate || !strcmp(candidate, s->word))
        return;
    n = decode(s->word, cp);
    /* in half edits; a name of one or two characters is one edit from
       every other such name, so only its case is corrected (w for W) */
    limit = n <= 2 ? 1 : 2 * ((n + 2) / 3);
    cost = sg_suggest_distance(s->word, candidate);
    if (cost <= limit && (!s->best || cost < s->cost)) {
        s->best = candidate;
        s->cost = cost;
    }
}

const char *sg_suggest_best(const sg_suggest *s)
{
    return s->best;
}
