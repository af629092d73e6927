/*
 * graph.h: the layered (Sugiyama) layout of a computation graph, drawn left
 * to right. Pure geometry, no TeX: the LaTeX printer gives boxes and edges,
 * and prints TikZ from the coordinates and routes this computes.
 *
 *   1. layers: longest-path layers (every node one right of its latest
 *      input), then each source pulled right to one left of its first
 *      reader;
 *   2. an edge spanning several layers gets a dummy node in each layer
 *      between, so it is routed through a reserved slot of that layer;
 *   3. crossings reduced by barycenter sweeps, keeping the best order seen
 *      (never worse than the order given);
 *   4. coordinates: in each layer the slots are placed as near the mean of
 *      their neighbours as their order and spacing allow (an isotonic
 *      regression, solved exactly), alternately sweeping both ways; then
 *      a long edge whose dummies can all sit level with one of its ends
 *      is put there, so that it turns once.
 *
 * A route runs inside columns only horizontally (or within the slot of its
 * own end node) and crosses the gaps between columns, where there are no
 * nodes, as S-curves: so no edge passes through a node and no edge label
 * overlaps a node or another label, by construction (tests/test_graph.c
 * checks it from the coordinates).
 *
 * Units are centimetres; y grows upward, as in TikZ.
 *
 * Ownership: the caller owns node[] and edge[], given with the route fields
 * zero; sg_graph_layout() allocates each edge's route (releasing an earlier
 * layout's), which sg_graph_free() releases.
 */
#ifndef SG_GRAPH_H
#define SG_GRAPH_H

typedef struct {
    double w, h;      /* in: the box's size */
    int layer, order; /* out: its column (0 = leftmost) and row (0 = top) */
    double x, y;      /* out: its center */
} sg_gnode;

typedef struct {
    int from, to;   /* in: node indices; the edge is drawn from → to */
    double lw, lh;  /* in: a label's size near the tail (0: none) */
    int npts;       /* out: the route, pts[0] = from's center … to's center */
    double *px, *py;
    unsigned char *curve; /* out: curve[i]: pts[i−1] → pts[i] is an S-curve, with
                             control points (xm, y[i−1]) and (xm, y[i]), xm
                             their mid x; else a straight segment */
    double lx, ly;  /* out: the label's center, when it has one */
} sg_gedge;

typedef struct {
    int n, ne;
    sg_gnode *node;
    sg_gedge *edge;
    /* out */
    int nlayers, ndummies;
    double x0, y0, x1, y1; /* the drawing's bounding box: nodes, labels, routes */
    long crossings0;       /* crossings of the order given, with the dummies */
    long crossings;        /* crossings after the reduction */
} sg_graph;

enum {
    SG_GRAPH_OK = 0,
    SG_GRAPH_CYCLE,  /* the edges have a cycle (or a self-loop) */
    SG_GRAPH_TOO_BIG /* larger than maxw × maxh however drawn; x1 − x0 and
                        y1 − y0 hold lower bounds, nothing is allocated */
};

/* the gaps: between columns (after the ports), between boxes in a column */
#define SG_GRAPH_HGAP 0.9
#define SG_GRAPH_VGAP 0.35

/*
 * Lays g out. Nodes keep their given relative order where crossings do not
 * decide otherwise (give inputs in declaration order). maxw, maxh (≤ 0: no
 * bound) bound the drawing: a graph whose layers alone need more is refused
 * with SG_GRAPH_TOO_BIG before any dummy node is made, so the work stays in
 * proportion to what can be drawn.
 */
int sg_graph_layout(sg_graph *g, double maxw, double maxh);

/* the routes allocated by sg_graph_layout() */
void sg_graph_free(sg_graph *g);

#endif
