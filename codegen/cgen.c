/*
 * cgen.c: the C printer's driver and public API (cgen.h).
 *
 * The printer does not walk the expression tree; it schedules the DAG. The
 * passes, one file each (cg.h lists what each gives the others):
 *
 *  1. Plan (cgplan.c, cgloop.c). Each node reachable from a result gets a
 *     plan: how its value is produced and which nodes its code reads.
 *  2. Decide storage (cgplan.c): which nodes get a buffer, which a C local.
 *  3. Mask (cgsched.c). Each node gets the set of results that need it.
 *  4. Schedule (cgsched.c, cgsweep.c): the statements in an order that
 *     respects dependencies and keeps the statements for the same results
 *     together; row sweeps read a large matrix once for several of them.
 *  5. Storage (cgslots.c, cgnames.c): work slots reused by liveness, and the
 *     C names.
 *  6. Print (cgemit.c, cgexpr.c, cgcond.c, cgsweep.c, cgkernel.c, cgdecl.c,
 *     cgcheck.c): the body first (it tells which dimensions, inputs and
 *     kernels are used), then the declarations, then the kernels, in a fixed
 *     order.
 *
 * A run plans once: sg_cgen_plan_new() runs passes 1-5 and keeps the
 * schedule; the source, the header and the reason it cannot be printed all
 * come from that one plan. Printing the body names things as it goes (the
 * kernels used, the tests held in locals), so the source is printed once and
 * kept.
 *
 * Everything is indexed by node id or ordered by it, never by address, so
 * the output is byte-identical from run to run.
 */
#include "cg.h"

int sg_cgen_include_ok(const char *name)
{
    const unsigned char *u = (const unsigned char *)name;
    size_t i, n;
    if (!*name)
        return 0;
    for (i = 0; u[i]; i += n) {
        n = cg_utf8_char(u + i);
        if (!n || u[i] < 0x20 || u[i] == 0x7F || u[i] == '"' || u[i] == '\\' || u[i] == '\'' ||
            u[i] == '/')
            return 0;
    }
    return 1;
}

/* the end of what vectorize.h started */
static const char vec_pop[] =
    "#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER)\n"
    "#pragma GCC pop_options\n#endif\n";

static void upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

/* how many inverses, dets and logdets are reachable from e (through the
   sequences it reads too): a bound on the factors */
static unsigned count_la(cg_state *g, const sg_ctx *ctx, const sg_expr *e, unsigned char *seen,
                         unsigned char *seqseen)
{
    unsigned c = 0;
    int i;
    if (seen[e->id])
        return 0;
    seen[e->id] = 1;
    if (e->op == SG_OP_MUL && e->kid[0]->op == SG_OP_INV && !cg_scalar(e->kid[0])) {
        /* A⁻¹W, for reassociated_solve() */
        SG_GROW(g->solves, g->nsolves, g->capsolves, SG_GROW_MAX, "products with an inverse");
        g->solves[g->nsolves++] = e;
    }
    for (i = 0; i < e->nkids; i++)
        c += count_la(g, ctx, e->kid[i], seen, seqseen);
    if ((e->op == SG_OP_SEQSTEP || e->op == SG_OP_AT) && !seqseen[e->seq]) {
        const sg_seq *q = sg_seq_get(ctx, e->seq);
        seqseen[e->seq] = 1;
        if (q->init)
            c += count_la(g, ctx, q->init, seen, seqseen);
        if (q->body)
            c += count_la(g, ctx, q->body, seen, seqseen);
        for (i = 0; i < q->nterms; i++)
            c += count_la(g, ctx, q->terms[i].value, seen, seqseen);
    }
    return c + (e->op == SG_OP_INV || e->op == SG_OP_DET || e->op == SG_OP_LOGDET);
}

/* an empty state for p: its tables sized, nothing planned */
static cg_state *state_new(const sg_problem *p, const sg_cgen_opts *o)
{
    cg_state *g = sg_xmalloc(sizeof *g);
    int r, i, nseqs = sg_seq_count(p->ctx);
    char *pu;
    memset(g, 0, sizeof *g);
    g->p = p;
    g->o = o;
    g->ctx = p->ctx;
    g->ar = sg_arena_new();
    g->sc = &g->top;
    g->real = o->use_float ? "float" : "double";
    g->fsuf = o->use_float ? "f" : "";
    g->P = o->prefix ? o->prefix : p->prefix ? p->prefix : "sg";
    pu = sg_arena_strdup(g->ar, g->P);
    upper(pu);
    g->PU = pu;
    g->nres = p->nresults;
    g->nreal = sg_expr_count(p->ctx);
    {
        unsigned char *seen = sg_xmalloc(g->nreal + 1), *seqseen = sg_xmalloc((size_t)nseqs + 1);
        memset(seen, 0, g->nreal + 1);
        memset(seqseen, 0, (size_t)nseqs + 1);
        for (r = 0; r < g->nres; r++)
            g->nla += count_la(g, p->ctx, p->results[r].expr, seen, seqseen);
        free(seen);
        free(seqseen);
    }
    /* room for a factor per inverse, det, logdet; a node per sequence */
    g->nnodes = g->nreal + g->nla + (unsigned)nseqs;
    g->fac = sg_xmalloc((g->nla + 1) * sizeof *g->fac);
    g->fac_of = sg_xmalloc((g->nreal + 1) * sizeof *g->fac_of);
    for (i = 0; i < (int)g->nreal; i++)
        g->fac_of[i] = -1;
    g->groups = sg_seqgroups_new(p->ctx);
    g->seqnode = sg_arena_alloc(g->ar, ((size_t)nseqs + 1) * sizeof *g->seqnode);
    memset(g->seqnode, 0, ((size_t)nseqs + 1) * sizeof *g->seqnode);
    g->seqbuf = sg_arena_alloc(g->ar, ((size_t)nseqs + 1) * sizeof *g->seqbuf);
    memset(g->seqbuf, 0, ((size_t)nseqs + 1) * sizeof *g->seqbuf);
    cg_scope_init(g, &g->top, -1);
    cg_scope_bits(g, &g->top, g->nres);
    i = sg_dim_count(p->ctx) + 1;
    g->dimname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->dimname);
    g->dimfix = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->dimfix);
    g->dimused = sg_arena_alloc(g->ar, (size_t)i);
    i = sg_sym_count(p->ctx) + 1;
    g->symname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->symname);
    g->fieldname = sg_arena_alloc(g->ar, (size_t)i * sizeof *g->fieldname);
    g->dimfield = sg_arena_alloc(g->ar, ((size_t)sg_dim_count(p->ctx) + 1) * sizeof *g->dimfield);
    g->resname = sg_arena_alloc(g->ar, ((size_t)g->nres + 1) * sizeof *g->resname);
    g->symused = sg_arena_alloc(g->ar, (size_t)i);
    for (i = 0; i < o->nfixed; i++) {
        int d = sg_dim_find(p->ctx, o->fixed[i].name);
        if (d >= 0 && o->fixed[i].value > 0)
            g->dimfix[d] = o->fixed[i].value;
    }
    return g;
}

/* passes 1-5: the plans, storage, masks, schedules, slots and names */
static cg_state *prepare(const sg_problem *p, const sg_cgen_opts *o)
{
    cg_state *g = state_new(p, o);
    int r, k;

    /* 1. plans: P_eval's, and each loop's as the results reach it */
    for (r = 0; r < g->nres; r++)
        cg_reach(g, cg_result_expr(g, r));
    if (g->unsupported)
        return g;
    for (r = 0; r < g->nres; r++) {
        cg_node *n = cg_rec(g, cg_result_expr(g, r));
        n->root = 1;
        n->uses++;
    }
    /* 2. storage: a loop's body reads what P_eval stores */
    cg_decide(g);
    for (r = 0; r < g->nres; r++) { /* a root read by its result alone is computed in place */
        cg_node *n = cg_rec(g, cg_result_expr(g, r));
        if (n->mat && n->uses == 1)
            n->out = r;
        else if (sg_result_seq(&p->results[r]) >= 0) /* a copy would move one step */
            cg_unsupported(g, "a gradient with respect to a sequence that is read elsewhere",
                           &sg_seq_get(g->ctx, sg_result_seq(&p->results[r]))->span);
    }
    for (k = 0; k < g->nloops; k++) {
        cg_loop *lp = &g->loops[k];
        g->sc = lp->body;
        cg_scope_bits(g, lp->body, lp->npc);
        cg_decide(g);
        for (r = 0; r < lp->npc; r++) { /* a step read by nothing else: made in place */
            cg_node *n = cg_rec_here(g, lp->pc[r].value);
            if (lp->pc[r].kind == PC_STORE && n->reach && !n->ext && n->mat && n->uses == 1)
                n->out = r;
        }
        cg_compute_masks(g);
        g->sc = &g->top;
    }
    /* 3. masks, 4. schedules, 5. work: each loop's step before P_eval's */
    cg_compute_masks(g);
    cg_strict_masks(g);
    for (k = 0; k < g->nloops && !g->unsupported; k++) {
        cg_loop *lp = &g->loops[k];
        g->sc = lp->body;
        cg_schedule(g);
        if (!g->unsupported) {
            cg_allocate(g);
            cg_slots_before(lp->body, lp->body->nslots, &lp->temps);
        }
        g->sc = &g->top;
    }
    if (g->unsupported)
        return g;
    cg_schedule(g);
    if (g->unsupported)
        return g;
    cg_allocate(g);
    cg_name_things(g);
    return g;
}

static void release(cg_state *g)
{
    int k;
    for (k = 0; k < g->nloops; k++) {
        if (g->loops[k].body)
            cg_scope_free(g->loops[k].body);
        free(g->loops[k].body);
        free(g->loops[k].pc);
        free(g->loops[k].reads);
        free(g->loops[k].sums);
        free(g->loops[k].temps.m);
    }
    free(g->loops);
    free(g->steps);
    cg_scope_free(&g->top);
    sg_strmap_free(&g->taken);
    sg_strmap_free(&g->results);
    free(g->fac);
    free(g->now);
    sg_seqgroups_free(g->groups);
    free(g->fac_of);
    free(g->packs);
    free(g->needs);
    free(g->needtab);
    free(g->chains);
    for (k = 0; k < g->nsweeps; k++) {
        free(g->sweeps[k].member);
        free(g->sweeps[k].kind);
    }
    free(g->sweeps);
    free(g->solves);
    sg_fmt_lines_free(&g->formulas);
    sg_arena_free(g->ar);
    free(g);
}

/*
 * With every dimension of the work size known when generating (numbers and
 * --dim values), is it more bytes than a size_t counts? The kernels' packing
 * room is bounded by a few blocks of the largest dimension, far below the
 * margin of half the range left here.
 */
static const char *work_overflow(cg_state *g)
{
    cg_poly total = {NULL, 0, 0};
    unsigned long long v;
    const size_t real = g->o->use_float ? sizeof(float) : sizeof(double);
    const char *msg = NULL;
    unsigned char *used = sg_arena_alloc(g->ar, (size_t)sg_dim_count(g->ctx) + 1);
    cg_slots_before(&g->top, g->top.nslots, &total);
    if (cg_poly_value(g, &total, (unsigned long long)((size_t)-1 / real / 2), &v) < 0)
        msg = cg_fmt(g,
                     "with the dimensions fixed by --dim, %s_work_size would be more bytes "
                     "than a size_t counts (%s reals of %s)",
                     g->P, cg_poly_c(g, &total, used), g->real);
    free(total.m);
    return msg;
}

/* the .c file, printed into b (once: printing names things as it goes) */
static void print_source(cg_state *g, sg_buf *b)
{
    sg_buf fns, evalf;
    int k;
    /* the functions first: printing them tells which kernels are used */
    sg_fmt_problem_lines(&g->formulas, g->p, 0);
    sg_buf_init(&fns);
    sg_buf_init(&evalf);
    cg_eval_fn(g, &evalf); /* first: it tells the kernels' packing room */
    cg_work_size_fn(g, &fns);
    sg_buf_putc(&fns, '\n');
    sg_buf_puts(&fns, sg_buf_str(&evalf));
    sg_buf_free(&evalf);

    cg_banner(g, b, "computes");
    sg_buf_putc(b, '\n');
    if (g->o->header)
        sg_buf_printf(b, "#include \"%s\"\n\n", g->o->header);
    sg_buf_puts(b, "#include <math.h>\n#include <stddef.h>\n\n");
    if (g->o->blas) /* the program links a CBLAS of its choice */
        sg_buf_puts(b, "#include <cblas.h>\n\n");
    if (g->kernels[K_STREAM]) /* the compiler's own header: no library */
        sg_buf_puts(b, "/* non-temporal stores (sg_stream): x86 with SSE2, else plain stores */\n"
                        "#ifndef SG_HAVE_STREAM\n"
                        "#if defined(__SSE2__) && !defined(SG_NO_STREAM)\n"
                        "#define SG_HAVE_STREAM 1\n"
                        "#else\n"
                        "#define SG_HAVE_STREAM 0\n"
                        "#endif\n"
                        "#endif\n"
                        "#if SG_HAVE_STREAM\n"
                        "#include <emmintrin.h>\n"
                        "#include <stdint.h>\n"
                        "#endif\n\n");
    if (g->kernels[K_SYMADD])
        sg_buf_puts(b, "/* 16-byte vectors (sg_symadd): x86 with SSE2, else plain C */\n"
                        "#ifndef SG_HAVE_SSE2\n"
                        "#if defined(__SSE2__) && !defined(SG_NO_SSE2)\n"
                        "#define SG_HAVE_SSE2 1\n"
                        "#else\n"
                        "#define SG_HAVE_SSE2 0\n"
                        "#endif\n"
                        "#endif\n"
                        "#if SG_HAVE_SSE2\n"
                        "#include <emmintrin.h>\n"
                        "#endif\n\n");
    if (!g->o->header) {
        cg_header_text(g, b, 0);
        sg_buf_putc(b, '\n');
    }
    g->kernels[K_VECTORIZE] = 1; /* the loops of P_eval too */
    for (k = 0; k < K_COUNT; k++) /* the kernels used, in a fixed order */
        if (g->kernels[k] && *cg_kernel_name(g, k)) { /* "": none in this mode */
            const char *t = sg_template(cg_kernel_name(g, k));
            assert(t != NULL);
            cg_expand(g, b, t ? t : "");
            sg_buf_putc(b, '\n');
        }
    if (g->top.nit > VEC_MAX_STATEMENTS)
        sg_buf_printf(b,
                      "/* P_eval has %d statements: its loops are left to -O2 alone, since gcc's\n"
                      "   compile time grows faster than the function with each vectorized "
                      "loop */\n%s\n",
                      g->top.nit, vec_pop);
    sg_buf_puts(b, sg_buf_str(&fns));
    sg_buf_free(&fns);
    if (g->top.nit <= VEC_MAX_STATEMENTS) /* what vectorize.h pushed */
        sg_buf_printf(b, "\n%s", vec_pop);
    if (g->o->check_main) {
        sg_buf_putc(b, '\n');
        cg_check_main(g, b);
    }
}

struct sg_cgen_plan {
    cg_state *g;
    const char *why; /* why it cannot be printed, or NULL */
    char *source;    /* the .c, once printed */
    size_t source_len;
};

sg_cgen_plan *sg_cgen_plan_new(const sg_problem *p, const sg_cgen_opts *o)
{
    sg_cgen_plan *pl = sg_xmalloc(sizeof *pl);
    memset(pl, 0, sizeof *pl);
    pl->g = prepare(p, o);
    pl->why = pl->g->unsupported ? pl->g->unsupported : work_overflow(pl->g);
    if (!pl->why && o->header && !sg_cgen_include_ok(o->header))
        pl->why = "the header name cannot be written in #include \"…\"";
    return pl;
}

cg_state *cg_plan_state(sg_cgen_plan *pl)
{
    return pl->g;
}

const char *sg_cgen_plan_why(const sg_cgen_plan *pl)
{
    return pl->why;
}

int sg_cgen_plan_where(const sg_cgen_plan *pl, sg_span *at)
{
    if (!pl->why || pl->why != pl->g->unsupported || !pl->g->unsupported_has_at)
        return 0;
    *at = pl->g->unsupported_at;
    return 1;
}

void cg_unsupported(cg_state *g, const char *why, const sg_span *at)
{
    g->unsupported = why;
    g->unsupported_has_at = at != NULL;
    if (at)
        g->unsupported_at = *at;
}

/* a malloc'd copy of n bytes of s, NUL-terminated, its length in *len */
static char *copy(const char *s, size_t n, size_t *len)
{
    char *t = sg_xmalloc(n + 1);
    memcpy(t, s, n + 1);
    if (len)
        *len = n;
    return t;
}

char *sg_cgen_plan_source(sg_cgen_plan *pl, size_t *len)
{
    if (pl->why)
        return NULL;
    if (!pl->source) {
        sg_buf b;
        sg_buf_init(&b);
        print_source(pl->g, &b);
        pl->source = sg_buf_take(&b, &pl->source_len);
    }
    return copy(pl->source, pl->source_len, len);
}

char *sg_cgen_plan_header(sg_cgen_plan *pl, size_t *len)
{
    sg_buf b;
    if (pl->why)
        return NULL;
    sg_buf_init(&b);
    cg_banner(pl->g, &b, "computes");
    sg_buf_putc(&b, '\n');
    cg_header_text(pl->g, &b, 1);
    return sg_buf_take(&b, len);
}

int sg_cgen_plan_dim_used(sg_cgen_plan *pl, const char *name)
{
    int d;
    size_t len;
    if (pl->why)
        return -1;
    free(sg_cgen_plan_source(pl, &len)); /* the printing marks what it uses */
    d = sg_dim_find(pl->g->ctx, name);
    return d < 0 ? -1 : pl->g->dimused[d] != 0;
}

void sg_cgen_plan_free(sg_cgen_plan *pl)
{
    if (!pl)
        return;
    release(pl->g);
    free(pl->source);
    free(pl);
}

char *sg_cgen_source(const sg_problem *p, const sg_cgen_opts *o, size_t *len)
{
    sg_cgen_plan *pl = sg_cgen_plan_new(p, o);
    char *text = sg_cgen_plan_source(pl, len);
    sg_cgen_plan_free(pl);
    return text;
}

char *sg_cgen_header(const sg_problem *p, const sg_cgen_opts *o, size_t *len)
{
    sg_cgen_plan *pl = sg_cgen_plan_new(p, o);
    char *text = sg_cgen_plan_header(pl, len);
    sg_cgen_plan_free(pl);
    return text;
}

size_t sg_cgen_masks(const sg_problem *p, const sg_cgen_opts *o)
{
    cg_state *g = prepare(p, o);
    size_t n = sg_masks_nodes(g->top.mt);
    int k;
    for (k = 0; k < g->nloops; k++)
        if (g->loops[k].body)
            n += sg_masks_nodes(g->loops[k].body->mt);
    release(g);
    return n;
}

const char *sg_cgen_unsupported(const sg_problem *p)
{
    sg_cgen_opts o;
    cg_state *g;
    const char *msg;
    memset(&o, 0, sizeof o);
    g = prepare(p, &o);
    msg = g->unsupported;
    release(g);
    return msg;
}
