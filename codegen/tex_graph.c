/*
 * tex_graph.c: the computation graph of a function, in TikZ.
 *
 * The layout is graph.h's (layered, left to right); this file decides what
 * the nodes are (inputs as boxes, stations as circles, the differentiated
 * quantity doubled), how big each is drawn (from an estimate of its TeX
 * text), and how the paths of a symbol reached along several are shown:
 * in the symbol's color along their whole length, first edges numbered,
 * then listed in words. Everything here grows with the graph; only the
 * drawing has a limit, the page (TEX_GRAPH_WIDTH by TEX_GRAPH_HEIGHT, down
 * to GRAPH_SCALE), past which the text says what it would show.
 */
#include "tex.h"

#include <math.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../base/grow.h"
#include "graph.h"

/* ---- the computation graph ------------------------------------------------------ */

/* a node of the drawn graph; its inputs are edges, numbered by slot */
typedef struct {
    const sg_expr *e;
    int nin, capin;
    int *in;      /* indices of its inputs among the graph's nodes, an edge each */
    int *no;      /* each edge's number, when it is a path's of a multi-path symbol */
    int mi;       /* its index among the multi-path symbols, or −1 */
} gnode;

/* the readers of each node, the graph read backwards: the edges (node j,
   slot k) out of node i are rj[at[i]..at[i+1]), rk[…] */
typedef struct {
    int *at, *rj, *rk;
} greaders;

/* the smallest scale a graph is drawn at (its room: TEX_GRAPH_WIDTH, tex.h) */
#define GRAPH_SCALE 0.5
/* the paths listed for a symbol reached along several, and their most edges */
#define PATHS_LISTED 8
/* the symbols reached along several paths whose paths are listed */
#define MULTI_LISTED 20
#define PATH_EDGES 60

/* colors for the paths of the symbols reached along several */
static const char *const path_colors[] = {"blue!70!black", "red!70!black", "green!50!black",
                                          "orange!80!black", "violet"};
/* and, past five symbols, the same colors dashed, then dotted */
static const char *const path_dashes[] = {"", ", dashed", ", densely dotted"};
/* the same, in words */
static const char *const path_names[] = {"blue", "red", "green", "orange", "violet"};
static const char *const path_dash_words[] = {"", "dashed ", "dotted "};

static void gnode_add_input(gnode *g, int from)
{
    if (g->nin == g->capin) {
        SG_GROW(g->in, g->nin, g->capin, SG_GROW_MAX, "inputs of a graph node");
        g->no = sg_xrealloc(g->no, (size_t)g->capin * sizeof *g->no); /* the same size */
    }
    g->no[g->nin] = 0;
    g->in[g->nin++] = from;
}

static void greaders_build(greaders *r, const gnode *gn, int ngn)
{
    int i, k, *fill;
    r->at = sg_xmalloc(((size_t)ngn + 1) * sizeof *r->at);
    memset(r->at, 0, ((size_t)ngn + 1) * sizeof *r->at);
    for (i = 0; i < ngn; i++)
        for (k = 0; k < gn[i].nin; k++)
            r->at[gn[i].in[k] + 1]++;
    for (i = 0; i < ngn; i++)
        r->at[i + 1] += r->at[i];
    r->rj = sg_xmalloc(((size_t)r->at[ngn] + 1) * sizeof *r->rj);
    r->rk = sg_xmalloc(((size_t)r->at[ngn] + 1) * sizeof *r->rk);
    fill = sg_xmalloc(((size_t)ngn + 1) * sizeof *fill);
    memcpy(fill, r->at, (size_t)ngn * sizeof *fill);
    for (i = 0; i < ngn; i++) /* by reader, then slot: the order of the old scan */
        for (k = 0; k < gn[i].nin; k++) {
            int at = fill[gn[i].in[k]]++;
            r->rj[at] = i;
            r->rk[at] = k;
        }
    free(fill);
}

static void greaders_free(greaders *r)
{
    free(r->at);
    free(r->rj);
    free(r->rk);
}

/* the paths from node i to the root (index root), as lists of edges
   (node, input slot) in pairs, up to cap; dist[] prunes what cannot reach
   the root within PATH_EDGES */
static int paths_from(const greaders *r, int i, int root, int *stack, int depth, int **paths,
                      int *lens, int cap, int np, const int *dist)
{
    int a;
    if (np >= cap) /* enough to list: count_paths() counts them */
        return np;
    if (i == root) {
        paths[np] = sg_xmalloc((size_t)(2 * depth + 1) * sizeof **paths);
        memcpy(paths[np], stack, (size_t)(2 * depth) * sizeof *stack);
        lens[np] = depth;
        return np + 1;
    }
    if (depth >= PATH_EDGES)
        return np;
    for (a = r->at[i]; a < r->at[i + 1]; a++) {
        int j = r->rj[a];
        /* only toward the root: every step taken is on a path that reaches
           it within PATH_EDGES, so the walk ends after cap paths */
        if (dist[j] < PATH_EDGES && depth + 1 + dist[j] <= PATH_EDGES) {
            stack[2 * depth] = j;
            stack[2 * depth + 1] = r->rk[a];
            np = paths_from(r, j, root, stack, depth + 1, paths, lens, cap, np, dist);
        }
    }
    return np;
}

/* the number of paths from node i to the root (there can be 2^n of them),
   and in dist[i] the length of the shortest (ngn + 1: none); the graph is
   one level per station, so the recursion is as deep as the longest chain
   of stations */
static double count_paths(const greaders *r, int ngn, int i, int root, double *memo, int *dist)
{
    int a;
    double n = 0;
    if (i == root) {
        dist[i] = 0;
        return 1;
    }
    if (memo[i] >= 0)
        return memo[i];
    memo[i] = 0; /* no cycles, but never loop */
    dist[i] = ngn + 1;
    for (a = r->at[i]; a < r->at[i + 1]; a++) {
        int j = r->rj[a];
        n += count_paths(r, ngn, j, root, memo, dist);
        if (dist[j] + 1 < dist[i])
            dist[i] = dist[j] + 1;
    }
    memo[i] = n;
    return n;
}
/* a count of paths in words: "two", "1024", "about 3.3 \times 10^{150}" */
static const char *paths_word(tex_doc *x, double n)
{
    int e = 0;
    if (n < 1e9)
        return tex_count_word(x, (int)n);
    if (!(n < 1e300)) /* or infinite */
        return "more than $10^{300}$";
    while (n >= 10) {
        n /= 10;
        e++;
    }
    return sg_arena_printf(x->ar, "about $%.1f\\times 10^{%d}$", n, e);
}

/* the name of a graph node */
const char *tex_gname(tex_doc *x, const sg_expr *e)
{
    const tex_node *n = e->id < x->nni ? &x->ni[e->id] : NULL;
    if (n && n->fwd)
        return n->fwd;
    return tex_str(x, e, TEX_M_FWD, 0);
}

/* is e differentiated with respect to? */
static int is_wrt(tex_doc *x, const sg_expr *e)
{
    int t;
    if (e->op != SG_OP_VAR)
        return 0;
    if (!x->wrtsym) { /* once: a flag per symbol, not a scan per node */
        int n = sg_sym_count(x->ctx), k;
        x->wrtsym = sg_xmalloc((size_t)n + 1);
        memset(x->wrtsym, 0, (size_t)n + 1);
        for (t = 0; t < x->p->nresults; t++) {
            const sg_result *r = &x->p->results[t];
            if (r->wrt && (k = sg_sym_find(x->ctx, r->wrt)) >= 0 && k < n)
                x->wrtsym[k] = 1;
            if (r->wrt2 && (k = sg_sym_find(x->ctx, r->wrt2)) >= 0 && k < n)
                x->wrtsym[k] = 1;
        }
    }
    return e->sym >= 0 && e->sym < sg_sym_count(x->ctx) && x->wrtsym[e->sym];
}

/*
 * The width of a node's TeX text at 11pt, in cm, a little generous: the
 * layout reserves it, and the node is drawn at least this big. A glyph is
 * counted 0.2 cm (a capital 0.25), a sub- or superscript 0.7 of that; a
 * command is a glyph (\lambda) unless it only styles what follows.
 */
double tex_label_size(const char *s, double *height)
{
    static const char *const styling[] = {"operatorname", "mathrm", "mathit", "mathbf",
                                          "boldsymbol", "mathcal", "mathsf", "mathtt", "text",
                                          "bar", "hat", "tilde", "vec", "mathbb", "left",
                                          "right", "top"};
    double w = 0, scale = 1;
    int depth = 0, scdepth = -1, pending = 0;
    *height = 0.4;
    while (*s) {
        double glyph = 0;
        if (*s == '\\') {
            size_t n = 0, q;
            int style = 0;
            s++;
            while (s[n] >= 'a' && s[n] <= 'z') /* (and A-Z) */
                n++;
            while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))
                n++;
            for (q = 0; q < sizeof styling / sizeof *styling; q++)
                style |= strlen(styling[q]) == n && !strncmp(s, styling[q], n);
            glyph = style ? 0 : n ? 0.22 : 0.1;
            if (!strncmp(s, "top", 3) && n == 3)
                glyph = 0.2;
            s += n ? n : 1;
        } else if (*s == '_' || *s == '^') {
            pending = 1;
            *height = 0.55;
            s++;
            continue;
        } else if (*s == '{') {
            depth++;
            if (pending) {
                scdepth = depth;
                scale = 0.7;
                pending = 0;
            }
            s++;
            continue;
        } else if (*s == '}') {
            if (depth == scdepth) {
                scdepth = -1;
                scale = 1;
            }
            depth--;
            s++;
            continue;
        } else if (*s == ' ') {
            s++;
            continue;
        } else {
            glyph = (*s >= 'A' && *s <= 'Z') ? 0.25 : 0.2;
            if ((unsigned char)*s >= 0x80) /* a UTF-8 sequence, one glyph */
                while ((unsigned char)s[1] >= 0x80 && ((unsigned char)s[1] & 0xC0) == 0x80)
                    s++;
            s++;
        }
        w += glyph * (pending ? 0.7 : scale);
        pending = 0;
    }
    return w;
}

/* the TikZ style of a graph node */
static const char *gstyle(tex_doc *x, const sg_expr *e, const sg_expr *root, int station)
{
    return e == root ? "result" : station ? "value" : is_wrt(x, e) ? "input" : "data";
}

/* a value whose name is wider than this is drawn as a pill, not a circle
   that would dwarf its neighbours */
#define PILL_TEXT 0.6

/* the box a node is drawn in, as TikZ makes it from the styles below;
   returns whether a value is a pill */
int tex_gbox(const char *style, const char *tex, double *w, double *h)
{
    double th, tw = tex_label_size(tex, &th);
    if ((style[0] == 'v' || style[0] == 'r') && tw > PILL_TEXT) {
        *w = tw + 0.35;
        *h = 0.75;
        if (style[0] == 'r') { /* double and thick */
            *w += 0.12;
            *h += 0.12;
        }
        return 1;
    }
    if (style[0] == 'v' || style[0] == 'r') { /* a circle round the text */
        double d = sqrt(tw * tw + th * th) + 0.08;
        if (d < 0.75)
            d = 0.75;
        if (style[0] == 'r')
            d += 0.12;
        *w = *h = d;
    } else {
        *w = tw + 0.16 < 0.65 ? 0.65 : tw + 0.16;
        *h = th + 0.16 < 0.65 ? 0.65 : th + 0.16;
    }
    return 0;
}

/* the inputs first in the order they are declared (a layer's order starts
   from it), then by first use */
static int by_decl(const void *pa, const void *pb)
{
    const sg_expr *a = *(const sg_expr *const *)pa, *b = *(const sg_expr *const *)pb;
    long ka = a->op == SG_OP_VAR ? (long)a->sym : 1000000000L + (long)a->id;
    long kb = b->op == SG_OP_VAR ? (long)b->sym : 1000000000L + (long)b->id;
    if (ka != kb)
        return (ka > kb) - (ka < kb);
    return (a->id > b->id) - (a->id < b->id);
}

/* an edge's route as a TikZ path: straight in the columns, S-curves with
   horizontal ends across the gaps */
static void print_route(sg_buf *b, const sg_gedge *ed, const sg_gnode *a, int from, int to)
{
    int i = 1;
    if (ed->lw > 0 && fabs(ed->py[1] - a->y) <= 0.4 * a->h) {
        /* a numbered edge leaves the box's side at its label's height,
           horizontally (the layout's first piece, from the center, is
           inside the box) */
        sg_buf_printf(b, "(n%d.east |- 0,%.2f) -- (%.2f,%.2f)", from, ed->py[1], ed->px[1],
                      ed->py[1]);
        i = 2;
    } else {
        sg_buf_printf(b, "(n%d)", from);
    }
    for (; i < ed->npts; i++) {
        if (ed->curve[i]) {
            double xm = (ed->px[i - 1] + ed->px[i]) / 2;
            sg_buf_printf(b, " .. controls (%.2f,%.2f) and (%.2f,%.2f) ..", xm, ed->py[i - 1],
                          xm, ed->py[i]);
        } else {
            sg_buf_puts(b, " --");
        }
        if (i == ed->npts - 1)
            sg_buf_printf(b, " (n%d)", to);
        else
            sg_buf_printf(b, " (%.2f,%.2f)", ed->px[i], ed->py[i]);
    }
}

/* a contribution to kid that came through station st, by node ids */
typedef struct {
    unsigned kid, st;
} idpair;

static int by_pair(const void *pa, const void *pb)
{
    const idpair *a = pa, *b = pb;
    if (a->kid != b->kid)
        return a->kid < b->kid ? -1 : 1;
    return a->st < b->st ? -1 : a->st > b->st;
}

/* how many of pairs[0..n) (sorted) are (kid, st): two binary searches, so
   a symbol read by 10,000 stations costs 10,000 log steps, not 10,000² */
static int pair_count(const idpair *pairs, int n, unsigned kid, unsigned st)
{
    idpair key;
    int lo = 0, hi = n, first;
    key.kid = kid;
    key.st = st;
    while (lo < hi) { /* the first not below key */
        int mid = lo + (hi - lo) / 2;
        if (by_pair(&pairs[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    first = lo;
    hi = n;
    while (lo < hi) { /* the first above key */
        int mid = lo + (hi - lo) / 2;
        if (by_pair(&pairs[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - first;
}

/* a graph being drawn: its nodes (the stations first), their readers, the
   layout, and which edges lie on the paths of the multi-path symbols */
typedef struct {
    const sg_expr *root;
    const sg_expr *const *multi; /* the symbols reached along several paths */
    int nmulti;
    gnode *gn;
    int ngn, capgn, nst;  /* nodes; the first nst are the stations */
    int iroot, nedges;
    greaders rd;
    sg_graph g;
    int rc;               /* sg_graph_layout()'s answer */
    int *eno;             /* each layout edge: its node, its slot */
    int *lix;             /* each graph node's index in the layout */
    unsigned char *reach; /* [m * ngn + i]: multi[m] reaches node i */
    unsigned char *toroot;
    double scale;
    int drawn;
    int pills;            /* values drawn as pills */
} graph_fig;

/* the nodes: the stations, then the inputs they read, each input once per
   contribution the backward pass sg pushed through the station */
static void graph_nodes(tex_doc *x, graph_fig *f, tex_seg *sg, const sg_expr **st)
{
    tex_list in = {NULL, 0, 0};
    int i, j, k, nst = f->nst;
    int *gidx;
    unsigned *seen, nseen = sg_expr_count(x->ctx) + 1;
    const sg_expr **thr = NULL;
    idpair *pairs = NULL;
    int npairs = 0;
    f->capgn = nst + 8;
    f->gn = sg_xmalloc((size_t)f->capgn * sizeof *f->gn);
    if (nseen > x->ngseen) { /* the document's marks, grown to the nodes made so far */
        x->gseen = sg_xrealloc(x->gseen, (size_t)nseen * sizeof *x->gseen);
        x->gidx = sg_xrealloc(x->gidx, (size_t)nseen * sizeof *x->gidx);
        memset(x->gseen + x->ngseen, 0, (nseen - x->ngseen) * sizeof *x->gseen);
        memset(x->gidx + x->ngseen, 0, (nseen - x->ngseen) * sizeof *x->gidx);
        x->ngseen = nseen;
    }
    if (x->gstamp > UINT_MAX - (unsigned)nst - 1) { /* the stamps would wrap: marks anew */
        memset(x->gseen, 0, x->ngseen * sizeof *x->gseen);
        x->gstamp = 0;
    }
    seen = x->gseen;
    gidx = x->gidx; /* node id → graph index + 1 */
    if (sg) { /* the station each contribution came through, once, as
                 (kid, station) pairs sorted for counting */
        thr = sg_xmalloc(((size_t)sg->ne + 1) * sizeof *thr);
        pairs = sg_xmalloc(((size_t)sg->ne + 1) * sizeof *pairs);
        for (i = 0; i < sg->ne; i++) {
            thr[i] = tex_through(sg, sg->e[i].node);
            if (thr[i]) {
                pairs[npairs].kid = sg->e[i].to->id;
                pairs[npairs].st = thr[i]->id;
                npairs++;
            }
        }
        qsort(pairs, (size_t)npairs, sizeof *pairs, by_pair);
    }
    /* nodes: the stations, then the inputs they read */
    for (i = 0; i < nst; i++) {
        memset(&f->gn[f->ngn], 0, sizeof f->gn[f->ngn]);
        f->gn[f->ngn].e = st[i];
        if (st[i]->id < nseen)
            gidx[st[i]->id] = f->ngn + 1;
        f->ngn++;
    }
    for (i = 0; i < nst; i++) {
        tex_inputs_of(x, st[i], &in, seen, ++x->gstamp);
        for (k = 0; k < in.n; k++) {
            const sg_expr *c = in.v[k];
            int mult = 0, t;
            if (sg) /* how many of the backward pass's contributions to c came through st[i] */
                mult = pair_count(pairs, npairs, c->id, st[i]->id);
            if (mult == 0)
                mult = 1;
            j = c->id < nseen ? gidx[c->id] - 1 : -1;
            if (j < 0) {
                SG_GROW(f->gn, f->ngn, f->capgn, SG_GROW_MAX, "nodes in a computation graph");
                memset(&f->gn[f->ngn], 0, sizeof f->gn[f->ngn]);
                f->gn[f->ngn].e = c;
                j = f->ngn++;
                if (c->id < nseen)
                    gidx[c->id] = j + 1;
            }
            for (t = 0; t < mult; t++)
                gnode_add_input(&f->gn[i], j);
        }
    }
    for (i = 0; i < f->ngn; i++) /* gidx all 0 again, for the next graph */
        if (f->gn[i].e->id < nseen)
            gidx[f->gn[i].e->id] = 0;
    free(in.v);
    free(thr);
    free(pairs);
}

/* the edges of each multi-path symbol, numbered: one pass over the edges,
   with the symbol's node marked by its index in multi */
static void number_multi_edges(tex_doc *x, graph_fig *f)
{
    gnode *gn = f->gn;
    int ngn = f->ngn, nmulti = f->nmulti, i, k, m;
    int *mof = sg_xmalloc(((size_t)(ngn > nmulti ? ngn : nmulti) + 1) * sizeof *mof);
    int *no = sg_xmalloc(((size_t)nmulti + 1) * sizeof *no);
    sg_idmap mix;
    sg_idmap_init(&mix, x->ctx);
    for (m = 0; m < nmulti; m++) {
        no[m] = 0;
        if (sg_idmap_find(&mix, f->multi[m]) == SG_IDMAP_NONE)
            mof[sg_idmap_add(&mix, f->multi[m])] = m; /* numbered in the order added */
    }
    for (i = 0; i < ngn; i++) { /* mof: now by graph node */
        unsigned u = sg_idmap_find(&mix, gn[i].e);
        gn[i].mi = u == SG_IDMAP_NONE ? -1 : mof[u];
    }
    sg_idmap_free(&mix);
    for (i = 0; i < ngn; i++)
        mof[i] = gn[i].mi;
    for (i = 0; i < f->nst; i++)
        for (k = 0; k < gn[i].nin; k++)
            if (mof[gn[i].in[k]] >= 0)
                gn[i].no[k] = ++no[mof[gn[i].in[k]]];
    free(mof);
    free(no);
}

/* the layout's nodes and edges: the stations, then the inputs by
   declaration, each node as big as its box */
static void layout_input(tex_doc *x, graph_fig *f)
{
    gnode *gn = f->gn;
    int ngn = f->ngn, nst = f->nst, i, j, k;
    sg_graph *g = &f->g;
    memset(g, 0, sizeof *g);
    g->n = ngn;
    g->ne = f->nedges;
    g->node = sg_xmalloc(((size_t)ngn + 1) * sizeof *g->node);
    g->edge = sg_xmalloc(((size_t)f->nedges + 1) * sizeof *g->edge);
    f->eno = sg_xmalloc(2 * ((size_t)f->nedges + 1) * sizeof *f->eno);
    f->lix = sg_xmalloc(((size_t)ngn + 1) * sizeof *f->lix);
    {   /* the inputs sorted (their nodes are distinct), then each one's place */
        const sg_expr **ins = sg_xmalloc(((size_t)(ngn - nst) + 1) * sizeof *ins);
        for (i = nst; i < ngn; i++)
            ins[i - nst] = gn[i].e;
        if (ngn - nst > 1)
            qsort(ins, (size_t)(ngn - nst), sizeof *ins, by_decl);
        for (i = 0; i < nst; i++)
            f->lix[i] = i;
        for (i = nst; i < ngn; i++) {
            const sg_expr *const *at = bsearch(&gn[i].e, ins, (size_t)(ngn - nst), sizeof *ins,
                                               by_decl);
            f->lix[i] = nst + (int)(at - ins);
        }
        free(ins);
    }
    for (i = 0; i < ngn; i++) {
        sg_gnode *nd = &g->node[f->lix[i]];
        memset(nd, 0, sizeof *nd);
        tex_gbox(gstyle(x, gn[i].e, f->root, i < nst), tex_gname(x, gn[i].e), &nd->w, &nd->h);
    }
    j = 0;
    for (i = 0; i < nst; i++)
        for (k = 0; k < gn[i].nin; k++, j++) {
            sg_gedge *ed = &g->edge[j];
            memset(ed, 0, sizeof *ed);
            ed->from = f->lix[gn[i].in[k]];
            ed->to = f->lix[i];
            f->eno[2 * j] = i;
            f->eno[2 * j + 1] = k;
            if (gn[i].no[k] > 0) { /* the number, \scriptsize, as wide as the largest */
                int most = f->rd.at[gn[i].in[k] + 1] - f->rd.at[gn[i].in[k]];
                ed->lw = 0.1 + 0.15 * (most >= 10 ? 2 + (most >= 100) : 1);
                ed->lh = 0.3;
            }
        }
}

/* a box with numbered edges is as tall as their labels stacked, so that
   they leave its side horizontally */
static void label_heights(graph_fig *f)
{
    int ngn = f->ngn, i, j;
    int *nout = sg_xmalloc(((size_t)ngn + 1) * sizeof *nout);
    char *lab = sg_xmalloc((size_t)ngn + 1);
    memset(nout, 0, ((size_t)ngn + 1) * sizeof *nout);
    memset(lab, 0, (size_t)ngn + 1);
    for (j = 0; j < f->nedges; j++) {
        nout[f->g.edge[j].from]++;
        lab[f->g.edge[j].from] |= f->g.edge[j].lw > 0;
    }
    for (i = f->nst; i < ngn; i++) {
        sg_gnode *nd = &f->g.node[f->lix[i]];
        double need = (nout[f->lix[i]] - 1) * (0.3 + 0.06) + 0.3 + 0.1;
        if (lab[f->lix[i]] && need > nd->h)
            nd->h = need;
    }
    free(nout);
    free(lab);
}

/* each symbol's edge numbers top to bottom, as drawn */
static void renumber_as_drawn(graph_fig *f)
{
    gnode *gn = f->gn;
    int i, j, k, m;
    for (m = 0; m < f->nmulti; m++) {
        int no = 0;
        for (;;) {
            int best = -1;
            for (j = 0; j < f->nedges; j++) {
                const sg_gedge *ed = &f->g.edge[j];
                int to = f->eno[2 * j], slot = f->eno[2 * j + 1];
                if (gn[gn[to].in[slot]].e != f->multi[m] || gn[to].no[slot] < 0)
                    continue;
                if (best < 0 || ed->ly > f->g.edge[best].ly)
                    best = j;
            }
            if (best < 0)
                break;
            gn[f->eno[2 * best]].no[f->eno[2 * best + 1]] = -++no; /* taken */
        }
    }
    for (i = 0; i < f->nst; i++)
        for (k = 0; k < gn[i].nin; k++)
            if (gn[i].no[k] < 0)
                gn[i].no[k] = -gn[i].no[k];
}

/* the layout, and the scale it is drawn at (drawn: not too small to read) */
static void graph_layout(tex_doc *x, graph_fig *f)
{
    layout_input(x, f);
    label_heights(f);
    f->rc = sg_graph_layout(&f->g, TEX_GRAPH_WIDTH / GRAPH_SCALE, TEX_GRAPH_HEIGHT / GRAPH_SCALE);
    if (f->rc == SG_GRAPH_OK) {
        double sw, sh;
        renumber_as_drawn(f);
        sw = TEX_GRAPH_WIDTH / (f->g.x1 - f->g.x0);
        sh = TEX_GRAPH_HEIGHT / (f->g.y1 - f->g.y0);
        f->scale = sw < sh ? sw : sh;
        if (f->scale > 1)
            f->scale = 1;
        f->drawn = f->scale >= GRAPH_SCALE;
    }
}

/* which edges lie on a path from a multi-path symbol to the root: from a
   node multi[m] reaches, into one that reaches the root */
static void path_marks(graph_fig *f)
{
    gnode *gn = f->gn;
    int ngn = f->ngn, nreach, i, k, m;
    /* which nodes each multi-path symbol reaches, for its colour: only for
       a graph that is drawn, which the page keeps small (nmulti × ngn is
       quadratic in a problem of 10,000 symbols that is described in words) */
    nreach = f->drawn ? f->nmulti : 0;
    f->reach = sg_xmalloc((size_t)nreach * (size_t)ngn + 1);
    memset(f->reach, 0, (size_t)nreach * (size_t)ngn + 1);
    f->toroot = sg_xmalloc((size_t)ngn + 1);
    memset(f->toroot, 0, (size_t)ngn + 1);
    if (f->iroot >= 0) {
        f->toroot[f->iroot] = 1;
        for (i = f->nst - 1; i >= 0; i--) /* stations come kids first: readers later */
            for (k = 0; k < gn[i].nin && f->toroot[i]; k++)
                f->toroot[gn[i].in[k]] = 1;
    }
    for (m = 0; m < nreach; m++) {
        unsigned char *r = f->reach + (size_t)m * (size_t)ngn;
        for (i = 0; i < ngn; i++)
            r[i] = gn[i].e == f->multi[m];
        for (i = 0; i < f->nst; i++)
            for (k = 0; k < gn[i].nin; k++)
                if (r[gn[i].in[k]])
                    r[i] = 1;
    }
}

/* the nodes in TikZ, each at its place in the layout */
static void draw_nodes(tex_doc *x, sg_buf *b, graph_fig *f)
{
    int i;
    for (i = 0; i < f->ngn; i++) {
        const sg_gnode *nd = &f->g.node[f->lix[i]];
        const sg_expr *e = f->gn[i].e;
        const char *style = gstyle(x, e, f->root, i < f->nst);
        double bw, bh; /* (the layout's box is nd's; this says its shape) */
        int pill = tex_gbox(style, tex_gname(x, e), &bw, &bh);
        f->pills |= pill;
        if (pill)
            sg_buf_printf(b, "  \\node[%s, pill, minimum width=%.2fcm, minimum height=%.2fcm]",
                          style, style[0] == 'r' ? nd->w - 0.12 : nd->w, 0.75);
        else if (style[0] == 'v' || style[0] == 'r')
            sg_buf_printf(b, "  \\node[%s, minimum size=%.2fcm]", style,
                          style[0] == 'r' ? nd->w - 0.12 : nd->w);
        else
            sg_buf_printf(b, "  \\node[%s, minimum width=%.2fcm, minimum height=%.2fcm]", style,
                          nd->w, nd->h);
        sg_buf_printf(b, " (n%d) at (%.2f,%.2f) {$%s$};\n", i, nd->x, nd->y, tex_gname(x, e));
    }
}

/* the edges in TikZ: an edge on the paths of ns symbols is a stroke each,
   side by side, in their colours; then the numbers, above the strokes */
static void draw_edges(sg_buf *b, const graph_fig *f)
{
    const gnode *gn = f->gn;
    size_t ngn = (size_t)f->ngn;
    int j, m;
    for (j = 0; j < f->nedges; j++) {
        const sg_gedge *ed = &f->g.edge[j];
        int to = f->eno[2 * j], slot = f->eno[2 * j + 1], from = gn[to].in[slot], ns = 0, s;
        const sg_gnode *a = &f->g.node[f->lix[from]];
        for (m = 0; m < f->nmulti; m++)
            ns += f->reach[(size_t)m * ngn + from] && f->toroot[to];
        if (ns == 0) {
            sg_buf_puts(b, "  \\draw[->] ");
            print_route(b, ed, a, from, to);
            sg_buf_puts(b, ";\n");
            continue;
        }
        /* on the paths of ns symbols: a stroke each, side by side */
        s = 0;
        for (m = 0; m < f->nmulti; m++) {
            if (!(f->reach[(size_t)m * ngn + from] && f->toroot[to]))
                continue;
            sg_buf_printf(b, "  \\draw[->, thick, %s%s", path_colors[m % 5],
                          path_dashes[(m / 5) % 3]);
            if (ns > 1)
                sg_buf_printf(b, ", transform canvas={yshift=%.1fpt}",
                              1.6 * ((ns - 1) / 2.0 - s));
            sg_buf_puts(b, "] ");
            print_route(b, ed, a, from, to);
            sg_buf_puts(b, ";\n");
            s++;
        }
    }
    for (j = 0; j < f->nedges; j++) { /* the numbers, above the strokes */
        const sg_gedge *ed = &f->g.edge[j];
        int to = f->eno[2 * j], slot = f->eno[2 * j + 1], from = gn[to].in[slot];
        if (gn[to].no[slot] <= 0)
            continue;
        m = gn[from].mi >= 0 ? gn[from].mi : 0;
        sg_buf_printf(b, "  \\node[num, text=%s] at (%.2f,%.2f) {%d};\n",
                      path_colors[m % 5], ed->lx, ed->ly, gn[to].no[slot]);
    }
}

/* the picture, or what it would show when it is too large to draw */
static void draw_graph(tex_doc *x, sg_buf *b, graph_fig *f)
{
    if (!f->drawn) {
        double w = f->g.x1 - f->g.x0, h = f->g.y1 - f->g.y0;
        sg_buf_printf(b, "The graph has %d nodes and %d edges in %d layers: laid out, it needs "
                         "%s%.0f\\,cm by %.0f\\,cm, more than twice the %.0f\\,cm by "
                         "%.0f\\,cm a page gives it, so it is not drawn.\n",
                      f->ngn, f->nedges, f->g.nlayers, f->rc == SG_GRAPH_TOO_BIG ? "at least " : "",
                      w, h, TEX_GRAPH_WIDTH, TEX_GRAPH_HEIGHT);
        return;
    }
    sg_buf_puts(b, "\\begin{center}\n");
    sg_buf_printf(b, "\\begin{tikzpicture}[x=1cm, y=1cm, >=stealth, rounded corners=2pt,");
    if (f->scale < 1)
        sg_buf_printf(b, " scale=%.3f, every node/.append style={transform shape},", f->scale);
    sg_buf_puts(b, "\n"
                   "  input/.style={draw, rectangle, rounded corners=2pt, inner sep=2pt},\n"
                   "  data/.style={input, draw=black!40, text=black!60},\n"
                   "  value/.style={draw, circle, inner sep=1pt},\n"
                   "  result/.style={value, double, thick},\n"
                   "  pill/.style={rectangle, rounded corners=3.75mm},\n"
                   "  num/.style={fill=white, inner sep=1pt, font=\\scriptsize}]\n");
    draw_nodes(x, b, f);
    draw_edges(b, f);
    sg_buf_puts(b, "\\end{tikzpicture}\n\\end{center}\n");
}

/* the paths of multi[m], from its graph node `from` to the root: how many,
   then the first PATHS_LISTED, by the number of their first edge */
static void list_paths(tex_doc *x, sg_buf *b, const graph_fig *f, int m, int from)
{
    const gnode *gn = f->gn;
    int *paths[PATHS_LISTED], lens[PATHS_LISTED], stack[2 * PATH_EDGES], np, p;
    double *memo, count;
    int *dist;
    memo = sg_xmalloc((size_t)f->ngn * sizeof *memo);
    dist = sg_xmalloc((size_t)f->ngn * sizeof *dist);
    for (p = 0; p < f->ngn; p++) {
        memo[p] = -1;
        dist[p] = f->ngn + 1;
    }
    count = count_paths(&f->rd, f->ngn, from, f->iroot, memo, dist);
    np = paths_from(&f->rd, from, f->iroot, stack, 0, paths, lens, PATHS_LISTED, 0, dist);
    for (p = 1; p < np; p++) { /* by the number of their first edge, stably */
        int q = p, *pp = paths[p], pl = lens[p];
        int key = gn[pp[0]].no[pp[1]];
        while (q > 0 && gn[paths[q - 1][0]].no[paths[q - 1][1]] > key) {
            paths[q] = paths[q - 1];
            lens[q] = lens[q - 1];
            q--;
        }
        paths[q] = pp;
        lens[q] = pl;
    }
    free(memo);
    free(dist);
    if (count < np)
        count = np;
    sg_buf_printf(b, "$%s$ has %s %s to $%s$", tex_gname(x, f->multi[m]), paths_word(x, count),
                  count == 1 ? "path" : "paths", tex_gname(x, f->root));
    if (f->drawn)
        sg_buf_printf(b, ", drawn in %s%s", path_dash_words[(m / 5) % 3], path_names[m % 5]);
    sg_buf_puts(b, np > 0 ? ": " : "");
    for (p = 0; p < np; p++) {
        int q;
        if (p > 0)
            sg_buf_puts(b, p + 1 == np || p == PATHS_LISTED - 1 ? " and " : ", ");
        sg_buf_printf(b, "$%s", tex_gname(x, f->multi[m]));
        for (q = 0; q < lens[p]; q++) {
            int node = paths[p][2 * q], slot = paths[p][2 * q + 1];
            if (q == 0)
                sg_buf_printf(b, " \\xrightarrow{%d} %s", gn[node].no[slot],
                              tex_gname(x, gn[node].e));
            else
                sg_buf_printf(b, " \\to %s", tex_gname(x, gn[node].e));
        }
        sg_buf_puts(b, "$");
        free(paths[p]);
    }
    sg_buf_puts(b, count > np && np > 0 ? ", \\dots.\n" : ".\n");
}

/*
 * The computation graph of a log's function, drawn left to right by the
 * layered layout of graph.h: inputs as boxes (grey: data, not
 * differentiated), each one column left of its first use; named
 * intermediates as circles, each one column right of its latest input; the
 * differentiated quantity doubled. An input entering a formula twice (X in
 * XXᵀ) has two edges. Each path from a symbol reached along several (multi)
 * to the root is drawn in the symbol's color along its whole length, its
 * first edges numbered, and the paths are listed. Everything here grows
 * with the graph; only the drawing has a limit, the page, past which the
 * text says what it would show.
 */
void tex_doc_graph(tex_doc *x, tex_seg *sg, const sg_expr **st, int nst, const sg_expr *root,
                   const sg_expr *const *multi, int nmulti)
{
    sg_buf *b = x->out;
    graph_fig f;
    int i, m;
    memset(&f, 0, sizeof f);
    f.root = root;
    f.multi = multi;
    f.nmulti = nmulti;
    f.nst = nst;
    f.iroot = -1;
    f.scale = 1;
    graph_nodes(x, &f, sg, st);
    greaders_build(&f.rd, f.gn, f.ngn);
    for (i = 0; i < f.ngn; i++) {
        f.nedges += f.gn[i].nin;
        if (f.gn[i].e == root)
            f.iroot = i;
    }
    number_multi_edges(x, &f);
    graph_layout(x, &f);
    path_marks(&f);
    draw_graph(x, b, &f);
    sg_graph_free(&f.g);
    free(f.g.node);
    free(f.g.edge);
    free(f.eno);
    free(f.lix);
    free(f.reach);
    free(f.toroot);
    /* the paths of the symbols reached along several: of the first
       MULTI_LISTED, each a walk of the graph */
    for (m = 0; m < nmulti && m < MULTI_LISTED && f.iroot >= 0; m++) {
        int from;
        for (from = 0; from < f.ngn && f.gn[from].e != multi[m]; from++)
            ;
        if (from < f.ngn)
            list_paths(x, b, &f, m, from);
    }
    if (nmulti > MULTI_LISTED && f.iroot >= 0)
        sg_buf_printf(b, "The paths of the other %d symbols reached along several are not "
                         "listed.\n",
                      nmulti - MULTI_LISTED);
    if (f.drawn)
        sg_buf_printf(b, "Boxes are inputs (grey: data, not differentiated), %s the named "
                         "intermediates.\n\n",
                      f.pills ? "circles and pills" : "circles");
    else
        sg_buf_puts(b, "\n");
    greaders_free(&f.rd);
    for (i = 0; i < f.ngn; i++) {
        free(f.gn[i].in);
        free(f.gn[i].no);
    }
    free(f.gn);
}
