/*
 * expr.h: the hash-consed expression DAG.
 *
 * Every expression symgrad reasons about (the user's definitions, their
 * derivatives, the simplified results) is a node of one DAG. Nodes are
 * interned: the constructors look a node up by (op, shape, children, payload)
 * in a unique table before making it, so structurally equal expressions are
 * the same pointer and common subexpressions are shared everywhere without a
 * separate CSE pass (the CUDD unique table, Lua's interned strings).
 *
 * The constructors are "smart": they apply the local simplifications that
 * are always valid and always make an expression smaller or more canonical
 * (0 + a → a, 1·a → a, (aᵀ)ᵀ → a, Sᵀ → S for symmetric S, constant folding,
 * products reassociated by cost so that WᵀWx is built as Wᵀ(Wx)). Larger
 * rewrites (collecting like terms, factoring, stability rewrites) live in
 * simplify.c.
 *
 * Shapes are checked before anything is built (symbolic/check.c); the
 * constructors assert that their operands fit and never report errors.
 *
 * A shape is (rows, cols) of dimensions. A scalar is 1×1, a vector n×1.
 * Dimensions are indices into the context's dimension table: symbolic names
 * (n, m) or positive constants; SG_DIM_ONE is the constant 1.
 *
 * Sequences (x[t], a recurrence h[t], the adjoint δh[t] of one) live in a
 * table next to the symbols. An expression refers to one step of a sequence
 * through a leaf: STEP (step t + off, inside the body of a loop over t) or AT
 * (a fixed step, h[T]). A Σ over time (SEQSUM) has its body as its kid; the
 * body's STEP leaves are read at the Σ's t. A body also appears in the table:
 * a recurrence's step. Nodes that do not depend on t (no STEP leaf outside a
 * Σ) are "invariant": the same at every step, computed once outside the loop.
 *
 * Ownership: a context owns every node, dimension, symbol and sequence;
 * sg_ctx_free() releases them all.
 */
#ifndef SG_EXPR_H
#define SG_EXPR_H

#include <stddef.h>
#include "../base/arena.h"
#include "../lexer/source.h"

typedef int sg_dim;
#define SG_DIM_ONE 0

typedef struct {
    sg_dim rows, cols;
} sg_shape;

typedef struct {
    const char *name; /* NULL for a constant or a product */
    long value;       /* the constant (> 0), or 0 for a named dimension or a product */
    sg_dim factor[2]; /* a product a·b of dimensions, one of them named (the
                         length of vec(X) for X m×n, the shapes of Kronecker
                         products): a and b; −1, −1 otherwise */
} sg_diminfo;

/* what a declaration says about a symbol's values */
typedef enum {
    SG_PROP_NONE = 0,
    SG_PROP_SYMMETRIC = 1, /* Sᵀ = S */
    SG_PROP_SPD = 2,       /* symmetric positive definite (implies SYMMETRIC) */
    SG_PROP_SIMPLEX = 4,   /* every column's entries ≥ 0 summing to 1: 𝟙ᵀY = 𝟙ᵀ */
} sg_props;

typedef struct {
    const char *name;  /* normalized source name, also the C name: "W1", "beta" */
    sg_shape shape;    /* for a sequence input: the shape of one step */
    unsigned props;    /* sg_props */
    sg_span span;      /* where it was declared */
    int seq;           /* a sequence input x[t]: its sequence, whose steps lo..hi the
                          symbol holds one after another (step t at (t − lo)·size of a
                          step); −1 for an ordinary symbol */
} sg_symbol;

typedef struct sg_expr sg_expr;

/* a time index: dim + off, or the constant off when dim < 0. t = 1..T is
   lo {−1, 1}, hi {T, 0}; T − 1 is {T, −1} */
typedef struct {
    sg_dim dim;
    long off;
} sg_index;

typedef enum {
    SG_SEQ_INPUT,    /* x[t] ∈ ℝ^k for t = lo..hi: given, steps lo..hi */
    SG_SEQ_FORWARD,  /* h[lo−1] = init, h[t] = body(t) for t = lo..hi */
    SG_SEQ_BACKWARD, /* δ[t] for t = hi down to lo−1 (see sg_seq) */
} sg_seq_kind;

/* one piece of a backward recurrence: value(t) is added to δ[t] when
   lo ≤ t ≤ hi (at run time: the bounds may make the range empty) */
typedef struct {
    sg_index lo, hi;
    sg_expr *value;   /* STEP leaves read at t; an AT's piece has none */
    sg_expr *display; /* value simplified for reading (NULL until the checker sets it) */
} sg_seq_term;

/*
 * A sequence. Its steps run over lo..hi for an INPUT, lo−1..hi for a
 * FORWARD or BACKWARD one (the value before the first step is part of it).
 *
 *   FORWARD:  h[lo−1] = init (no STEP leaf), then h[t] = body(t) for
 *             t = lo, …, hi, where body reads STEP(h, −1) and inputs.
 *             Without init it is a per-step sequence (a gate f[t]): its
 *             steps are lo..hi and its body does not read f itself.
 *             A body may read another sequence at t (one whose step is
 *             defined above it) or at t − 1 (any recurrence): sequences
 *             that read each other (c[t] reads h[t−1], h[t] reads c[t])
 *             form a group, computed together, step by step (sg_seq_groups).
 *   BACKWARD: the adjoint δ[t] = ∂L/∂h[t] of FORWARD seq `of`, computed for
 *             t = hi, hi−1, …, lo−1 as
 *                 δ[t] = [t < hi]·body(t) + Σₖ [loₖ ≤ t ≤ hiₖ]·termsₖ(t)
 *             where body reads STEP(δ, +1) (the next step back-propagated)
 *             and the terms are the direct contributions (from a Σ over
 *             time, or from an AT(h, k) as a one-step range k..k).
 */
typedef struct {
    const char *name;  /* "x", "h", "δh" */
    sg_seq_kind kind;
    sg_shape shape;    /* of one step */
    sg_index lo, hi;
    int sym;           /* INPUT: the symbol holding every step; else −1 */
    int of;            /* BACKWARD: the FORWARD sequence it is the adjoint of; else −1 */
    sg_expr *init;     /* FORWARD: the value at lo−1 (NULL until defined) */
    sg_expr *body;     /* FORWARD, BACKWARD: see above (NULL until defined) */
    sg_expr *display;  /* body simplified for reading (NULL until the checker sets it) */
    sg_seq_term *terms; /* BACKWARD */
    int nterms;
    int order;         /* FORWARD: its step's place among the steps as they are
                          defined; one t runs the steps of a group in this order */
    sg_span span;      /* where it was declared or first defined */
} sg_seq;

typedef enum {
    /* leaves */
    SG_OP_VAR,        /* an input symbol (sym) */
    SG_OP_CONST,      /* a scalar number (value) */
    SG_OP_DIMVAL,     /* a dimension used as a scalar: n (dim) */
    SG_OP_ZERO,       /* 0 of any shape */
    SG_OP_ONES,       /* 𝟙 of any shape (every entry 1) */
    SG_OP_EYE,        /* I, square */
    /* linear structure */
    SG_OP_ADD,        /* a + b, equal shapes */
    SG_OP_MUL,        /* a b: matrix product; scaling when a is 1×1 (a scalar
                         factor is always kid[0]) */
    SG_OP_TRANSPOSE,  /* aᵀ */
    SG_OP_FILL,       /* a scalar broadcast to this node's shape: s𝟙𝟙ᵀ */
    SG_OP_SUM,        /* sum of every entry → 1×1 */
    SG_OP_TRACE,      /* tr(a) → 1×1 */
    SG_OP_DOT,        /* ⟨a, b⟩ = Σ a_ij b_ij → 1×1 (‖a‖² is ⟨a, a⟩) */
    SG_OP_DIAG,       /* diag(v): vector → diagonal matrix */
    SG_OP_DIAGV,      /* diag(A): square matrix → vector of its diagonal */
    /* elementwise binary, equal shapes */
    SG_OP_HADAMARD,   /* a ⊙ b */
    SG_OP_HDIV,       /* a ⊘ b */
    SG_OP_POW,        /* a.^p, a any shape, p a 1×1 expression (a constant mostly) */
    /* elementwise unary, same shape as a */
    SG_OP_EXP,        /* exp */
    SG_OP_LOG,        /* log */
    SG_OP_SQRT,       /* sqrt */
    SG_OP_ABS,        /* abs */
    SG_OP_SIN,        /* sin */
    SG_OP_COS,        /* cos */
    SG_OP_TANH,       /* tanh */
    SG_OP_SIGMOID,    /* σ(x) = 1/(1 + e^−x) */
    SG_OP_RELU,       /* max(x, 0) */
    SG_OP_SWISH,      /* x σ(x) */
    SG_OP_SOFTPLUS,   /* log(1 + eˣ) */
    SG_OP_LOG1P,      /* log(1 + x) */
    SG_OP_EXPM1,      /* eˣ − 1 */
    SG_OP_TAN,        /* tan */
    SG_OP_ARCSIN,     /* arcsin, on [−1, 1] */
    SG_OP_ARCCOS,     /* arccos, on [−1, 1] */
    SG_OP_ARCTAN,     /* arctan */
    SG_OP_SINH,       /* sinh */
    SG_OP_COSH,       /* cosh */
    SG_OP_LOG2,       /* log₂ */
    SG_OP_ERF,        /* erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt */
    SG_OP_SIGN,       /* sign(x), 0 at 0: abs′ */
    SG_OP_STEP,       /* 1 if x > 0 else 0: relu′ */
    /* norms, reductions to 1×1 */
    SG_OP_NORM,       /* ‖a‖₂ (Frobenius for matrices) */
    SG_OP_NORM1,      /* ‖a‖₁ */
    /* column-wise: a p×N matrix is N columns of length p */
    SG_OP_SOFTMAX,    /* softmax of each column, p×N */
    SG_OP_LOGSOFTMAX, /* log softmax of each column, p×N */
    SG_OP_LOGSUMEXP,  /* log Σ exp of each column → 1×N */
    /* linear algebra (issue 3) */
    SG_OP_INV,        /* A⁻¹ */
    SG_OP_DET,        /* det A */
    SG_OP_LOGDET,     /* log |det A| */
    /* sequences (see sg_seq) */
    SG_OP_SEQSTEP,    /* h[t + off] inside a loop body over t (seq, off); a leaf */
    SG_OP_AT,         /* h[k] for a fixed k (seq, at): h[T], x[1]; a leaf */
    SG_OP_SEQSUM,     /* Σ_{t=lo}^{hi} kid[0], kid[0] read at every t (lo, hi) */
    /* the Kronecker structure of Jacobians of and with respect to matrices,
       whose entries are taken in row-major order: vec(X) for X m×n is the
       (m·n)-vector X₀₀, X₀₁, …, X₀,ₙ₋₁, X₁₀, … (the C layout of X) */
    SG_OP_KRON,       /* a ⊗ b: (p·r)×(q·s) for a p×q, b r×s; entry (i·r + k, j·s + l)
                         is a_ij b_kl, so vec(AXB) = (A ⊗ Bᵀ) vec(X) */
    SG_OP_VEC,        /* vec(a) of a matrix: its entries row by row, an (m·n)-vector */
    SG_OP_COMMUTE,    /* K_{m,n} (dim m, off n): the commutation matrix, (n·m)×(m·n),
                         vec(Xᵀ) = K vec(X) for X m×n; a leaf */
    SG_OP_COUNT
} sg_op;

struct sg_expr {
    sg_op op;
    sg_shape shape;
    int nkids;
    sg_expr *kid[2];
    double value;        /* CONST */
    int sym;             /* VAR: index into the context's symbols */
    sg_dim dim;          /* DIMVAL */
    int seq;             /* SEQSTEP, AT: the sequence; −1 otherwise */
    long off;            /* SEQSTEP: the step read is t + off */
    sg_index at;         /* AT: the step read */
    sg_index lo, hi;     /* SEQSUM: the range summed over */
    unsigned id;         /* creation order: kids always have smaller ids */
    unsigned hash;
    sg_expr *chain;      /* next node in the unique table's bucket */
    const char *name;    /* the user's name for this value, if a definition
                            names it ("r", "K"): for printing only */
};

typedef struct sg_ctx sg_ctx;

/*
 * The context's tables are named alike: for a table T (dim, sym, seq,
 * rewrite), sg_T_add makes an entry, sg_T_find looks one up by name,
 * sg_T_count is how many there are and sg_T_get reads entry i. The node
 * constructors are named after their ops (sg_add for SG_OP_ADD, sg_seqstep
 * for SG_OP_SEQSTEP, sg_at for SG_OP_AT); what asks a node a question is
 * sg_expr_* (or props.h's sg_props_*), and an op sg_op_*.
 */
sg_ctx *sg_ctx_new(void);
void sg_ctx_free(sg_ctx *ctx);
sg_arena *sg_ctx_arena(sg_ctx *ctx);

/* dimensions */
sg_dim sg_dim_named(sg_ctx *ctx, const char *name); /* finds or adds */
sg_dim sg_dim_const(sg_ctx *ctx, long value);       /* finds or adds */
/* a·b: 1·b = b, a product of constants is a constant, else a product
   dimension (found or added) */
sg_dim sg_dim_product(sg_ctx *ctx, sg_dim a, sg_dim b);
int sg_dim_is_product(const sg_ctx *ctx, sg_dim d);
/* d's value given named[k], the value of each named dimension k (a product
   multiplies its factors'); 0 when a named one it needs is 0 (unknown) */
long sg_dim_value(const sg_ctx *ctx, sg_dim d, const long *named);
/* the length of vec(e) for e of shape s: rows·cols */
sg_dim sg_shape_len(sg_ctx *ctx, sg_shape s);
int sg_dim_find(const sg_ctx *ctx, const char *name); /* -1 if absent */
int sg_dim_count(const sg_ctx *ctx);
const sg_diminfo *sg_dim_get(const sg_ctx *ctx, sg_dim d);
sg_shape sg_shape_make(sg_dim rows, sg_dim cols);
int sg_shape_eq(sg_shape a, sg_shape b);
int sg_shape_is_scalar(sg_shape s);
int sg_shape_is_vector(sg_shape s);   /* n×1 with n ≠ 1 */
/* "ℝ", "ℝ^n", "ℝ^{m×n}", "ℝ^{1×n}" (ascii: "R", "R^n", "R^(m x n)") */
const char *sg_shape_str(sg_ctx *ctx, sg_shape s, int ascii);

/* symbols */
int sg_sym_add(sg_ctx *ctx, const char *name, sg_shape shape, unsigned props, sg_span span);
int sg_sym_find(const sg_ctx *ctx, const char *name); /* -1 if absent */
int sg_sym_count(const sg_ctx *ctx);
const sg_symbol *sg_sym_get(const sg_ctx *ctx, int i);

/*
 * sequences. sg_seq_add makes the table entry (an INPUT also gets its
 * symbol, of the step's shape); the caller fills in init, body and terms
 * through sg_seq_get_mut as they become known. Indices stay valid as the
 * table grows.
 */
int sg_seq_add(sg_ctx *ctx, const char *name, sg_seq_kind kind, sg_shape step, sg_index lo,
               sg_index hi, sg_span span);
/* an INPUT with declared properties for each step (y[t] ∈ Δ^C) */
int sg_seq_add_input(sg_ctx *ctx, const char *name, sg_shape step, unsigned props, sg_index lo,
                     sg_index hi, sg_span span);
int sg_seq_find(const sg_ctx *ctx, const char *name); /* -1 if absent */
int sg_seq_count(const sg_ctx *ctx);
const sg_seq *sg_seq_get(const sg_ctx *ctx, int q);
sg_seq *sg_seq_get_mut(sg_ctx *ctx, int q);
void sg_seq_add_term(sg_ctx *ctx, int q, sg_index lo, sg_index hi, sg_expr *value);
/* the steps a sequence holds: lo..hi for an INPUT or a per-step sequence
   (and the adjoint of one), lo−1..hi otherwise */
sg_index sg_seq_first(const sg_ctx *ctx, int q);
/* the place of q's step among its group's in one t: ascending */
long sg_seq_rank(const sg_ctx *ctx, int q);
/* the sequences computed together in one loop over t (those reading each
   other round a cycle; see seqgroup.c), as they stand when it is made */
typedef struct {
    int n;       /* sequences */
    int *group;  /* by sequence: its group's leader (its least index) */
    int *byrank; /* every sequence, by group, each group's in rank order */
    int *start;  /* by leader: where its group starts in byrank */
} sg_seqgroups;
sg_seqgroups *sg_seqgroups_new(const sg_ctx *ctx);
/* the members of q's group in rank order, *m[0..n) (q alone: itself) */
int sg_seqgroups_members(const sg_seqgroups *g, int q, const int **m);
void sg_seqgroups_free(sg_seqgroups *g);
sg_index sg_index_make(sg_dim dim, long off);
sg_index sg_index_plus(sg_index i, long k);
int sg_index_eq(sg_index a, sg_index b);
/* a ≤ b for every value of the dimensions (each ≥ 1) */
int sg_index_provably_le(sg_index a, sg_index b);
/* "T − 1", "0", "T" (ascii: "T - 1"), in the context's arena */
const char *sg_index_str(sg_ctx *ctx, sg_index i, int ascii);
/* the same into buf (cap bytes, truncated), for printers with a const ctx;
   returns what snprintf returns */
int sg_index_snprint(char *buf, size_t cap, const sg_ctx *ctx, sg_index i, int ascii);

/* leaves */
sg_expr *sg_var(sg_ctx *ctx, int sym);
sg_expr *sg_const(sg_ctx *ctx, double v);
sg_expr *sg_dimval(sg_ctx *ctx, sg_dim d);
sg_expr *sg_zero(sg_ctx *ctx, sg_shape s);
sg_expr *sg_ones(sg_ctx *ctx, sg_shape s);
sg_expr *sg_eye(sg_ctx *ctx, sg_dim n);

/* structure; shapes must fit (asserted) */
sg_expr *sg_add(sg_ctx *ctx, sg_expr *a, sg_expr *b);
sg_expr *sg_sub(sg_ctx *ctx, sg_expr *a, sg_expr *b);
sg_expr *sg_neg(sg_ctx *ctx, sg_expr *a);
/* matrix product, or scaling when either side is 1×1 */
sg_expr *sg_mul(sg_ctx *ctx, sg_expr *a, sg_expr *b);
sg_expr *sg_div(sg_ctx *ctx, sg_expr *a, sg_expr *s); /* a / s for a 1×1 s */
sg_expr *sg_transpose(sg_ctx *ctx, sg_expr *a);
sg_expr *sg_fill(sg_ctx *ctx, sg_expr *s, sg_shape shape); /* broadcast a 1×1 */
sg_expr *sg_sum(sg_ctx *ctx, sg_expr *a);
sg_expr *sg_trace(sg_ctx *ctx, sg_expr *a);
sg_expr *sg_dot(sg_ctx *ctx, sg_expr *a, sg_expr *b);
sg_expr *sg_diag(sg_ctx *ctx, sg_expr *v);
sg_expr *sg_diagv(sg_ctx *ctx, sg_expr *a);
sg_expr *sg_hadamard(sg_ctx *ctx, sg_expr *a, sg_expr *b);
sg_expr *sg_hdiv(sg_ctx *ctx, sg_expr *a, sg_expr *b);
sg_expr *sg_pow(sg_ctx *ctx, sg_expr *a, sg_expr *p);  /* elementwise a.^p */
/* a ⊗ b: 0 ⊗ b = 0, I ⊗ I = I, a scalar factor comes out ((sA) ⊗ B = s(A ⊗ B)) */
sg_expr *sg_kron(sg_ctx *ctx, sg_expr *a, sg_expr *b);
/* vec(a), row by row: a column is itself, a row its transpose */
sg_expr *sg_vec(sg_ctx *ctx, sg_expr *a);
/* K_{m,n}, vec(Xᵀ) = K vec(X) for X m×n: I when m or n is 1 */
sg_expr *sg_commute(sg_ctx *ctx, sg_dim m, sg_dim n);
/* elementwise unary functions, norms, column-wise softmax family, INV, DET, LOGDET */
sg_expr *sg_unary(sg_ctx *ctx, sg_op op, sg_expr *a);

/* sequence leaves and the Σ over time */
sg_expr *sg_seqstep(sg_ctx *ctx, int seq, long off);   /* h[t + off] */
sg_expr *sg_at(sg_ctx *ctx, int seq, sg_index at); /* h[k] */
/* Σ_{t=lo}^{hi} body: a constant coefficient comes out (Σ c·B = c·Σ B); an
   invariant body over a range whose length is known is a product with it */
sg_expr *sg_seqsum(sg_ctx *ctx, sg_expr *body, sg_index lo, sg_index hi);

/* rewriting (through the constructors; shared subexpressions rebuilt once) */
/* e with its kids replaced by a (and b): e's op applied to them */
sg_expr *sg_expr_rebuild(sg_ctx *ctx, const sg_expr *e, sg_expr *a, sg_expr *b);
/* e with every STEP(q, off) read as STEP(q, off + by): e(t + by) */
sg_expr *sg_expr_shift(sg_ctx *ctx, sg_expr *e, long by);
/* e with every occurrence of the node from replaced by to */
sg_expr *sg_expr_replace(sg_ctx *ctx, sg_expr *e, const sg_expr *from, sg_expr *to);

/*
 * The stability rewrites the constructors make (the list in expr.c's
 * header), recorded while recording is on, so that a printer can show each
 * as a step with its reason rather than a silent substitution: the checker
 * records while it builds the user's definitions. a and b are the
 * identity's variables as they were given (x; for LOGISTIC z and u), out
 * what the constructor built.
 */
typedef enum {
    SG_RW_LOG_SIGMOID,      /* log σ(x) = −softplus(−x) */
    SG_RW_LOG_1M_SIGMOID,   /* log(𝟙 − σ(x)) = −softplus(x) */
    SG_RW_LOG_1P_EXP,       /* log(𝟙 + eˣ) = softplus(x) */
    SG_RW_LOG1P,            /* log(𝟙 + x) = log1p(x) */
    SG_RW_LOG_SUM_EXP,      /* log 𝟙ᵀeˣ = logsumexp(x) */
    SG_RW_LOG_SOFTMAX,      /* log softmax(x) = logsoftmax(x) */
    SG_RW_EXPM1,            /* eˣ − 𝟙 = expm1(x) (and 𝟙 − eˣ = −expm1(x)) */
    SG_RW_LOGSOFTMAX,       /* x − 𝟙 logsumexp(x) = logsoftmax(x) */
    SG_RW_SOFTMAX,          /* eˣ/𝟙ᵀeˣ = softmax(x) */
    SG_RW_SIGMOID_NEG,      /* σ(−x) = 𝟙 − σ(x) */
    SG_RW_LOGISTIC,         /* uᵀsoftplus(−z) + (𝟙 − u)ᵀsoftplus(z) = 𝟙ᵀsoftplus(z) − uᵀz */
    SG_RW_SOFTPLUS_DIFF,    /* softplus(x) − softplus(−x) = x */
    SG_RW_COUNT
} sg_rewrite_kind;

typedef struct {
    sg_rewrite_kind kind;
    const sg_expr *a, *b;
    const sg_expr *out;
} sg_rewrite;

/* start (on = 1) or stop recording; the records made so far stay */
void sg_ctx_record_rewrites(sg_ctx *ctx, int on);
/*
 * With on = 1 the constructors build the σ family as written: log σ(x),
 * log(𝟙 − σ(x)) and σ(−x) stay, and the softplus forms are not merged. The
 * checker builds a second, written form of a function one of those rewrites
 * changed, so that its derivation shows σ′ = σ(1 − σ) as a course does; the
 * C always computes the stable form.
 */
void sg_ctx_as_written(sg_ctx *ctx, int on);
int sg_rewrite_count(const sg_ctx *ctx);
const sg_rewrite *sg_rewrite_get(const sg_ctx *ctx, int i);

/* properties used by the simplifier and the checker */
int sg_expr_is_const(const sg_expr *e, double v); /* a CONST (or FILL of one) equal to v */
int sg_expr_is_zero(const sg_expr *e);
int sg_expr_sums_to_zero(const sg_expr *e); /* provably 𝟙ᵀE𝟙 = 0: E = A − mean(A)𝟙, … */
/* depends on the loop index t: has a STEP leaf not inside a Σ of its own */
int sg_expr_varies(const sg_expr *e);
/* the operator nodes of e's tree (leaves count none), counted up to cap:
   what printing e would cost, bounded however large its tree */
int sg_expr_ops(const sg_expr *e, int cap);
/* a product of leaves and their transposes (Wx, WᵀWx), at most 8 deep: a
   formula as short as a name, which the derivation printers do not name */
int sg_expr_is_leaf_product(const sg_expr *e);
/* SEQSTEP, AT or SEQSUM: an op the C printer must write loops for */
int sg_op_is_seq(sg_op op);
int sg_op_is_elementwise_unary(sg_op op);
const char *sg_op_name(sg_op op); /* "exp", "softmax", "+", "ᵀ", … */
unsigned sg_expr_count(const sg_ctx *ctx); /* nodes made so far */
/* constructor calls so far, whether they found their node or made it: a
   measure of the work done, for budgets (sg_simplify) */
unsigned long sg_ctx_work(const sg_ctx *ctx);
/* adds work done outside the constructors (a pass's comparisons) */
void sg_ctx_charge(sg_ctx *ctx, unsigned long work);
/*
 * A dense numbering of the nodes one pass reaches: an open-addressing map
 * from node id to 0, 1, 2, … in the order the nodes were added. A pass keeps
 * its per-node tables in arrays indexed by that number, so its scratch is
 * proportional to the nodes it reaches, not to every node the context ever
 * made: a printer that simplifies or walks each of k small values in a large
 * DAG does O(k · value) work, not O(k · DAG). The bytes the maps allocate
 * are counted on the context (sg_ctx_scratch), so tests can pin that bound.
 */
typedef struct {
    sg_ctx *ctx;   /* charged with the bytes allocated */
    unsigned *key; /* id + 1 per slot, 0 when empty */
    unsigned *ix;  /* the number of the node in that slot */
    unsigned cap;  /* slots: a power of two, at most half full */
    unsigned n;    /* nodes numbered so far */
} sg_idmap;
#define SG_IDMAP_NONE 0xffffffffu
void sg_idmap_init(sg_idmap *m, sg_ctx *ctx);
void sg_idmap_free(sg_idmap *m);
/* e's number, or SG_IDMAP_NONE when it has none */
unsigned sg_idmap_find(const sg_idmap *m, const sg_expr *e);
/* e's number, giving it the next one (m->n before the call) if it has none */
unsigned sg_idmap_add(sg_idmap *m, const sg_expr *e);
/* numbers root and every node below it that m does not know yet, walking
   each once (a node m knows is not looked inside: walks from several roots
   into one map cost the union of their DAGs) */
void sg_idmap_add_reachable(sg_idmap *m, const sg_expr *root);
/* the same for any key below 0xffffffff (a pass that numbers more than
   nodes, recurrences say, gives each kind its own keys) */
unsigned sg_idmap_find_key(const sg_idmap *m, unsigned key);
unsigned sg_idmap_add_key(sg_idmap *m, unsigned key);
/* bytes of per-pass scratch allocated so far (sg_idmap tables and the
   arrays passes size by them, as they report with sg_ctx_scratch_add) */
unsigned long sg_ctx_scratch(const sg_ctx *ctx);
void sg_ctx_scratch_add(sg_ctx *ctx, unsigned long bytes);
/*
 * The most nodes a problem may have (sg_check reports more as an error):
 * about 13 per layer of a deep tanh network, so 1000 layers take 13 000,
 * and room for the quadratic growth of Hessians and displayed forms.
 */
#define SG_MAX_NODES 200000u
/* an elementwise unary op applied to one number, in its stable form
   (σ and softplus never overflow); used for constant folding and by eval */
double sg_op_apply1(sg_op op, double x);

#endif
