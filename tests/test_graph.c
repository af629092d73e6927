/*
 * test_graph.c: the layered layout of the computation graph (codegen/graph.c),
 * checked from its coordinates alone: no edge segment passes through a
 * node's box, no label overlaps a node, another label or another edge,
 * nodes do not overlap, the layers are longest-path layers, and the
 * crossing reduction never ends with more crossings than the order given.
 * On chains, diamonds, attention and logistic regression as the LaTeX
 * printer builds them, parallel edges, wide fans, and random DAGs from a
 * fixed seed with 1 to 200 nodes. And the same from the TikZ of whole
 * documents: the boxes and routes --latex prints, read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/graph.h"
#include "codegen/latex.h"
#include "base/arena.h"
#include "parser/parser.h"

/* how far a route keeps from a box it does not start or end at */
#define CLEAR 0.05

typedef struct {
    double x0, y0, x1, y1;
} box;

static box node_box(const sg_gnode *n, double grow)
{
    box b;
    b.x0 = n->x - n->w / 2 - grow;
    b.x1 = n->x + n->w / 2 + grow;
    b.y0 = n->y - n->h / 2 - grow;
    b.y1 = n->y + n->h / 2 + grow;
    return b;
}

static box label_box(const sg_gedge *e)
{
    box b;
    b.x0 = e->lx - e->lw / 2;
    b.x1 = e->lx + e->lw / 2;
    b.y0 = e->ly - e->lh / 2;
    b.y1 = e->ly + e->lh / 2;
    return b;
}

static int boxes_meet(box a, box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

static int inside(box b, double x, double y)
{
    return x >= b.x0 && x <= b.x1 && y >= b.y0 && y <= b.y1;
}

/* does the segment (x0,y0)–(x1,y1) enter the open box? (Liang–Barsky) */
static int segment_meets(box b, double x0, double y0, double x1, double y1)
{
    double t0 = 0, t1 = 1, dx = x1 - x0, dy = y1 - y0;
    double p[4], q[4];
    int i;
    p[0] = -dx, q[0] = x0 - b.x0;
    p[1] = dx, q[1] = b.x1 - x0;
    p[2] = -dy, q[2] = y0 - b.y0;
    p[3] = dy, q[3] = b.y1 - y0;
    for (i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] <= 0)
                return 0;
            continue;
        }
        {
            double r = q[i] / p[i];
            if (p[i] < 0) {
                if (r > t0)
                    t0 = r;
            } else if (r < t1) {
                t1 = r;
            }
        }
    }
    return t1 - t0 > 1e-9;
}

/* does piece i of edge e (pts[i−1] → pts[i]) enter box b? A curve stays in
   the box its ends span (its control points are at their mid x, at their
   heights), so that box is what is checked */
static int piece_meets(const sg_gedge *e, int i, box b)
{
    if (e->curve[i]) {
        box c;
        c.x0 = e->px[i - 1] < e->px[i] ? e->px[i - 1] : e->px[i];
        c.x1 = e->px[i - 1] < e->px[i] ? e->px[i] : e->px[i - 1];
        c.y0 = e->py[i - 1] < e->py[i] ? e->py[i - 1] : e->py[i];
        c.y1 = e->py[i - 1] < e->py[i] ? e->py[i] : e->py[i - 1];
        if (c.y1 - c.y0 < 1e-9) /* flat: a segment */
            return segment_meets(b, c.x0, c.y0, c.x1, c.y0);
        return boxes_meet(b, c);
    }
    return segment_meets(b, e->px[i - 1], e->py[i - 1], e->px[i], e->py[i]);
}

/* counts of what was checked, for the report */
static long checked_pieces, checked_graphs;

/* every geometric promise of the layout, from its coordinates */
static void check_geometry(const sg_graph *g)
{
    int i, j, e, f, k;
    checked_graphs++;
    for (i = 0; i < g->n; i++) /* no two nodes overlap */
        for (j = i + 1; j < g->n; j++)
            if (boxes_meet(node_box(&g->node[i], 0), node_box(&g->node[j], 0))) {
                print_error("nodes %d and %d overlap\n", i, j);
                fail();
            }
    for (e = 0; e < g->ne; e++) {
        const sg_gedge *ed = &g->edge[e];
        const sg_gnode *a = &g->node[ed->from], *b = &g->node[ed->to];
        assert_true(ed->npts >= 4);
        assert_true(ed->px[0] == a->x && ed->py[0] == a->y);
        assert_true(ed->px[ed->npts - 1] == b->x && ed->py[ed->npts - 1] == b->y);
        for (k = 1; k < ed->npts; k++) {
            checked_pieces++;
            /* left to right, never back */
            assert_true(ed->px[k] >= ed->px[k - 1] - 1e-9);
            for (i = 0; i < g->n; i++) {
                box nb = node_box(&g->node[i], CLEAR);
                /* the pieces that leave from's box or enter to's */
                if ((i == ed->from || i == ed->to) &&
                    (inside(nb, ed->px[k - 1], ed->py[k - 1]) || inside(nb, ed->px[k], ed->py[k])))
                    continue;
                if (piece_meets(ed, k, nb)) {
                    print_error("edge %d (%d→%d) piece %d (%.2f,%.2f)–(%.2f,%.2f) passes "
                                "through node %d at (%.2f,%.2f)\n",
                                e, ed->from, ed->to, k, ed->px[k - 1], ed->py[k - 1], ed->px[k],
                                ed->py[k], i, g->node[i].x, g->node[i].y);
                    fail();
                }
            }
        }
        if (ed->lw <= 0)
            continue;
        for (i = 0; i < g->n; i++) /* a label overlaps no node */
            assert_false(boxes_meet(label_box(ed), node_box(&g->node[i], 0)));
        for (f = 0; f < g->ne; f++) {
            const sg_gedge *o = &g->edge[f];
            if (f == e)
                continue;
            if (o->lw > 0 && boxes_meet(label_box(ed), label_box(o))) {
                print_error("labels of edges %d and %d overlap\n", e, f);
                fail();
            }
            for (k = 1; k < o->npts; k++) /* nor another edge */
                if (piece_meets(o, k, label_box(ed))) {
                    print_error("edge %d runs under the label of edge %d\n", f, e);
                    fail();
                }
        }
    }
}

/* the layers: every edge left to right; a node with inputs one right of its
   latest input; a source one left of its first reader; one x per layer */
static void check_layers(const sg_graph *g)
{
    int v, e, l;
    int *maxin = malloc(((size_t)g->n + 1) * sizeof *maxin);
    int *minout = malloc(((size_t)g->n + 1) * sizeof *minout);
    double *lx = malloc(((size_t)g->nlayers + 1) * sizeof *lx);
    for (v = 0; v < g->n; v++)
        maxin[v] = minout[v] = -1;
    for (e = 0; e < g->ne; e++) {
        int a = g->node[g->edge[e].from].layer, b = g->node[g->edge[e].to].layer;
        assert_true(a < b);
        if (a > maxin[g->edge[e].to])
            maxin[g->edge[e].to] = a;
        if (minout[g->edge[e].from] < 0 || b < minout[g->edge[e].from])
            minout[g->edge[e].from] = b;
    }
    for (l = 0; l < g->nlayers; l++)
        lx[l] = -1e300;
    for (v = 0; v < g->n; v++) {
        const sg_gnode *n = &g->node[v];
        assert_true(n->layer >= 0 && n->layer < g->nlayers);
        if (maxin[v] >= 0)
            assert_int_equal(n->layer, maxin[v] + 1);
        else if (minout[v] >= 0)
            assert_int_equal(n->layer, minout[v] - 1);
        else
            assert_int_equal(n->layer, 0);
        if (lx[n->layer] == -1e300)
            lx[n->layer] = n->x;
        assert_true(n->x == lx[n->layer]);
    }
    for (l = 1; l < g->nlayers; l++)
        if (lx[l] != -1e300 && lx[l - 1] != -1e300)
            assert_true(lx[l] > lx[l - 1]);
    for (v = 0; v < g->n; v++) { /* rows: top first, one node a row */
        int w;
        for (w = 0; w < g->n; w++)
            if (w != v && g->node[w].layer == g->node[v].layer) {
                assert_true(g->node[w].order != g->node[v].order);
                if (g->node[w].order > g->node[v].order)
                    assert_true(g->node[w].y < g->node[v].y);
            }
    }
    assert_true(g->crossings <= g->crossings0);
    free(maxin);
    free(minout);
    free(lx);
}

/*
 * When every edge joins adjacent layers there are no dummies, and the
 * crossings can be counted from the nodes' rows here, pair by pair: for the
 * final order, and for the order given (by index within a layer).
 */
static long crossings_by_rows(const sg_graph *g, int given)
{
    long c = 0;
    int e, f;
    int *row = malloc(((size_t)g->n + 1) * sizeof *row);
    int v, w;
    for (v = 0; v < g->n; v++) {
        row[v] = g->node[v].order;
        if (given) {
            row[v] = 0;
            for (w = 0; w < v; w++)
                row[v] += g->node[w].layer == g->node[v].layer;
        }
    }
    for (e = 0; e < g->ne; e++)
        for (f = e + 1; f < g->ne; f++) {
            const sg_gedge *a = &g->edge[e], *b = &g->edge[f];
            if (g->node[a->from].layer != g->node[b->from].layer)
                continue;
            if ((row[a->from] < row[b->from] && row[a->to] > row[b->to]) ||
                (row[a->from] > row[b->from] && row[a->to] < row[b->to]))
                c++;
        }
    free(row);
    return c;
}

/* a graph of n nodes, of w × h each, and the edges given as pairs */
static void make(sg_graph *g, int n, double w, double h, const int *pairs, int ne)
{
    int i;
    memset(g, 0, sizeof *g);
    g->n = n;
    g->ne = ne;
    g->node = calloc((size_t)n + 1, sizeof *g->node);
    g->edge = calloc((size_t)ne + 1, sizeof *g->edge);
    for (i = 0; i < n; i++) {
        g->node[i].w = w;
        g->node[i].h = h;
    }
    for (i = 0; i < ne; i++) {
        g->edge[i].from = pairs[2 * i];
        g->edge[i].to = pairs[2 * i + 1];
    }
}

static void drop(sg_graph *g)
{
    sg_graph_free(g);
    free(g->node);
    free(g->edge);
}

static void lay_and_check(sg_graph *g)
{
    assert_int_equal(sg_graph_layout(g, 0, 0), SG_GRAPH_OK);
    check_layers(g);
    check_geometry(g);
}

/* ---- the tests ----------------------------------------------------------------- */

static void test_chains(void **state)
{
    static const int lengths[] = {1, 2, 3, 10, 200};
    size_t t;
    (void)state;
    for (t = 0; t < sizeof lengths / sizeof *lengths; t++) {
        int n = lengths[t], i, *pairs = malloc((size_t)(2 * n) * sizeof *pairs);
        sg_graph g;
        for (i = 0; i + 1 < n; i++) {
            pairs[2 * i] = i;
            pairs[2 * i + 1] = i + 1;
        }
        make(&g, n, 0.75, 0.75, pairs, n - 1);
        lay_and_check(&g);
        assert_int_equal(g.nlayers, n);
        assert_int_equal(g.ndummies, 0);
        for (i = 0; i < n; i++) { /* a chain is a straight line */
            assert_int_equal(g.node[i].layer, i);
            assert_true(g.node[i].y == g.node[0].y);
        }
        assert_int_equal(g.crossings, 0);
        drop(&g);
        free(pairs);
    }
}

/* a → b, a → c, b → d, c → d, and a diamond with a skip a → d */
static void test_diamonds(void **state)
{
    static const int d[] = {0, 1, 0, 2, 1, 3, 2, 3, 0, 3};
    sg_graph g;
    (void)state;
    make(&g, 4, 0.75, 0.75, d, 4);
    lay_and_check(&g);
    assert_int_equal(g.nlayers, 3);
    assert_int_equal(g.crossings, 0);
    drop(&g);
    make(&g, 4, 0.75, 0.75, d, 5);
    lay_and_check(&g);
    assert_int_equal(g.ndummies, 1); /* a → d through the middle layer */
    assert_int_equal(g.edge[4].npts, 6);
    drop(&g);
}

/*
 * Single-head attention as the LaTeX printer gives it: the stations Q, K,
 * V, S, A, O, L first, then the inputs X, W_q, W_k, W_v. V → O skips S and
 * A's layers, and used to be drawn straight through them.
 */
static void test_attention(void **state)
{
    enum { Q, K, V, S, A, O, L, X, Wq, Wk, Wv, N };
    static const int e[] = {Wq, Q, X, Q, Wk, K, X, K, Wv, V, X, V,
                            K, S, Q, S, S, A, V, O, A, O, O, L};
    sg_graph g;
    int k;
    (void)state;
    make(&g, N, 0.75, 0.75, e, (int)(sizeof e / sizeof *e / 2));
    for (k = X; k < N; k++) /* inputs are boxes, a little wider with W_q */
        g.node[k].w = k == X ? 0.65 : 0.85;
    g.edge[3].lw = g.edge[5].lw = g.edge[11].lw = 0.25; /* X's numbered edges */
    g.edge[3].lh = g.edge[5].lh = g.edge[11].lh = 0.3;
    lay_and_check(&g);
    assert_int_equal(g.node[V].layer, 1);
    assert_int_equal(g.node[O].layer, 4);
    assert_int_equal(g.edge[9].npts, 2 * 3 + 2); /* V → O through two dummies */
    for (k = 3; k <= 5; k++) /* level through both dummies: one turn, not a staircase */
        assert_true(g.edge[9].py[k] == g.edge[9].py[2]);
    for (k = 1; k < g.edge[9].npts; k++) {
        assert_false(piece_meets(&g.edge[9], k, node_box(&g.node[S], 0)));
        assert_false(piece_meets(&g.edge[9], k, node_box(&g.node[A], 0)));
    }
    assert_true(g.crossings <= 1); /* X and W_k both read by K: one is unavoidable */
    drop(&g);
}

/* logistic regression: u = Xw, v = softplus(u), L reads u, v, y, λ and w */
static void test_logistic(void **state)
{
    enum { U, V, L, X, W, Y, LAM, N };
    static const int e[] = {X, U, W, U, U, V, V, L, Y, L, U, L, LAM, L, W, L};
    sg_graph g;
    int k;
    (void)state;
    make(&g, N, 0.75, 0.75, e, 8);
    g.edge[1].lw = g.edge[7].lw = 0.25;
    g.edge[1].lh = g.edge[7].lh = 0.3;
    lay_and_check(&g);
    assert_int_equal(g.node[Y].layer, 1 + g.node[U].layer);
    for (k = 1; k < g.edge[5].npts; k++) /* u → L clear of v */
        assert_false(piece_meets(&g.edge[5], k, node_box(&g.node[V], 0)));
    drop(&g);
}

/* X read twice by one formula (XXᵀ), labelled; and a node with 60 inputs */
static void test_parallel_and_fans(void **state)
{
    static const int twice[] = {1, 0, 1, 0, 2, 0};
    int pairs[2 * 62], i, k;
    sg_graph g;
    (void)state;
    make(&g, 3, 0.75, 0.75, twice, 3);
    g.edge[0].lw = g.edge[1].lw = 0.25;
    g.edge[0].lh = g.edge[1].lh = 0.3;
    lay_and_check(&g);
    /* the two edges apart, the first above */
    assert_true(g.edge[0].py[1] > g.edge[1].py[1]);
    assert_true(g.edge[0].py[g.edge[0].npts - 2] > g.edge[1].py[g.edge[1].npts - 2]);
    drop(&g);
    for (i = 0; i < 60; i++) {
        pairs[2 * i] = i + 1;
        pairs[2 * i + 1] = 0;
    }
    make(&g, 61, 0.75, 0.65, pairs, 60);
    lay_and_check(&g);
    for (k = 1; k < 60; k++) /* the ports at the sink spread, in row order */
        assert_true(g.edge[k].py[g.edge[k].npts - 2] != g.edge[k - 1].py[g.edge[k - 1].npts - 2]);
    assert_int_equal(g.crossings, 0);
    drop(&g);
    /* one symbol read 30 times by one node: more ports than its side holds,
       so they fan out past the box, inside the slot the layout keeps */
    for (i = 0; i < 30; i++) {
        pairs[2 * i] = 1;
        pairs[2 * i + 1] = 0;
    }
    pairs[60] = 2, pairs[61] = 1;
    make(&g, 3, 0.75, 0.65, pairs, 31);
    lay_and_check(&g);
    for (k = 1; k < 30; k++) /* 0.05 apart at least */
        assert_true(g.edge[k - 1].py[1] - g.edge[k].py[1] > 0.049);
    drop(&g);
}

static unsigned long rng = 12345;

static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)((rng >> 33) % n);
}

/* random DAGs from a fixed seed, 1 to 200 nodes: edges i → j (i < j), some
   of them long, nodes of mixed sizes, some edges labelled */
static void test_random_dags(void **state)
{
    int n, trial, reduced = 0;
    (void)state;
    for (n = 1; n <= 200; n += n < 20 ? 1 : 17)
        for (trial = 0; trial < 3; trial++) {
            sg_graph g;
            int cap = 3 * n + 4, ne = 0, i;
            int *pairs = malloc((size_t)(2 * cap) * sizeof *pairs);
            for (i = 1; i < n && ne < cap; i++) {
                int deg = 1 + (int)rnd(3), k;
                for (k = 0; k < deg && ne < cap; k++) {
                    /* mostly near, sometimes far back */
                    int back = rnd(4) == 0 ? 1 + (int)rnd((unsigned)i) : 1 + (int)rnd(i < 3 ? (unsigned)i : 3u);
                    pairs[2 * ne] = i - back;
                    pairs[2 * ne + 1] = i;
                    ne++;
                }
            }
            make(&g, n, 0.75, 0.75, pairs, ne);
            for (i = 0; i < n; i++) {
                g.node[i].w = 0.65 + 0.1 * rnd(10);
                g.node[i].h = 0.65 + 0.05 * rnd(6);
            }
            for (i = 0; i < ne; i++)
                if (rnd(8) == 0) {
                    g.edge[i].lw = 0.2 + 0.05 * rnd(4);
                    g.edge[i].lh = 0.3;
                }
            lay_and_check(&g);
            reduced += g.crossings < g.crossings0;
            drop(&g);
            free(pairs);
        }
    /* the sweeps do something on graphs this tangled */
    assert_true(reduced > 10);
}

/*
 * Layered random graphs (every edge between adjacent layers, so no
 * dummies): the crossings counted here from the rows equal the layout's
 * own count, for the final order and the order given, and the reduction
 * did not make them worse.
 */
static void test_crossings_counted(void **state)
{
    int trial, better = 0;
    (void)state;
    for (trial = 0; trial < 40; trial++) {
        int layers = 2 + (int)rnd(5), width = 1 + (int)rnd(8), n = layers * width, ne = 0, i, l;
        int *pairs = malloc((size_t)(6 * n + 2) * sizeof *pairs);
        sg_graph g;
        /* node l·width + k is in layer l; every node of layer l > 0 reads at
           least one of layer l − 1, so the layers are exactly these */
        for (l = 1; l < layers; l++)
            for (i = 0; i < width; i++) {
                int k, deg = 1 + (int)rnd(3);
                for (k = 0; k < deg; k++) {
                    pairs[2 * ne] = (l - 1) * width + (int)rnd((unsigned)width);
                    pairs[2 * ne + 1] = l * width + i;
                    ne++;
                }
            }
        make(&g, n, 0.75, 0.75, pairs, ne);
        lay_and_check(&g);
        if (g.ndummies == 0) {
            assert_int_equal(crossings_by_rows(&g, 0), g.crossings);
            assert_int_equal(crossings_by_rows(&g, 1), g.crossings0);
            better += g.crossings < g.crossings0;
        }
        drop(&g);
        free(pairs);
    }
    assert_true(better > 5);
}

static void test_refusals(void **state)
{
    static const int cycle[] = {0, 1, 1, 2, 2, 0}, self[] = {0, 0}, bad[] = {0, 7};
    static const int fan[] = {1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0};
    sg_graph g;
    (void)state;
    make(&g, 3, 0.75, 0.75, cycle, 3);
    assert_int_equal(sg_graph_layout(&g, 0, 0), SG_GRAPH_CYCLE);
    drop(&g);
    make(&g, 1, 0.75, 0.75, self, 1);
    assert_int_equal(sg_graph_layout(&g, 0, 0), SG_GRAPH_CYCLE);
    drop(&g);
    make(&g, 2, 0.75, 0.75, bad, 1);
    assert_int_equal(sg_graph_layout(&g, 0, 0), SG_GRAPH_CYCLE);
    drop(&g);
    /* eight in a column need 8 × 0.75 + 7 × 0.35 = 8.45 cm */
    make(&g, 9, 0.75, 0.75, fan, 8);
    assert_int_equal(sg_graph_layout(&g, 100, 8), SG_GRAPH_TOO_BIG);
    assert_true(g.y1 - g.y0 > 8.4 && g.y1 - g.y0 < 8.5);
    assert_null(g.edge[0].px);
    assert_int_equal(sg_graph_layout(&g, 100, 9), SG_GRAPH_OK);
    check_geometry(&g);
    assert_int_equal(sg_graph_layout(&g, 1, 100), SG_GRAPH_TOO_BIG);
    drop(&g);
}

/* isolated nodes and no edges at all */
static void test_no_edges(void **state)
{
    sg_graph g;
    (void)state;
    make(&g, 5, 0.75, 0.75, NULL, 0);
    lay_and_check(&g);
    assert_int_equal(g.nlayers, 1);
    drop(&g);
    make(&g, 0, 0.75, 0.75, NULL, 0);
    assert_int_equal(sg_graph_layout(&g, 0, 0), SG_GRAPH_OK);
    assert_int_equal(g.nlayers, 0);
    drop(&g);
}

/* ---- the drawing in a document ------------------------------------------------ */

/* the document symgrad --latex writes for text (caller frees) */
static char *document(const char *text)
{
    sg_src *src = sg_src_new("test.sg", text, strlen(text));
    sg_arena *arena = sg_arena_new();
    sg_program *prog = sg_parse(src, arena);
    sg_problem *p = sg_check(src, prog);
    sg_latex_opts o;
    char *doc;
    if (!p || sg_src_nerrors(src))
        sg_src_print_errors(src, stderr);
    assert_non_null(p);
    memset(&o, 0, sizeof o);
    o.source = "test.sg";
    doc = sg_latex_document(p, &o, NULL);
    sg_problem_free(p);
    sg_arena_free(arena);
    sg_src_free(src);
    return doc;
}

/* a route read back from TikZ: its points, and whether each piece is a curve */
typedef struct {
    int n, from, to;
    double x[256], y[256];
    unsigned char curve[256];
} drawn;

/* "(x,y)", "(nK)" or "(nK.east |- 0,y)" at s: the point, and K for a node */
static const char *read_point(const char *s, const sg_gnode *nd, int nn, double *x, double *y,
                              int *node)
{
    int k;
    *node = -1;
    assert_true(*s == '(');
    if (s[1] == 'n') {
        k = atoi(s + 2);
        assert_true(k >= 0 && k < nn);
        *node = k;
        *x = nd[k].x;
        *y = nd[k].y;
        if (strstr(s, ".east |- 0,") && strstr(s, ".east |- 0,") < strchr(s, ')')) {
            *x = nd[k].x + nd[k].w / 2;
            *y = atof(strstr(s, ".east |- 0,") + 11);
            *node = -1;
        }
    } else {
        assert_int_equal(sscanf(s, "(%lf,%lf)", x, y), 2);
    }
    return strchr(s, ')') + 1;
}

/*
 * Reads the computation graph's picture in doc back, its nodes' boxes (the
 * minimum size each is drawn at) and its routes, and checks that no route
 * piece enters a box other than its own ends'. Returns the edges read.
 */
static int check_drawing(const char *doc)
{
    sg_gnode nd[64];
    int nn = 0, ne = 0, k;
    const char *s = strstr(doc, "\\subsection*{Computation graph}"), *end, *pic;
    assert_non_null(s);
    s = pic = strstr(s, "\\begin{tikzpicture}");
    assert_non_null(s);
    end = strstr(s, "\\end{tikzpicture}");
    assert_non_null(end);
    memset(nd, 0, sizeof nd);
    for (s = strstr(s, "\\node["); s && s < end; s = strstr(s + 1, "\\node[")) {
        const char *at = strstr(s, " at ("), *id = strstr(s, "] (n");
        double v;
        if (!id || id > strchr(s, '\n')) /* a label */
            continue;
        k = atoi(id + 4);
        assert_true(k >= 0 && k < 64 && k == nn);
        assert_int_equal(sscanf(at, " at (%lf,%lf)", &nd[k].x, &nd[k].y), 2);
        if (strstr(s, "minimum size=") && strstr(s, "minimum size=") < id) {
            v = atof(strstr(s, "minimum size=") + 13);
            nd[k].w = nd[k].h = v + (strncmp(s, "\\node[result", 12) ? 0 : 0.12);
        } else { /* a box, or a pill */
            double dbl = strncmp(s, "\\node[result", 12) ? 0 : 0.12;
            nd[k].w = atof(strstr(s, "minimum width=") + 14) + dbl;
            nd[k].h = atof(strstr(s, "minimum height=") + 15) + dbl;
        }
        nn++;
    }
    for (s = strstr(pic, "\\draw["); s && s < end; s = strstr(s + 1, "\\draw[")) {
        static drawn r;
        const char *q = strstr(s, "] (") + 2, *stop = strchr(s, ';');
        int node, i, j;
        memset(&r, 0, sizeof r);
        q = read_point(q, nd, nn, &r.x[0], &r.y[0], &node);
        r.from = node;
        r.n = 1;
        if (node < 0) /* a numbered edge, from its box's side */
            for (i = 0; i < nn; i++)
                if (fabs(nd[i].x + nd[i].w / 2 - r.x[0]) < 1e-6 &&
                    fabs(nd[i].y - r.y[0]) <= nd[i].h / 2)
                    r.from = i;
        assert_true(r.from >= 0);
        while (q < stop) {
            while (*q == ' ')
                q++;
            if (!strncmp(q, "--", 2)) {
                q += 2;
                continue;
            }
            if (!strncmp(q, ".. controls", 11)) {
                q = strstr(q, " .. (") + 4; /* the controls are at the mid x */
                r.curve[r.n] = 1;
            }
            if (*q != '(')
                break;
            assert_true(r.n < 256);
            q = read_point(q, nd, nn, &r.x[r.n], &r.y[r.n], &node);
            r.to = node;
            r.n++;
        }
        assert_true(r.to >= 0);
        for (i = 1; i < r.n; i++)
            for (j = 0; j < nn; j++) {
                box b = node_box(&nd[j], CLEAR);
                sg_gedge piece;
                double px[2], py[2];
                unsigned char cv[2];
                if ((j == r.from || j == r.to) &&
                    (inside(b, r.x[i - 1], r.y[i - 1]) || inside(b, r.x[i], r.y[i])))
                    continue;
                px[0] = r.x[i - 1], px[1] = r.x[i], py[0] = r.y[i - 1], py[1] = r.y[i];
                cv[0] = 0, cv[1] = r.curve[i];
                piece.px = px, piece.py = py, piece.curve = cv, piece.npts = 2;
                if (piece_meets(&piece, 1, b)) {
                    print_error("a route from n%d to n%d passes through n%d\n", r.from, r.to, j);
                    fail();
                }
            }
        ne++;
    }
    return ne;
}

static const char attention[] =
    "X ∈ ℝ^{d×n}\nW_q ∈ ℝ^{k×d}\nW_k ∈ ℝ^{k×d}\nW_v ∈ ℝ^{d×d}\nY ∈ ℝ^{d×n}\n"
    "Q = W_q X\nK = W_k X\nV = W_v X\nS = KᵀQ/sqrt(k)\nA = softmax(S)\nO = V A\n"
    "L = ½‖O − Y‖²\ngrad L wrt W_q, W_k, W_v, X\n";
static const char logreg[] =
    "X ∈ ℝ^{N×D}\ny ∈ ℝ^N\nw ∈ ℝ^D\nλ ∈ ℝ\np = σ(Xw)\n"
    "L = −(yᵀ log(p) + (𝟙 − y)ᵀ log(𝟙 − p)) / N + λ/2 ‖w‖²\ngrad L wrt w\n";
static const char autoencoder[] = "W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²\ngrad L wrt W, x\n";
static const char mlp[] =
    "x ∈ ℝ^D\ny ∈ ℝ^C\nW1 ∈ ℝ^{H×D}\nb1 ∈ ℝ^H\nW2 ∈ ℝ^{H×H}\nb2 ∈ ℝ^H\nW3 ∈ ℝ^{C×H}\n"
    "b3 ∈ ℝ^C\nh1 = tanh(W1 x + b1)\nh2 = tanh(W2 h1 + b2)\no = W3 h2 + b3\n"
    "L = ½‖o − y‖²\ngrad L wrt W1, b1, W2, b2, W3, b3\n";
static const char layernorm[] =
    "x ∈ ℝ^n\ny ∈ ℝ^n\nε ∈ ℝ\nμ = sum(x)/n\nc = x − μ𝟙\ns = sqrt(‖c‖²/n + ε)\nz = c/s\n"
    "L = ½‖z − y‖²\ngrad L wrt x\n";
static const char names[] =
    "weights ∈ ℝ^{m×n}\ninputs ∈ ℝ^n\ntargets ∈ ℝ^m\nλ_reg ∈ ℝ\n"
    "hidden_state = tanh(weights inputs)\nresidual_vec = hidden_state − targets\n"
    "L = ½‖residual_vec‖² + λ_reg ‖weights‖²\ngrad L wrt weights\n";
static const char gram[] = "X ∈ ℝ^{n×d}\nY ∈ ℝ^{n×n}\nβ ∈ ℝ\nK = XXᵀ + βI\n"
                           "L = logdet(K) + tr(K⁻¹Y)\ngrad L wrt X\n";

/* the documents' graphs, read back from their TikZ: no route through a box */
static void test_documents(void **state)
{
    static const char *const texts[] = {attention, logreg, autoencoder, mlp, layernorm, gram, names};
    size_t t;
    (void)state;
    for (t = 0; t < sizeof texts / sizeof *texts; t++) {
        char *doc = document(texts[t]);
        int ne = check_drawing(doc);
        assert_true(ne >= 4);
        if (texts[t] == names) /* long names: pills, not circles */
            assert_non_null(strstr(doc, "\\node[value, pill, "));
        free(doc);
    }
    {   /* the paths of attention's X: three, each colored to L; V → O under S and A */
        char *doc = document(attention);
        assert_non_null(strstr(doc, "$X$ has three paths to $L$, drawn in blue: "));
        free(doc);
    }
}

static int report(void **state)
{
    (void)state;
    printf("# checked %ld route pieces against every node in %ld graphs\n", checked_pieces,
           checked_graphs);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chains),
        cmocka_unit_test(test_diamonds),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_logistic),
        cmocka_unit_test(test_parallel_and_fans),
        cmocka_unit_test(test_random_dags),
        cmocka_unit_test(test_crossings_counted),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_no_edges),
        cmocka_unit_test(test_documents),
    };
    return cmocka_run_group_tests(tests, NULL, report);
}
