/*
 * ast.h: the syntax tree of a symgrad file, as the parser builds it.
 *
 * The tree is what was written, nothing more: names are not resolved, shapes
 * are not checked, constants are not folded, and `Wx` is still one name
 * (symbolic/ splits it). Every node keeps the span of its source text.
 *
 * Names are normalized by the lexer: subscript digits become ASCII digits
 * (W₁ → "W1") and Greek letters their English names (β → "beta", Λ →
 * "Lambda"), so the Unicode and ASCII spellings of a name are one name.
 *
 * Ownership: every node, statement and string lives in the arena passed to
 * sg_parse(); nothing here is freed on its own.
 */
#ifndef SG_AST_H
#define SG_AST_H

#include "../base/arena.h"
#include "../lexer/source.h"

/* the largest dimension written as a number (and the largest --dim value):
   2³¹ − 1, so that each fits an int and a product of two a 64-bit long */
#define SG_MAX_DIM 2147483647L

typedef enum {
    SG_AST_NUM,       /* 2  0.5  1e-3  ½ */
    SG_AST_NAME,      /* W  β  Wx  I  𝟙 (name "ones")  — I and 𝟙 are names too */
    SG_AST_CALL,      /* f(a, b)   and  f|A|  f‖x‖ (args[0] is the bar atom) */
    SG_AST_INDEX,     /* h[t−1]: name, args[0] the index expression */
    SG_AST_NEG,       /* −a */
    SG_AST_POS,       /* +a */
    SG_AST_ADD,       /* a + b */
    SG_AST_SUB,       /* a − b */
    SG_AST_MUL,       /* a * b   a · b */
    SG_AST_JUX,       /* a b (juxtaposition) */
    SG_AST_DIV,       /* a / b */
    SG_AST_HADAMARD,  /* a ⊙ b   a .* b */
    SG_AST_HDIV,      /* a ⊘ b   a ./ b */
    SG_AST_EPOW,      /* a .^ b */
    SG_AST_POW,       /* a ^ b   a²  a³ (b is a NUM node) */
    SG_AST_TRANSPOSE, /* aᵀ  a'  a.T  a^T */
    SG_AST_INVERSE,   /* a⁻¹  a^-1 */
    SG_AST_NORM,      /* ‖a‖ */
    SG_AST_NORM1,     /* ‖a‖₁ */
    SG_AST_BARS,      /* |a| */
    SG_AST_INNER,     /* ⟨a, b⟩ */
    SG_AST_SUMOVER,   /* Σ_{t=lo}^{hi} a   or  sum(t = lo..hi, a): name is t,
                         args[0] lo, args[1] hi, a the body */
} sg_ast_kind;

typedef struct sg_ast sg_ast;
struct sg_ast {
    sg_ast_kind kind;
    sg_span span;      /* the whole construct */
    double num;        /* NUM */
    const char *name;  /* NAME, CALL (function), INDEX (sequence), SUMOVER (index variable) */
    sg_span name_span; /* NAME, CALL, INDEX, SUMOVER: where the name is written */
    sg_ast *a, *b;     /* operands: unary ops use a; binary ops a and b */
    sg_ast **args;     /* CALL, INDEX, SUMOVER */
    int nargs;
    int grouped;       /* written in ( ): a postfix after it applies to all of it,
                          however the checker splits a name inside (Ax)ᵀ */
    int symbol;        /* CALL: written √e, the square root whatever is declared;
                          NORM: written ‖e‖₂, a vector's norm only */
};

typedef enum {
    SG_STMT_DECL,     /* x, y ∈ ℝ^n    x : vector(n)    x[t] ∈ ℝ^k for t = 1..T */
    SG_STMT_DIM,      /* dim n, m */
    SG_STMT_DEF,      /* r = e     h[0] = h0     h[t] = … for t = 1..T */
    SG_STMT_GRAD,     /* grad L wrt W, x */
    SG_STMT_JACOBIAN, /* jacobian s wrt z */
    SG_STMT_HESSIAN,  /* hessian L wrt x   (hessian L wrt x, y: the mixed one) */
    SG_STMT_OUTPUT,   /* output r, s */
    SG_STMT_PREFIX,   /* prefix name */
    SG_STMT_ANSWER,   /* answer ∂L/∂W = e   answer dL/dW = e   answer ∂²L/∂w² = e */
} sg_stmt_kind;

typedef enum {
    SG_TYPE_SCALAR,    /* ℝ                 scalar */
    SG_TYPE_VECTOR,    /* ℝ^n               vector(n) */
    SG_TYPE_MATRIX,    /* ℝ^{m×n}           matrix(m, n)   R^(m x n) */
    SG_TYPE_SYMMETRIC, /* 𝕊^n               symmetric(n) */
    SG_TYPE_SPD,       /* 𝕊₊₊^n             spd(n) */
    SG_TYPE_ONEHOT,    /* Δ^C               onehot(C)      Δ^{C×N} onehot(C, N): columns */
} sg_type_kind;

typedef struct {
    const char *name; /* normalized; NULL for a number */
    long value;       /* a dimension written as a number (name == NULL) */
    sg_span span;
} sg_ident;

typedef struct sg_stmt sg_stmt;
struct sg_stmt {
    sg_stmt_kind kind;
    sg_span span;      /* the whole statement */
    sg_ident *names;   /* DECL: the declared names; DIM: the dimensions;
                          GRAD, JACOBIAN, HESSIAN: the wrt list; OUTPUT: the names;
                          ANSWER: the one variable */
    int nnames;
    sg_type_kind type; /* DECL */
    sg_ident dims[2];  /* DECL: ndims dimensions (vector 1, matrix 2, 𝕊/Δ 1) */
    int ndims;
    sg_ident target;   /* DEF: the defined name; GRAD, JACOBIAN, HESSIAN, ANSWER:
                          the differentiated name; PREFIX: the prefix */
    sg_ast *expr;      /* DEF: the expression, NULL if it failed to parse;
                          ANSWER: the claimed derivative */
    int order;         /* ANSWER: 1 (∂L/∂W), or 2 for a Hessian (∂²L/∂w²) */
    sg_span head;      /* ANSWER: where ∂L/∂W is written */
    sg_ast *index;     /* DECL x[t] / DEF h[t], h[0]: the index written, else NULL */
    sg_ident range_var;   /* `for t = lo..hi`: t (name NULL when there is no range) */
    sg_ast *range_lo, *range_hi;
    sg_stmt *next;
};

typedef struct {
    sg_stmt *first;
} sg_program;

/* constructors: one per grammar action (parser/ast.c) */
sg_ast *sg_ast_num(sg_arena *a, sg_span span, double v);
sg_ast *sg_ast_name(sg_arena *a, sg_span span, const char *name);
sg_ast *sg_ast_unary(sg_arena *a, sg_ast_kind k, sg_span span, sg_ast *x);
sg_ast *sg_ast_binary(sg_arena *a, sg_ast_kind k, sg_ast *x, sg_ast *y);
sg_ast *sg_ast_call(sg_arena *a, sg_span span, const char *name, sg_span name_span,
                    sg_ast **args, int nargs);
/* h[i] */
sg_ast *sg_ast_index(sg_arena *a, sg_span span, const char *name, sg_span name_span,
                     sg_ast *i);
/* ⟨x, y⟩ */
sg_ast *sg_ast_inner(sg_arena *a, sg_span span, sg_ast *x, sg_ast *y);
/* x² x³: POW with b a NUM node at p_span */
sg_ast *sg_ast_power(sg_arena *a, sg_ast *x, double p, sg_span p_span);
/* Σ_{var=lo}^{hi} body */
sg_ast *sg_ast_sumover(sg_arena *a, sg_span span, const char *var, sg_span var_span,
                       sg_ast *lo, sg_ast *hi, sg_ast *body);

/* the flat chain a binary operator belongs to (1: + −, 2: products, 3: ⊙),
   or 0: a + b + c is ADD(ADD(a, b), c), one chain one level deep */
int sg_ast_chain(sg_ast_kind k);

/* one line per node, indented: for tests and --debug dumps */
void sg_ast_dump(const sg_ast *e, char *buf, size_t cap);
const char *sg_ast_kind_name(sg_ast_kind k);

#endif
