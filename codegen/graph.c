/*
 * graph.c: the layered layout of a computation graph (see graph.h for the
 * steps and the guarantees).
 *
 * The layout works on "vertices": the nodes, then the dummy vertices of the
 * long edges. Vertical positions are computed as z, growing downward with
 * the row order, and given out as y = −z. Every array is sized from the
 * graph; the only bound is the caller's maxw × maxh, checked before the
 * dummies are made.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/graph.h"
#include "base/arena.h"

/* the gap kept between two dummy slots, and a dummy slot's height (room for
   a few parallel strokes) */
#define DUMMY_GAP 0.15
#define DUMMY_H 0.12
/* between a column's widest box and its ports, where routes turn */
#define PAD 0.2
/* the spacing of the ports on a side of a box, at most and at least: past
   what 0.7 of the box's height holds at the least, the slot grows and the
   ports fan out beyond the box */
#define PORT_STEP 0.14
#define PORT_MIN 0.05
/* between a box and a label beside it, and after the label */
#define LABEL_GAP 0.06
/* the sweeps of the crossing reduction and of the placement */
#define ORDER_SWEEPS 24
#define PLACE_SWEEPS 24

typedef struct {
    sg_graph *g;
    int nv;            /* vertices: nodes, then dummies */
    int *layer, *pos;  /* of each vertex */
    double *h, *z;     /* its slot's height, its center */
    int *lat, *lv;     /* layer l's vertices, in order: lv[lat[l] .. lat[l+1]) */
    int *chain, *cat;  /* edge e's vertices, from … to: chain[cat[e] .. cat[e+1]) */
    /* the neighbours one layer up (left) and down (right), one per segment */
    int *pat, *pv, *sat, *sv;
    double *left, *right; /* each layer's extent left and right of its x */
    double *lx;           /* each layer's x */
    double *labw;         /* each node's widest out-label (0: none) */
    double *ostep;        /* the spacing of each node's out-ports */
} lay;

static int *ialloc(size_t n)
{
    int *p = sg_xmalloc((n + 1) * sizeof *p);
    memset(p, 0, (n + 1) * sizeof *p);
    return p;
}

static double *dalloc(size_t n)
{
    double *p = sg_xmalloc((n + 1) * sizeof *p);
    memset(p, 0, (n + 1) * sizeof *p);
    return p;
}

/* ---- layers ----------------------------------------------------------------- */

/*
 * Longest-path layers by Kahn's order: a node one right of its latest
 * input. A source (an input symbol) is then pulled right to one left of its
 * first reader, so that a datum read late does not cross the page: every
 * other node keeps 1 + the largest layer of its inputs. Returns the number
 * of layers, or −1 on a cycle.
 */
static int layers_of(const sg_graph *g, int *layer)
{
    int n = g->n, ne = g->ne, i, e, head = 0, tail = 0, done = 0, nl = 0;
    int *indeg = ialloc((size_t)n), *nin = ialloc((size_t)n), *outat = ialloc((size_t)n + 1);
    int *out = ialloc((size_t)ne), *queue = ialloc((size_t)n), *fill;
    for (e = 0; e < ne; e++) {
        indeg[g->edge[e].to]++;
        nin[g->edge[e].to]++;
        outat[g->edge[e].from + 1]++;
    }
    for (i = 0; i < n; i++)
        outat[i + 1] += outat[i];
    fill = ialloc((size_t)n);
    memcpy(fill, outat, (size_t)n * sizeof *fill);
    for (e = 0; e < ne; e++)
        out[fill[g->edge[e].from]++] = e;
    free(fill);
    for (i = 0; i < n; i++) {
        layer[i] = 0;
        if (indeg[i] == 0)
            queue[tail++] = i;
    }
    while (head < tail) {
        int u = queue[head++], a;
        done++;
        for (a = outat[u]; a < outat[u + 1]; a++) {
            int v = g->edge[out[a]].to;
            if (layer[u] + 1 > layer[v])
                layer[v] = layer[u] + 1;
            if (--indeg[v] == 0)
                queue[tail++] = v;
        }
    }
    for (i = 0; i < n && done == n; i++) {
        if (nin[i] == 0 && outat[i] < outat[i + 1]) {
            int a, m = -1;
            for (a = outat[i]; a < outat[i + 1]; a++) {
                int v = g->edge[out[a]].to;
                if (m < 0 || layer[v] < m)
                    m = layer[v];
            }
            layer[i] = m - 1;
        }
    }
    for (i = 0; i < n; i++)
        if (layer[i] + 1 > nl)
            nl = layer[i] + 1;
    free(indeg);
    free(nin);
    free(outat);
    free(out);
    free(queue);
    return done == n ? nl : -1;
}

/* ---- the vertices and their neighbours ---------------------------------------------- */

/* a layer's vertices ordered by key, ties by their current position */
typedef struct {
    double key;
    int pos, v;
} keyed;

static int by_key(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static int by_int(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

/* the crossings between layer l and l + 1: the inversions among the
   segments' lower ends, taken in the order of their upper ends, counted
   with a Fenwick tree (Barth, Jünger and Mutzel) */
static long crossings_at(const lay *L, int l, int *buf, int *bit)
{
    int m = 0, i, a, nb = L->lat[l + 2] - L->lat[l + 1];
    long c = 0;
    for (i = L->lat[l]; i < L->lat[l + 1]; i++) {
        int u = L->lv[i], m0 = m;
        for (a = L->sat[u]; a < L->sat[u + 1]; a++)
            buf[m++] = L->pos[L->sv[a]];
        if (m - m0 > 1)
            qsort(buf + m0, (size_t)(m - m0), sizeof *buf, by_int);
    }
    memset(bit, 0, ((size_t)nb + 1) * sizeof *bit);
    for (i = 0; i < m; i++) {
        int k, le = 0; /* how many before are ≤ buf[i] */
        for (k = buf[i] + 1; k > 0; k -= k & -k)
            le += bit[k];
        c += i - le;
        for (k = buf[i] + 1; k <= nb; k += k & -k)
            bit[k]++;
    }
    return c;
}

static long crossings_all(const lay *L, int *buf, int *bit)
{
    long c = 0;
    int l;
    for (l = 0; l + 1 < L->g->nlayers; l++)
        c += crossings_at(L, l, buf, bit);
    return c;
}

/* barycenter sweeps, down then up, keeping the order with fewest crossings */
static void reduce_crossings(lay *L)
{
    int nl = L->g->nlayers, s, l, i, a, maxl = 0;
    int nseg = L->sat[L->nv];
    int *buf = ialloc((size_t)nseg), *bit, *best = ialloc((size_t)L->nv);
    keyed *k;
    long c;
    for (l = 0; l < nl; l++)
        if (L->lat[l + 1] - L->lat[l] > maxl)
            maxl = L->lat[l + 1] - L->lat[l];
    bit = ialloc((size_t)maxl + 1);
    k = sg_xmalloc(((size_t)maxl + 1) * sizeof *k);
    c = crossings_all(L, buf, bit);
    L->g->crossings0 = L->g->crossings = c;
    memcpy(best, L->lv, (size_t)L->nv * sizeof *best);
    for (s = 0; s < ORDER_SWEEPS && L->g->crossings > 0; s++) {
        int down = s % 2 == 0;
        for (l = down ? 1 : nl - 2; down ? l < nl : l >= 0; l += down ? 1 : -1) {
            int n = L->lat[l + 1] - L->lat[l];
            for (i = 0; i < n; i++) {
                int v = L->lv[L->lat[l] + i], lo = down ? L->pat[v] : L->sat[v];
                int hi = down ? L->pat[v + 1] : L->sat[v + 1];
                const int *nb = down ? L->pv : L->sv;
                double sum = 0;
                for (a = lo; a < hi; a++)
                    sum += L->pos[nb[a]];
                k[i].key = hi > lo ? sum / (hi - lo) : L->pos[v];
                k[i].pos = i;
                k[i].v = v;
            }
            qsort(k, (size_t)n, sizeof *k, by_key);
            for (i = 0; i < n; i++) {
                L->lv[L->lat[l] + i] = k[i].v;
                L->pos[k[i].v] = i;
            }
        }
        c = crossings_all(L, buf, bit);
        if (c < L->g->crossings) {
            L->g->crossings = c;
            memcpy(best, L->lv, (size_t)L->nv * sizeof *best);
        }
    }
    memcpy(L->lv, best, (size_t)L->nv * sizeof *best);
    for (l = 0; l < nl; l++)
        for (i = L->lat[l]; i < L->lat[l + 1]; i++)
            L->pos[L->lv[i]] = i - L->lat[l];
    free(buf);
    free(bit);
    free(best);
    free(k);
}

/* ---- coordinates ----------------------------------------------------------------- */

/* the least distance between the centers of vertices a and b, adjacent in a layer */
static double sep(const lay *L, int a, int b)
{
    int n = L->g->n;
    return (L->h[a] + L->h[b]) / 2 + (a >= n && b >= n ? DUMMY_GAP : SG_GRAPH_VGAP);
}

/*
 * Layer l's centers as near the wanted d[] as their order and spacing
 * allow, in least squares: with c_i the least offset of vertex i from the
 * first, u_i = z_i − c_i must not decrease, and the nearest such u to
 * d_i − c_i is the isotonic regression, by pooling adjacent violators.
 */
static void place_layer(lay *L, int l, const double *d, double *c, double *bsum, int *bn,
                        int *bstart)
{
    int n = L->lat[l + 1] - L->lat[l], i, nb = 0, b;
    const int *v = L->lv + L->lat[l];
    for (i = 0; i < n; i++) {
        c[i] = i == 0 ? 0 : c[i - 1] + sep(L, v[i - 1], v[i]);
        bsum[nb] = d[i] - c[i];
        bn[nb] = 1;
        bstart[nb++] = i;
        while (nb > 1 && bsum[nb - 2] / bn[nb - 2] > bsum[nb - 1] / bn[nb - 1]) {
            bsum[nb - 2] += bsum[nb - 1];
            bn[nb - 2] += bn[nb - 1];
            nb--;
        }
    }
    for (b = 0; b < nb; b++)
        for (i = bstart[b]; i < bstart[b] + bn[b]; i++)
            L->z[v[i]] = bsum[b] / bn[b] + c[i];
}

static void place(lay *L)
{
    int nl = L->g->nlayers, l, i, a, s, maxl = 0;
    double *d, *c, *bsum;
    int *bn, *bstart;
    for (l = 0; l < nl; l++)
        if (L->lat[l + 1] - L->lat[l] > maxl)
            maxl = L->lat[l + 1] - L->lat[l];
    d = dalloc((size_t)maxl);
    c = dalloc((size_t)maxl);
    bsum = dalloc((size_t)maxl);
    bn = ialloc((size_t)maxl);
    bstart = ialloc((size_t)maxl);
    for (l = 0; l < nl; l++) { /* packed, each layer centered on 0 */
        int n = L->lat[l + 1] - L->lat[l];
        for (i = 0; i < n; i++)
            d[i] = 0;
        place_layer(L, l, d, c, bsum, bn, bstart);
    }
    for (s = 0; s < PLACE_SWEEPS; s++) {
        int down = s % 2 == 0;
        for (l = down ? 0 : nl - 1; down ? l < nl : l >= 0; l += down ? 1 : -1) {
            int n = L->lat[l + 1] - L->lat[l];
            for (i = 0; i < n; i++) {
                int v = L->lv[L->lat[l] + i], m = 0;
                double sum = 0;
                for (a = L->pat[v]; a < L->pat[v + 1]; a++, m++)
                    sum += L->z[L->pv[a]];
                for (a = L->sat[v]; a < L->sat[v + 1]; a++, m++)
                    sum += L->z[L->sv[a]];
                d[i] = m ? sum / m : L->z[v];
            }
            place_layer(L, l, d, c, bsum, bn, bstart);
        }
    }
    free(d);
    free(c);
    free(bsum);
    free(bn);
    free(bstart);
}

/*
 * A long edge placed by springs climbs a little at every gap. Where its
 * slots can all be moved to one height (each stays between its neighbours
 * in its layer, with their spacing), it runs level and turns only at its
 * ends: level with its target if it can be (it turns as it leaves), else
 * with its source, else at the height nearest its slots' mean.
 */
static void straighten(lay *L)
{
    const sg_graph *g = L->g;
    int e, i;
    for (e = 0; e < g->ne; e++) {
        int first = L->cat[e] + 1, last = L->cat[e + 1] - 2; /* the dummies */
        double lo = -1e300, hi = 1e300, mean = 0, want;
        if (first > last)
            continue;
        for (i = first; i <= last; i++) {
            int d = L->chain[i], l = L->layer[d], p = L->pos[d];
            mean += L->z[d] / (last - first + 1);
            if (p > 0) {
                int u = L->lv[L->lat[l] + p - 1];
                if (L->z[u] + sep(L, u, d) > lo)
                    lo = L->z[u] + sep(L, u, d);
            }
            if (L->lat[l] + p + 1 < L->lat[l + 1]) {
                int w = L->lv[L->lat[l] + p + 1];
                if (L->z[w] - sep(L, d, w) < hi)
                    hi = L->z[w] - sep(L, d, w);
            }
        }
        if (lo > hi + 1e-9)
            continue;
        want = L->z[L->chain[last + 1]];
        if (want < lo - 1e-9 || want > hi + 1e-9)
            want = L->z[L->chain[first - 1]];
        if (want < lo - 1e-9 || want > hi + 1e-9)
            want = mean < lo ? lo : mean > hi ? hi : mean;
        for (i = first; i <= last; i++)
            L->z[L->chain[i]] = want;
    }
}

/* ---- routes ---------------------------------------------------------------------- */

typedef struct {
    double key;
    int e, other;
} port;

static int by_port(const void *pa, const void *pb)
{
    const port *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->e > b->e) - (a->e < b->e);
}

/* the z offset of each edge's port on one side of node v: spread by step,
   in the order of the vertices they come from or go to */
static void ports(port *p, int k, double step, double *off)
{
    int i;
    if (k > 1)
        qsort(p, (size_t)k, sizeof *p, by_port);
    for (i = 0; i < k; i++)
        off[p[i].e] = (i - (k - 1) / 2.0) * step;
}

static double in_step(const sg_gnode *nd, int k)
{
    double s = k > 1 ? 0.7 * nd->h / (k - 1) : 0;
    if (k > 1 && s < PORT_MIN)
        s = PORT_MIN;
    return s < PORT_STEP ? s : PORT_STEP;
}

static void box_add(sg_graph *g, double x0, double y0, double x1, double y1, int *first)
{
    if (*first || x0 < g->x0)
        g->x0 = x0;
    if (*first || y0 < g->y0)
        g->y0 = y0;
    if (*first || x1 > g->x1)
        g->x1 = x1;
    if (*first || y1 > g->y1)
        g->y1 = y1;
    *first = 0;
}

static void routes(lay *L)
{
    sg_graph *g = L->g;
    int n = g->n, ne = g->ne, e, v, i, first = 1;
    double *inoff = dalloc((size_t)ne), *outoff = dalloc((size_t)ne);
    int *inat = ialloc((size_t)n + 1), *outat = ialloc((size_t)n + 1);
    port *p = sg_xmalloc(((size_t)ne + 1) * sizeof *p);
    for (e = 0; e < ne; e++) {
        inat[g->edge[e].to + 1]++;
        outat[g->edge[e].from + 1]++;
    }
    for (v = 0; v < n; v++) {
        inat[v + 1] += inat[v];
        outat[v + 1] += outat[v];
    }
    {   /* each side's edges, then their ports */
        int *ein = ialloc((size_t)ne), *eout = ialloc((size_t)ne);
        int *fi = ialloc((size_t)n), *fo = ialloc((size_t)n);
        memcpy(fi, inat, (size_t)n * sizeof *fi);
        memcpy(fo, outat, (size_t)n * sizeof *fo);
        for (e = 0; e < ne; e++) {
            ein[fi[g->edge[e].to]++] = e;
            eout[fo[g->edge[e].from]++] = e;
        }
        for (v = 0; v < n; v++) { /* out-ports in the order of where they go */
            int k = 0, a;
            for (a = outat[v]; a < outat[v + 1]; a++, k++) {
                int ee = eout[a];
                p[k].e = ee;
                p[k].key = L->z[L->chain[L->cat[ee] + 1]];
            }
            ports(p, k, L->labw[v] > 0 ? L->ostep[v] : in_step(&g->node[v], k), outoff);
        }
        for (v = 0; v < n; v++) { /* in-ports in the order of the points they come from */
            int k = 0, a;
            for (a = inat[v]; a < inat[v + 1]; a++, k++) {
                int ee = ein[a], c = L->cat[ee + 1] - 2;
                p[k].e = ee;
                p[k].key = L->z[L->chain[c]] + (c == L->cat[ee] ? outoff[ee] : 0);
            }
            ports(p, k, in_step(&g->node[v], k), inoff);
        }
        free(ein);
        free(eout);
        free(fi);
        free(fo);
    }
    for (v = 0; v < n; v++) {
        sg_gnode *nd = &g->node[v];
        nd->layer = L->layer[v];
        nd->order = L->pos[v];
        nd->x = L->lx[nd->layer];
        nd->y = -L->z[v];
        box_add(g, nd->x - nd->w / 2, nd->y - nd->h / 2, nd->x + nd->w / 2, nd->y + nd->h / 2,
                &first);
    }
    for (e = 0; e < ne; e++) {
        sg_gedge *ed = &g->edge[e];
        const sg_gnode *a = &g->node[ed->from], *b = &g->node[ed->to];
        int span = L->cat[e + 1] - L->cat[e] - 1, lab = L->labw[ed->from] > 0, m = 0;
        int cap = 2 * span + 3;
        double pz = L->z[ed->from] + outoff[e];
        ed->px = sg_xmalloc((size_t)cap * sizeof *ed->px);
        ed->py = sg_xmalloc((size_t)cap * sizeof *ed->py);
        ed->curve = sg_xmalloc((size_t)cap);
#define PT(X, Z, C) (ed->px[m] = (X), ed->py[m] = -(Z), ed->curve[m++] = (unsigned char)(C))
        PT(a->x, L->z[ed->from], 0);
        if (lab) /* along the labels, horizontally, from just past the box */
            PT(a->x + a->w / 2 + LABEL_GAP / 2, pz, 0);
        PT(L->lx[a->layer] + L->right[a->layer] + PAD, pz, 0);
        for (i = L->cat[e] + 1; i < L->cat[e + 1] - 1; i++) {
            int d = L->chain[i], l = L->layer[d];
            PT(L->lx[l] - L->left[l] - PAD, L->z[d], 1);
            PT(L->lx[l] + L->right[l] + PAD, L->z[d], 0);
        }
        PT(L->lx[b->layer] - L->left[b->layer] - PAD, L->z[ed->to] + inoff[e], 1);
        PT(b->x, L->z[ed->to], 0);
#undef PT
        ed->npts = m;
        ed->lx = ed->ly = 0;
        if (ed->lw > 0) {
            ed->lx = a->x + a->w / 2 + LABEL_GAP + ed->lw / 2;
            ed->ly = -pz;
            box_add(g, ed->lx - ed->lw / 2, ed->ly - ed->lh / 2, ed->lx + ed->lw / 2,
                    ed->ly + ed->lh / 2, &first);
        }
        for (i = 0; i < m; i++)
            box_add(g, ed->px[i], ed->py[i], ed->px[i], ed->py[i], &first);
    }
    free(inoff);
    free(outoff);
    free(inat);
    free(outat);
    free(p);
}

/* ---- the whole ------------------------------------------------------------------- */

static void lay_free(lay *L)
{
    free(L->layer);
    free(L->pos);
    free(L->h);
    free(L->z);
    free(L->lat);
    free(L->lv);
    free(L->chain);
    free(L->cat);
    free(L->pat);
    free(L->pv);
    free(L->sat);
    free(L->sv);
    free(L->left);
    free(L->right);
    free(L->lx);
    free(L->labw);
    free(L->ostep);
}

/*
 * The nodes' slots and the columns' extents: each node's height with its
 * ports and its out-edges' labels stacked (L->h), each column's half-widths
 * left and right of its axis (labels go right), and the drawing's bounds
 * before any placing (*wbound, *hbound).
 */
static void extents(lay *L, int nl, double *wbound, double *hbound)
{
    const sg_graph *g = L->g;
    int n = g->n, ne = g->ne, e, v, l;
    int *nout = ialloc((size_t)n), *nin = ialloc((size_t)n);
    double *colh = dalloc((size_t)nl), *hs = dalloc((size_t)n), *lh = dalloc((size_t)n);
    for (e = 0; e < ne; e++) {
        nout[g->edge[e].from]++;
        nin[g->edge[e].to]++;
    }
    L->labw = dalloc((size_t)n);
    L->ostep = dalloc((size_t)n);
    L->left = dalloc((size_t)nl);
    L->right = dalloc((size_t)nl);
    L->lx = dalloc((size_t)nl);
    for (e = 0; e < ne; e++) { /* a node with labelled out-edges stacks them one label apart */
        const sg_gedge *ed = &g->edge[e];
        if (ed->lw > 0) {
            if (ed->lw > L->labw[ed->from])
                L->labw[ed->from] = ed->lw;
            if (ed->lh > lh[ed->from])
                lh[ed->from] = ed->lh;
        }
    }
    for (v = 0; v < n; v++) {
        double r, fan = (double)(nin[v] > nout[v] ? nin[v] : nout[v]) - 1;
        hs[v] = g->node[v].h;
        if (fan * PORT_MIN > hs[v]) /* the ports' fan, with a port's room at each end */
            hs[v] = fan * PORT_MIN + 2 * PORT_MIN;
        if (L->labw[v] > 0) {
            L->ostep[v] = lh[v] + LABEL_GAP;
            if ((nout[v] - 1) * L->ostep[v] + lh[v] > hs[v])
                hs[v] = (nout[v] - 1) * L->ostep[v] + lh[v];
        }
        l = L->layer[v];
        if (g->node[v].w / 2 > L->left[l])
            L->left[l] = g->node[v].w / 2;
        r = g->node[v].w / 2 + (L->labw[v] > 0 ? 2 * LABEL_GAP + L->labw[v] : 0);
        if (r > L->right[l])
            L->right[l] = r;
        colh[l] += hs[v] + (colh[l] > 0 ? SG_GRAPH_VGAP : 0);
    }
    for (l = 0; l < nl; l++) {
        *wbound += L->left[l] + L->right[l] + (l > 0 ? 2 * PAD + SG_GRAPH_HGAP : 0);
        if (colh[l] > *hbound)
            *hbound = colh[l];
    }
    L->h = hs;
    free(lh);
    free(colh);
    free(nout);
    free(nin);
}

/* the vertices: nodes, then each long edge's nd dummies, one per layer it
   crosses; every edge becomes a chain of vertices (L->chain from L->cat[e]) */
static void chains(lay *L, long nd)
{
    const sg_graph *g = L->g;
    int n = g->n, ne = g->ne, e, l, v;
    L->nv = n + (int)nd;
    L->layer = sg_xrealloc(L->layer, ((size_t)L->nv + 1) * sizeof *L->layer);
    L->h = sg_xrealloc(L->h, ((size_t)L->nv + 1) * sizeof *L->h);
    L->cat = ialloc((size_t)ne + 1);
    L->chain = ialloc((size_t)(ne + nd + ne));
    v = n;
    for (e = 0; e < ne; e++) {
        int k = L->cat[e], a = L->layer[g->edge[e].from], b = L->layer[g->edge[e].to];
        L->chain[k++] = g->edge[e].from;
        for (l = a + 1; l < b; l++) {
            L->layer[v] = l;
            L->h[v] = DUMMY_H;
            L->chain[k++] = v++;
        }
        L->chain[k++] = g->edge[e].to;
        L->cat[e + 1] = k;
    }
}

/* the neighbours, one per segment of a chain: successors L->sv from
   L->sat[v], predecessors L->pv from L->pat[v] */
static void neighbours(lay *L)
{
    int ne = L->g->ne, e, i, v, *fs, *fp;
    L->pat = ialloc((size_t)L->nv + 1);
    L->sat = ialloc((size_t)L->nv + 1);
    for (e = 0; e < ne; e++)
        for (i = L->cat[e]; i + 1 < L->cat[e + 1]; i++) {
            L->sat[L->chain[i] + 1]++;
            L->pat[L->chain[i + 1] + 1]++;
        }
    for (v = 0; v < L->nv; v++) {
        L->sat[v + 1] += L->sat[v];
        L->pat[v + 1] += L->pat[v];
    }
    L->sv = ialloc((size_t)L->sat[L->nv]);
    L->pv = ialloc((size_t)L->pat[L->nv]);
    fs = ialloc((size_t)L->nv);
    fp = ialloc((size_t)L->nv);
    memcpy(fs, L->sat, (size_t)L->nv * sizeof *fs);
    memcpy(fp, L->pat, (size_t)L->nv * sizeof *fp);
    for (e = 0; e < ne; e++)
        for (i = L->cat[e]; i + 1 < L->cat[e + 1]; i++) {
            L->sv[fs[L->chain[i]]++] = L->chain[i + 1];
            L->pv[fp[L->chain[i + 1]]++] = L->chain[i];
        }
    free(fs);
    free(fp);
}

/* the layers, first in the order given: nodes by index, then dummies */
static void first_order(lay *L, int nl)
{
    int v, l, *fill;
    L->lat = ialloc((size_t)nl + 1);
    L->lv = ialloc((size_t)L->nv);
    L->pos = ialloc((size_t)L->nv);
    L->z = dalloc((size_t)L->nv);
    for (v = 0; v < L->nv; v++)
        L->lat[L->layer[v] + 1]++;
    for (l = 0; l < nl; l++)
        L->lat[l + 1] += L->lat[l];
    fill = ialloc((size_t)nl);
    memcpy(fill, L->lat, (size_t)nl * sizeof *fill);
    for (v = 0; v < L->nv; v++) {
        L->pos[v] = fill[L->layer[v]] - L->lat[L->layer[v]];
        L->lv[fill[L->layer[v]]++] = v;
    }
    free(fill);
}

int sg_graph_layout(sg_graph *g, double maxw, double maxh)
{
    lay L;
    int n = g->n, ne = g->ne, nl, e, l;
    long nd = 0;
    double wbound = 0, hbound = 0;
    memset(&L, 0, sizeof L);
    L.g = g;
    g->nlayers = g->ndummies = 0;
    g->x0 = g->y0 = g->x1 = g->y1 = 0;
    g->crossings0 = g->crossings = 0;
    sg_graph_free(g); /* an earlier layout's routes */
    for (e = 0; e < ne; e++) {
        if (g->edge[e].from < 0 || g->edge[e].from >= n || g->edge[e].to < 0 ||
            g->edge[e].to >= n || g->edge[e].from == g->edge[e].to)
            return SG_GRAPH_CYCLE;
    }
    L.layer = ialloc((size_t)n);
    nl = layers_of(g, L.layer);
    if (nl < 0) {
        free(L.layer);
        return SG_GRAPH_CYCLE;
    }
    g->nlayers = nl;
    extents(&L, nl, &wbound, &hbound);
    for (e = 0; e < ne; e++)
        nd += L.layer[g->edge[e].to] - L.layer[g->edge[e].from] - 1;
    /* (and a count of dummies past what an int indexes is too big, bound or not) */
    if ((maxw > 0 && wbound > maxw) || (maxh > 0 && hbound > maxh) ||
        nd > (long)(INT_MAX / 4) - 2L * ne - n) {
        g->x1 = wbound;
        g->y1 = hbound;
        lay_free(&L);
        return SG_GRAPH_TOO_BIG;
    }
    g->ndummies = (int)nd;
    chains(&L, nd);
    neighbours(&L);
    first_order(&L, nl);
    reduce_crossings(&L);
    place(&L);
    straighten(&L);
    straighten(&L); /* again: levelling one edge can free another */
    for (l = 0; l < nl; l++)
        L.lx[l] = l == 0 ? 0
                         : L.lx[l - 1] + L.right[l - 1] + 2 * PAD + SG_GRAPH_HGAP + L.left[l];
    routes(&L);
    lay_free(&L);
    return SG_GRAPH_OK;
}

void sg_graph_free(sg_graph *g)
{
    int e;
    for (e = 0; e < g->ne; e++) {
        free(g->edge[e].px);
        free(g->edge[e].py);
        free(g->edge[e].curve);
        g->edge[e].px = g->edge[e].py = NULL;
        g->edge[e].curve = NULL;
        g->edge[e].npts = 0;
    }
}
