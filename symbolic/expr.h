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
 * Ownership: a context owns every node, dimension and symbol; sg_ctx_free()
 * releases them all.
 */
#ifndef SG_EXPR_H
#define SG_EXPR_H

#include <stddef.h>
#include "../lexer/arena.h"
#include "../lexer/source.h"

typedef int sg_dim;
#define SG_DIM_ONE 0

typedef struct {
    sg_dim rows, cols;
} sg_shape;

typedef struct {
    const char *name; /* NULL for a constant */
    long value;       /* the constant (> 0), or 0 for a named dimension */
} sg_diminfo;

/* what a declaration says about a symbol's values */
typedef enum {
    SG_PROP_NONE = 0,
    SG_PROP_SYMMETRIC = 1, /* Sᵀ = S */
    SG_PROP_SPD = 2,       /* symmetric positive definite (implies SYMMETRIC) */
    SG_PROP_SIMPLEX = 4,   /* entries ≥ 0 summing to 1: sum(y) = 1 */
} sg_props;

typedef struct {
    const char *name;  /* normalized source name, also the C name: "W1", "beta" */
    sg_shape shape;
    unsigned props;    /* sg_props */
    sg_span span;      /* where it was declared */
} sg_symbol;

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
    SG_OP_COUNT
} sg_op;

typedef struct sg_expr sg_expr;
struct sg_expr {
    sg_op op;
    sg_shape shape;
    int nkids;
    sg_expr *kid[2];
    double value;        /* CONST */
    int sym;             /* VAR: index into the context's symbols */
    sg_dim dim;          /* DIMVAL */
    unsigned id;         /* creation order: kids always have smaller ids */
    unsigned hash;
    sg_expr *chain;      /* next node in the unique table's bucket */
    const char *name;    /* the user's name for this value, if a definition
                            names it ("r", "K"): for printing only */
};

typedef struct sg_ctx sg_ctx;

sg_ctx *sg_ctx_new(void);
void sg_ctx_free(sg_ctx *ctx);
sg_arena *sg_ctx_arena(sg_ctx *ctx);

/* dimensions */
sg_dim sg_dim_named(sg_ctx *ctx, const char *name); /* finds or adds */
sg_dim sg_dim_const(sg_ctx *ctx, long value);       /* finds or adds */
int sg_dim_find(const sg_ctx *ctx, const char *name); /* -1 if absent */
int sg_ndims(const sg_ctx *ctx);
const sg_diminfo *sg_diminfo_of(const sg_ctx *ctx, sg_dim d);
sg_shape sg_shape_make(sg_dim rows, sg_dim cols);
int sg_shape_eq(sg_shape a, sg_shape b);
int sg_shape_is_scalar(sg_shape s);
int sg_shape_is_vector(sg_shape s);   /* n×1 with n ≠ 1 */
/* "ℝ", "ℝ^n", "ℝ^{m×n}", "ℝ^{1×n}" (ascii: "R", "R^n", "R^(m x n)") */
const char *sg_shape_str(sg_ctx *ctx, sg_shape s, int ascii);

/* symbols */
int sg_sym_add(sg_ctx *ctx, const char *name, sg_shape shape, unsigned props, sg_span span);
int sg_sym_find(const sg_ctx *ctx, const char *name); /* -1 if absent */
int sg_nsyms(const sg_ctx *ctx);
const sg_symbol *sg_sym(const sg_ctx *ctx, int i);

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
/* elementwise unary functions, norms, column-wise softmax family, INV, DET, LOGDET */
sg_expr *sg_unary(sg_ctx *ctx, sg_op op, sg_expr *a);

/* properties used by the simplifier and the checker */
int sg_expr_is_const(const sg_expr *e, double v); /* a CONST (or FILL of one) equal to v */
int sg_expr_is_zero(const sg_expr *e);
int sg_expr_is_symmetric(const sg_ctx *ctx, const sg_expr *e); /* provably Eᵀ = E */
int sg_op_is_elementwise_unary(sg_op op);
const char *sg_op_name(sg_op op); /* "exp", "softmax", "+", "ᵀ", … */
unsigned sg_expr_count(const sg_ctx *ctx); /* nodes made so far */
/* an elementwise unary op applied to one number, in its stable form
   (σ and softplus never overflow); used for constant folding and by eval */
double sg_op_apply1(sg_op op, double x);

#endif
