/*
 * check_seq.c: the checker's sequences: indices, the Σ over time, and the
 * statements that declare a sequence or define a recurrence.
 *
 * Sequences. `x[t] ∈ ℝ^k for t = 1..T` declares an input sequence; `h[0] =
 * h0` starts a recurrence and `h[t] = … h[t−1] … for t = 1..T` gives its
 * step. The body of a step or of a Σ over time is checked inside a loop (the
 * variable, its range, the recurrence being defined): there x[t + c] is a
 * STEP leaf, checked to stay in x's range for every t of the loop, and a
 * step may read only the step before its own. Outside loops h[T] is an AT
 * leaf, and h[0] is the initial value itself. Ranges and indices are compared
 * symbolically (T − 1 ≤ T, 1 ≤ T since dimensions are ≥ 1): an index that
 * could leave its sequence's range for some T is an error.
 */
#include "check_impl.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/cident.h"
#include "../base/grow.h"
#include "../lexer/lex.h"
#include "simplify.h"

/* ---- sequences ------------------------------------------------------------- */


/* a whole number as written: 0, 1, 12 (−1 through NEG) */
static int whole(const sg_ast *a, long *v)
{
    int neg = 0;
    if (a->kind == SG_AST_NEG) {
        a = a->a;
        neg = 1;
    }
    if (a->kind != SG_AST_NUM || a->num > 1e12 || a->num != (double)(long)a->num)
        return 0;
    *v = neg ? -(long)a->num : (long)a->num;
    return 1;
}

/* t, T or 3: 1 when read, 0 when an error was reported, −1 when it is not
   an index at all. A new dimension name is made one when intro is set */
static int index_base(ck_checker *c, const sg_ast *a, int intro, int *rel, sg_index *out)
{
    long v;
    int idx;
    ck_name_kind k;
    *rel = 0;
    if (whole(a, &v)) {
        *out = sg_index_make(-1, v);
        return 1;
    }
    if (a->kind != SG_AST_NAME)
        return -1;
    if (c->loop.var && !strcmp(a->name, c->loop.var)) {
        *rel = 1;
        *out = sg_index_make(-1, 0);
        return 1;
    }
    k = ck_lookup(c, a->name, &idx);
    if (k == CK_DIM) {
        *out = sg_index_make(idx, 0);
        return 1;
    }
    if (k == CK_NONE && intro) {
        sg_ident id;
        sg_dim d;
        id.name = a->name;
        id.value = 0;
        id.span = a->span;
        if (!ck_dim_of(c, &id, &d))
            return 0;
        *out = sg_index_make(d, 0);
        return 1;
    }
    if (k == CK_NONE && c->loop.var)
        ck_error(c, a->span, "'%s' is not the index of the loop around it (%s)", a->name,
                 c->loop.var);
    else if (k == CK_NONE)
        ck_error(c, a->span, "undefined index '%s': a sequence is indexed by the variable of a Σ "
                             "or a step around it, or by a fixed step like h[T]", a->name);
    else
        ck_error(c, a->span, "%s is %s, not an index", a->name,
                 k == CK_SYM   ? "a declared symbol" : k == CK_DEF ? "a definition" : k == CK_SEQ ? "a sequence" : "a function");
    return 0;
}

/* an index as written: t, t − 1, t + 1, T, T − 1, 0; *rel when it is
   relative to the loop variable (then out->off is the offset). 0 when an
   error was reported */
static int parse_index(ck_checker *c, const sg_ast *a, int intro, int *rel, sg_index *out)
{
    long v;
    int r;
    if ((a->kind == SG_AST_ADD || a->kind == SG_AST_SUB) && whole(a->b, &v)) {
        r = index_base(c, a->a, intro, rel, out);
        if (r > 0)
            out->off += a->kind == SG_AST_ADD ? v : -v;
    } else if (a->kind == SG_AST_ADD && whole(a->a, &v)) {
        r = index_base(c, a->b, intro, rel, out);
        if (r > 0)
            out->off += v;
    } else {
        r = index_base(c, a, intro, rel, out);
    }
    if (r < 0) {
        ck_error(c, a->span, "an index is written t, t − 1, t + 1, a dimension (T), T − 1 or a "
                             "whole number");
        return 0;
    }
    return r;
}

/* lo..hi as a range that runs forwards (or is empty) for every T */
static int range_ok(ck_checker *c, sg_index lo, sg_index hi, sg_span at)
{
    if (sg_index_provably_le(sg_index_plus(lo, -1), hi))
        return 1;
    ck_error(c, at, "the range %s..%s may run backwards: its end must not be below its start minus "
                    "one, whatever the dimensions", sg_index_str(c->ctx, lo, 0),
             sg_index_str(c->ctx, hi, 0));
    return 0;
}

int ck_seq_bad(const ck_checker *c, int q)
{
    return q < c->capseqbad && c->seqbad[q];
}

static void set_seq_bad(ck_checker *c, int q)
{
    if (q >= c->capseqbad) {
        int old = c->capseqbad;
        SG_GROW(c->seqbad, q, c->capseqbad, SG_GROW_MAX, "sequences");
        memset(c->seqbad + old, 0, (size_t)(c->capseqbad - old));
    }
    c->seqbad[q] = 1;
}

/* a read of h[t − 1] in a step above h's own step (h[0] is in, h[t] is not
   yet): in range once h's step is known, checked by ck_seq_finish */
struct ck_ahead {
    int seq;
    sg_index lo, hi; /* the steps read: the loop's range, one back */
    sg_span at;
    const char *var;
};

static ck_val read_ahead(ck_checker *c, int q, const sg_ast *a)
{
    struct ck_ahead *r;
    SG_GROW(c->ahead, c->nahead, c->capahead, SG_GROW_MAX, "reads of later steps");
    r = &c->ahead[c->nahead++];
    r->seq = q;
    r->lo = sg_index_plus(c->loop.lo, -1);
    r->hi = sg_index_plus(c->loop.hi, -1);
    r->at = a->span;
    r->var = c->loop.var;
    return ck_ok(sg_seqstep(c->ctx, q, -1));
}

void ck_seq_finish(ck_checker *c)
{
    int i;
    for (i = 0; i < c->nahead; i++) {
        const struct ck_ahead *r = &c->ahead[i];
        const sg_seq *sq = sg_seq_get(c->ctx, r->seq);
        sg_index first = sg_seq_first(c->ctx, r->seq);
        if (ck_seq_bad(c, r->seq))
            continue;
        if (!sq->body)
            ck_error(c, r->at, "%s[%s−1] is read here, but %s has no step: write %s[%s] = … for "
                               "%s = %s..%s below", sq->name, r->var, sq->name, sq->name, r->var,
                     r->var, sg_index_str(c->ctx, sq->lo, 0),
                     sg_index_str(c->ctx, sg_index_plus(r->hi, 1), 0));
        else if (!(sg_index_provably_le(first, r->lo) && sg_index_provably_le(r->hi, sq->hi)))
            ck_error(c, r->at, "index out of range: %s is defined for %s = %s..%s", sq->name,
                     r->var, sg_index_str(c->ctx, first, 0), sg_index_str(c->ctx, sq->hi, 0));
    }
    free(c->ahead);
    c->ahead = NULL;
    c->nahead = c->capahead = 0;
}

/* h[t − 1], x[t], h[T], h[0] */
ck_val ck_check_index(ck_checker *c, const sg_ast *a)
{
    int q, rel;
    sg_index idx, first, last;
    const sg_seq *sq;
    const char *var = c->loop.var ? c->loop.var : "t";
    ck_name_kind k = ck_lookup(c, a->name, &q);
    if (k != CK_SEQ) {
        if (k == CK_NONE)
            ck_undefined(c, a->name_span, a->name);
        else
            ck_error(c, a->name_span, "%s is not a sequence: only a sequence takes an index [ ]",
                     a->name);
        return ck_err();
    }
    if (q != c->loop.self) /* a step reading the step before is no use of it */
        ck_use(c, a->name);
    if (!parse_index(c, a->args[0], 0, &rel, &idx) || ck_seq_bad(c, q))
        return ck_err();
    sq = sg_seq_get(c->ctx, q);
    first = sg_seq_first(c->ctx, q);
    last = sq->hi;
    if (q == c->loop.self) {
        if (rel && idx.off == -1 && !sq->init) {
            ck_error(c, a->span, "%s has no initial value: write %s[%s] = … above its step",
                     a->name, a->name, sg_index_str(c->ctx, sg_index_plus(c->loop.lo, -1), 0));
            return ck_err();
        }
        if (rel && idx.off == -1)
            return ck_ok(sg_seqstep(c->ctx, q, -1));
        if (rel && idx.off >= 0)
            ck_error(c, a->args[0]->span, "a step of %s may only use earlier steps (%s[%s−1])",
                     a->name, a->name, var);
        else
            ck_error(c, a->args[0]->span, "a step of %s may only use the step just before it, "
                                          "%s[%s−1]", a->name, a->name, var);
        return ck_err();
    }
    if (!rel && sq->kind == SG_SEQ_FORWARD && sq->init && sg_index_eq(idx, first))
        return ck_ok(sq->init); /* h[0] is the initial value itself */
    if (sq->kind == SG_SEQ_FORWARD && !sq->body) {
        if (rel && idx.off == -1 && c->loop.self >= 0 && sq->init)
            return read_ahead(c, q, a); /* h[t − 1] of a step further down */
        if (c->loop.self >= 0 && rel)
            ck_error(c, a->span, "%s is used before its step %s[t] = … is defined: a step may "
                                 "read a step defined further down only at %s−1",
                     a->name, a->name, var);
        else
            ck_error(c, a->span, "%s is used before its step %s[t] = … is defined", a->name,
                     a->name);
        return ck_err();
    }
    if (rel ? !(sg_index_provably_le(first, sg_index_plus(c->loop.lo, idx.off)) &&
                sg_index_provably_le(sg_index_plus(c->loop.hi, idx.off), last))
            : !(sg_index_provably_le(first, idx) && sg_index_provably_le(idx, last))) {
        ck_error(c, a->args[0]->span, "index out of range: %s is defined for %s = %s..%s", a->name,
                 var, sg_index_str(c->ctx, first, 0), sg_index_str(c->ctx, last, 0));
        return ck_err();
    }
    return ck_ok(rel ? sg_seqstep(c->ctx, q, idx.off) : sg_at(c->ctx, q, idx));
}

/* Σ_{t=lo}^{hi} body, sum(t = lo..hi, body) */
ck_val ck_check_sumover(ck_checker *c, const sg_ast *a, ck_want w)
{
    int rel, idx;
    sg_index lo, hi;
    ck_val v;
    if (c->loop.var) {
        ck_error(c, a->span, "a Σ inside a Σ or a step is not supported yet");
        return ck_err();
    }
    if (ck_lookup(c, a->name, &idx) != CK_NONE || !strcmp(a->name, "I")) {
        ck_error(c, a->name_span, "the index %s is already a name; choose another", a->name);
        return ck_err();
    }
    if (!parse_index(c, a->args[0], 0, &rel, &lo) || !parse_index(c, a->args[1], 0, &rel, &hi))
        return ck_err();
    /* a range that may be empty for some T (Σ_{t=2}^{T−1}) is fine, one that
       always runs backwards is a mistake */
    if (sg_index_provably_le(sg_index_plus(hi, 2), lo)) {
        ck_error(c, a->args[1]->span, "the range %s..%s runs backwards", sg_index_str(c->ctx, lo, 0),
                 sg_index_str(c->ctx, hi, 0));
        return ck_err();
    }
    c->loop.var = a->name;
    c->loop.lo = lo;
    c->loop.hi = hi;
    c->loop.self = -1;
    v = ck_need_size(c, ck_check(c, a->a, w));
    c->loop.var = NULL;
    c->loop.self = -1;
    if (v.st != CK_OK)
        return v;
    return ck_ok(sg_seqsum(c->ctx, v.e, lo, hi));
}

/* the range of `for t = lo..hi` after a sequence's index, which must be t;
   new dimension names become dimensions. 0 when an error was reported */
static int stmt_range(ck_checker *c, const sg_stmt *s, sg_index *lo, sg_index *hi)
{
    int rel, idx;
    const char *var = s->range_var.name;
    if (s->index->kind != SG_AST_NAME || strcmp(s->index->name, var)) {
        ck_error(c, s->index->span, "the step is written %s[%s], with %s the variable of its range",
                 s->target.name ? s->target.name : s->names[0].name, var, var);
        return 0;
    }
    if (ck_lookup(c, var, &idx) != CK_NONE || !strcmp(var, "I")) {
        ck_error(c, s->range_var.span, "the index %s is already a name; choose another", var);
        return 0;
    }
    return parse_index(c, s->range_lo, 1, &rel, lo) && parse_index(c, s->range_hi, 1, &rel, hi) &&
           range_ok(c, *lo, *hi, s->range_hi->span);
}

/* x[t] ∈ ℝ^k for t = 1..T */
void ck_declare_seq(ck_checker *c, const sg_stmt *s, sg_shape shape, unsigned props)
{
    sg_index lo, hi;
    int i;
    if (!s->range_var.name) {
        ck_error(c, s->index->span, "a sequence needs its range: write `for %s = 1..T` after the "
                                    "type", s->index->kind == SG_AST_NAME ? s->index->name : "t");
        return;
    }
    if (!stmt_range(c, s, &lo, &hi))
        return;
    for (i = 0; i < s->nnames; i++) {
        const sg_ident *n = &s->names[i];
        if (!ck_declarable(c, n))
            continue;
        sg_seq_add_input(c->ctx, n->name, shape, props, lo, hi, n->span);
    }
}

/* h[0] = e: a recurrence starts */
static void define_init(ck_checker *c, const sg_stmt *s)
{
    const char *name = s->target.name;
    int rel, q;
    sg_index at;
    ck_val v = ck_err();
    if (!ck_fresh(c, name, s->target.span, "defined"))
        return;
    if (!ck_is_c_identifier(name)) {
        ck_error(c, s->target.span, "'%s' cannot be used as a name in C; choose another", name);
        return;
    }
    if (!parse_index(c, s->index, 0, &rel, &at))
        return;
    if (s->expr)
        v = ck_need_size(c, ck_check(c, s->expr, CK_ANY));
    q = sg_seq_add(c->ctx, name, SG_SEQ_FORWARD,
                   v.st == CK_OK ? v.e->shape : sg_shape_make(SG_DIM_ONE, SG_DIM_ONE),
                   sg_index_plus(at, 1), sg_index_plus(at, 1), s->target.span);
    if (v.st == CK_OK)
        sg_seq_get_mut(c->ctx, q)->init = v.e;
    else
        set_seq_bad(c, q);
}

/* f[t] = e for t = lo..hi with no f[lo−1] above: a per-step sequence (a
   gate), made here; its shape is its body's. −1 when an error was reported */
static int new_per_step(ck_checker *c, const sg_stmt *s, sg_index lo, sg_index hi)
{
    const char *name = s->target.name;
    if (!ck_is_c_identifier(name)) {
        ck_error(c, s->target.span, "'%s' cannot be used as a name in C; choose another", name);
        return -1;
    }
    return sg_seq_add(c->ctx, name, SG_SEQ_FORWARD, sg_shape_make(SG_DIM_ONE, SG_DIM_ONE), lo, hi,
                      s->target.span);
}

/* the step of recurrence q (its initial value above) fits: not an input,
   not defined twice, starting right after the initial value */
static int step_fits(ck_checker *c, const sg_stmt *s, int q, sg_index lo, sg_index hi)
{
    const char *name = s->target.name;
    const sg_seq *sq = sg_seq_get(c->ctx, q);
    unsigned line, col;
    sg_src_linecol(c->src, sq->span.begin, &line, &col);
    if (sq->kind == SG_SEQ_INPUT) {
        ck_error(c, s->target.span, "%s is an input sequence (declared at line %u); it cannot be "
                                    "defined", name, line);
        return 0;
    }
    if (sq->body || (ck_seq_bad(c, q) && sq->init)) {
        ck_error(c, s->target.span, "%s already has its step", name);
        return 0;
    }
    if (!sg_index_eq(sg_index_plus(lo, -1), sg_index_plus(sq->lo, -1))) {
        ck_error(c, s->range_lo->span, "the steps of %s start right after its initial value "
                                       "%s[%s]: write %s = %s..%s", name, name,
                 sg_index_str(c->ctx, sg_index_plus(sq->lo, -1), 0), s->range_var.name,
                 sg_index_str(c->ctx, sq->lo, 0), sg_index_str(c->ctx, hi, 0));
        set_seq_bad(c, q); /* its uses stay quiet */
        return 0;
    }
    return 1;
}

/* h[t] = e for t = lo..hi: its step (f[t] = e without f[lo−1]: a per-step
   sequence) */
static void define_step(ck_checker *c, const sg_stmt *s)
{
    const char *name = s->target.name;
    int q = -1, fresh;
    sg_index lo, hi;
    const sg_seq *sq;
    ck_val v;
    ck_name_kind k = ck_lookup(c, name, &q);
    if (!stmt_range(c, s, &lo, &hi)) {
        if (k == CK_SEQ && sg_seq_get(c->ctx, q)->kind != SG_SEQ_INPUT)
            set_seq_bad(c, q); /* its uses stay quiet */
        return;
    }
    if (k != CK_SEQ && k != CK_NONE) {
        ck_fresh(c, name, s->target.span, "defined");
        return;
    }
    fresh = k == CK_NONE;
    if (fresh ? (q = new_per_step(c, s, lo, hi)) < 0 : !step_fits(c, s, q, lo, hi))
        return;
    if (!s->expr || ck_seq_bad(c, q)) {
        set_seq_bad(c, q);
        return;
    }
    sg_seq_get_mut(c->ctx, q)->hi = hi;
    sq = sg_seq_get(c->ctx, q);
    c->loop.var = s->range_var.name;
    c->loop.lo = lo;
    c->loop.hi = hi;
    c->loop.self = q;
    v = ck_need_size(c, ck_check(c, s->expr, fresh ? CK_ANY : ck_want_of(sq->shape)));
    c->loop.var = NULL;
    c->loop.self = -1;
    if (v.st == CK_OK && !fresh && !sg_shape_eq(v.e->shape, sq->shape)) {
        ck_error(c, s->expr->span, "the step of %s is %s, but its initial value %s[%s] is %s", name,
                 ck_shape_str(c, v.e->shape), name,
                 sg_index_str(c->ctx, sg_index_plus(sq->lo, -1), 0), ck_shape_str(c, sq->shape));
        v = ck_err();
    }
    if (v.st != CK_OK) {
        set_seq_bad(c, q);
        return;
    }
    if (fresh)
        sg_seq_get_mut(c->ctx, q)->shape = v.e->shape;
    sg_seq_get_mut(c->ctx, q)->body = v.e;
    sg_seq_get_mut(c->ctx, q)->order = ++c->nsteps;
}

void ck_define_seq(ck_checker *c, const sg_stmt *s)
{
    if (s->range_var.name)
        define_step(c, s);
    else
        define_init(c, s);
}
