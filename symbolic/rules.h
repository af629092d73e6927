/*
 * rules.h: the one table of derivative rules.
 *
 * Every identity differentiation uses is an entry here, once: reverse mode
 * (diff.c) pushes an adjoint to a kid by an entry's reverse builder,
 * forward Jacobian propagation (jacobian.c) builds J(node) by an entry's
 * forward builder, and the passes' own steps (the seed, the total
 * derivative, backpropagation through time) are entries without a builder.
 * The derivation log records the id of the entry each step used, so a
 * printer finds the rule's Unicode text, its TeX and its Matrix Cookbook
 * equation by id, never by comparing texts, and never re-derives it.
 *
 * An entry holds:
 *   - math: the differential identity the rule comes from, in Unicode
 *     ("d(AB) = (dA)B + A(dB)");
 *   - text: the rule as the log reads it, in Unicode ("Y = AB ⇒ Ā += ȲBᵀ");
 *   - tex: the same rule in LaTeX math mode;
 *   - cookbook: the equation number in The Matrix Cookbook (Petersen and
 *     Pedersen, version of November 15, 2012) of the identity, "(59)", or
 *     NULL where the Cookbook has none;
 *   - a builder that makes the rule's expression with the DAG's
 *     constructors (so it is simplified and shared like everything else).
 *
 * Ownership: the table is static and constant; builders make nodes in the
 * context given.
 */
#ifndef SG_RULES_H
#define SG_RULES_H

#include "expr.h"

typedef enum {
    SG_RULE_NONE, /* a step that used no rule */

    /* reverse mode: Y's adjoint Ȳ pushed to one kid */
    SG_RULE_ADD_A,      /* Y = A + B ⇒ Ā += Ȳ */
    SG_RULE_ADD_B,      /* Y = A + B ⇒ B̄ += Ȳ */
    SG_RULE_SCALE_S,    /* Y = sA ⇒ s̄ += ⟨Ȳ, A⟩ */
    SG_RULE_SCALE_A,    /* Y = sA ⇒ Ā += sȲ */
    SG_RULE_MUL_A,      /* Y = AB ⇒ Ā += ȲBᵀ */
    SG_RULE_MUL_B,      /* Y = AB ⇒ B̄ += AᵀȲ */
    SG_RULE_TRANSPOSE,  /* Y = Aᵀ ⇒ Ā += Ȳᵀ */
    SG_RULE_FILL,       /* Y = s𝟙𝟙ᵀ ⇒ s̄ += sum(Ȳ) */
    SG_RULE_SUM,        /* y = sum(A) ⇒ Ā += ȳ𝟙𝟙ᵀ */
    SG_RULE_TRACE,      /* y = tr(A) ⇒ Ā += ȳI */
    SG_RULE_DOT_A,      /* y = ⟨A, B⟩ ⇒ Ā += ȳB */
    SG_RULE_DOT_B,      /* y = ⟨A, B⟩ ⇒ B̄ += ȳA */
    SG_RULE_DIAG,       /* Y = diag(v) ⇒ v̄ += diag(Ȳ) */
    SG_RULE_DIAGV,      /* y = diag(A) ⇒ Ā += diag(ȳ) */
    SG_RULE_HADAMARD_A, /* Y = A ⊙ B ⇒ Ā += Ȳ ⊙ B */
    SG_RULE_HADAMARD_B, /* Y = A ⊙ B ⇒ B̄ += Ȳ ⊙ A */
    SG_RULE_HDIV_A,     /* Y = A ⊘ B ⇒ Ā += Ȳ ⊘ B */
    SG_RULE_HDIV_B,     /* Y = A ⊘ B ⇒ B̄ += −(Ȳ ⊙ Y) ⊘ B */
    SG_RULE_POW_A,      /* Y = A.^p ⇒ Ā += p Ȳ ⊙ A.^(p−1) */
    SG_RULE_POW_P,      /* Y = A.^p ⇒ p̄ += sum(Ȳ ⊙ Y ⊙ log A) */
    SG_RULE_EXP,        /* Y = exp(A) ⇒ Ā += Ȳ ⊙ Y */
    SG_RULE_LOG,        /* Y = log(A) ⇒ Ā += Ȳ ⊘ A */
    SG_RULE_SQRT,       /* Y = √A ⇒ Ā += Ȳ ⊘ 2Y */
    SG_RULE_ABS,        /* Y = |A| ⇒ Ā += Ȳ ⊙ sign(A) */
    SG_RULE_SIN,        /* Y = sin(A) ⇒ Ā += Ȳ ⊙ cos(A) */
    SG_RULE_COS,        /* Y = cos(A) ⇒ Ā += −Ȳ ⊙ sin(A) */
    SG_RULE_TANH,       /* Y = tanh(A) ⇒ Ā += Ȳ ⊙ (𝟙 − Y ⊙ Y) */
    SG_RULE_SIGMOID,    /* Y = σ(A) ⇒ Ā += Ȳ ⊙ Y ⊙ (𝟙 − Y) */
    SG_RULE_RELU,       /* Y = relu(A) ⇒ Ā += Ȳ ⊙ step(A) */
    SG_RULE_SWISH,      /* Y = A ⊙ σ(A) ⇒ Ā += Ȳ ⊙ swish′(A) */
    SG_RULE_SOFTPLUS,   /* Y = softplus(A) ⇒ Ā += Ȳ ⊙ σ(A) */
    SG_RULE_LOG1P,      /* Y = log(𝟙 + A) ⇒ Ā += Ȳ ⊘ (𝟙 + A) */
    SG_RULE_EXPM1,      /* Y = exp(A) − 𝟙 ⇒ Ā += Ȳ ⊙ (Y + 𝟙) */
    SG_RULE_TAN,        /* Y = tan(A) ⇒ Ā += Ȳ ⊙ (𝟙 + Y ⊙ Y) */
    SG_RULE_ARCSIN,     /* Y = arcsin(A) ⇒ Ā += Ȳ ⊘ √(𝟙 − A ⊙ A) */
    SG_RULE_ARCCOS,     /* Y = arccos(A) ⇒ Ā += −Ȳ ⊘ √(𝟙 − A ⊙ A) */
    SG_RULE_ARCTAN,     /* Y = arctan(A) ⇒ Ā += Ȳ ⊘ (𝟙 + A ⊙ A) */
    SG_RULE_SINH,       /* Y = sinh(A) ⇒ Ā += Ȳ ⊙ cosh(A) */
    SG_RULE_COSH,       /* Y = cosh(A) ⇒ Ā += Ȳ ⊙ sinh(A) */
    SG_RULE_LOG2,       /* Y = log2(A) ⇒ Ā += Ȳ ⊘ (A ln 2) */
    SG_RULE_ERF,        /* Y = erf(A) ⇒ Ā += (2/√π) Ȳ ⊙ exp(−A ⊙ A) */
    SG_RULE_SIGN,       /* Y = sign(A) ⇒ Ā += 0 */
    SG_RULE_STEP,       /* Y = step(A) ⇒ Ā += 0 */
    SG_RULE_NORM,       /* y = ‖A‖ ⇒ Ā += (ȳ/y) A */
    SG_RULE_NORM1,      /* y = ‖A‖₁ ⇒ Ā += ȳ sign(A) */
    SG_RULE_SOFTMAX,    /* S = softmax(A) ⇒ Ā += S ⊙ (S̄ − 𝟙(𝟙ᵀ(S ⊙ S̄))) */
    SG_RULE_LOGSOFTMAX, /* Y = logsoftmax(A) ⇒ Ā += Ȳ − softmax(A) ⊙ (𝟙(𝟙ᵀȲ)) */
    SG_RULE_LOGSUMEXP,  /* y = logsumexp(A) ⇒ Ā += softmax(A) ⊙ (𝟙ȳ) */
    SG_RULE_INV,        /* Y = A⁻¹ ⇒ Ā += −YᵀȲYᵀ */
    SG_RULE_DET,        /* y = det A ⇒ Ā += ȳ y A⁻ᵀ */
    SG_RULE_LOGDET,     /* y = log|det A| ⇒ Ā += ȳ A⁻ᵀ */
    SG_RULE_SQNORM,     /* y = ⟨A, A⟩ ⇒ Ā += 2ȳA: dot.A and dot.B at once, as a
                           derivation reads ‖A‖² (sg_rule_merged_for) */

    /* the reverse pass itself, and backpropagation through time */
    SG_RULE_SEED,          /* ∂f/∂f = 1 */
    SG_RULE_TOTAL,         /* Ȳ = the sum of the contributions of Y's paths */
    SG_RULE_SEQ_SUM,       /* Y = Σ_t B(t): the body differentiated with seed Ȳ */
    SG_RULE_SEQ_SUM_PUSH,  /* Y = Σ_t B(t) ⇒ Z̄ += Σ_t ∇_Z ⟨Ȳ, B(t)⟩ */
    SG_RULE_SEQ_TERM_AT,   /* ∂L/∂h[k], a term of δh at the one step k */
    SG_RULE_SEQ_TERM_STEP, /* ∂L/∂h[t], a term of δh at every step read */
    SG_RULE_SEQ_REC,       /* h[t] = f(h[t−1]): ⟨δh[t], f⟩ differentiated once */
    SG_RULE_SEQ_REC_PUSH,  /* W̄ += Σ_t ∇_W ⟨δh[t], f⟩ */
    SG_RULE_SEQ_DELTA,     /* δh[t] = direct terms + ∇_{h[t]} ⟨δh[t+1], h[t+1]⟩ */
    SG_RULE_SEQ_INIT,      /* h̄₀ += δh[lo−1] */

    /* forward mode: J(y) = ∂vec(y)/∂x from the kids' Jacobians */
    SG_RULE_J_X,           /* J(x) = I */
    SG_RULE_J_SCALAR,      /* J(s) = (∇ₓs)ᵀ for a 1×1 s */
    SG_RULE_J_ADD,         /* J(a + b) = J(a) + J(b) */
    SG_RULE_J_TRANSPOSE,   /* J(aᵀ) = J(a) */
    SG_RULE_J_FILL,        /* J(s𝟙) = 𝟙 J(s) */
    SG_RULE_J_SCALE,       /* J(s v) = s J(v) + v J(s) */
    SG_RULE_J_MATVEC,      /* J(A v) = A J(v) */
    SG_RULE_J_ROWMAT,      /* J(u M) = Mᵀ J(u) */
    SG_RULE_J_HADAMARD,    /* J(a ⊙ b) = diag(b) J(a) + diag(a) J(b) */
    SG_RULE_J_HDIV,        /* J(a ⊘ b) = diag(𝟙 ⊘ b) J(a) − diag((a ⊘ b) ⊘ b) J(b) */
    SG_RULE_J_POW,         /* J(a.^p) = diag(p a.^(p−1)) J(a) + (a.^p ⊙ log a) J(p) */
    SG_RULE_J_SOFTMAX,     /* J(softmax(a)) = (diag(s) − ssᵀ) J(a) */
    SG_RULE_J_LOGSOFTMAX,  /* J(logsoftmax(a)) = (I − 𝟙 softmax(a)ᵀ) J(a) */
    SG_RULE_J_ELEMENTWISE, /* J(f(a)) = diag(f′(a)) J(a) */
    SG_RULE_J_MATMUL,      /* J(AB) = (I ⊗ Bᵀ) J(A) + (A ⊗ I) J(B) */
    SG_RULE_J_COMMUTE,     /* J(Aᵀ) = K J(A) for a matrix A */

    SG_RULE_COUNT
} sg_rule_id;

typedef enum {
    SG_RULE_REVERSE, /* pushes a node's adjoint to one kid: has reverse */
    SG_RULE_FORWARD, /* builds a node's Jacobian from its kids': has forward */
    SG_RULE_PASS,    /* a step of a pass (seed, total, through time): no builder */
} sg_rule_kind;

/*
 * The contribution of node y, whose adjoint is g, to y's kid k: shaped like
 * that kid.
 */
typedef sg_expr *(*sg_rule_reverse_fn)(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g);

/*
 * J(y) = ∂vec(y)/∂vec(x), vec row by row (len(y)×len(x), len the number of
 * entries), from its kids'
 * Jacobians Ja and Jb (NULL for a kid that does not depend on x). x is
 * the variable: J(x) = I needs its length, J(s) for a 1×1 s its gradient.
 */
typedef sg_expr *(*sg_rule_forward_fn)(sg_ctx *ctx, sg_expr *y, sg_expr *Ja, sg_expr *Jb,
                                       sg_expr *x);

typedef struct {
    sg_rule_id id;
    sg_rule_kind kind;
    sg_op op;             /* the op it differentiates; SG_OP_COUNT for a pass
                             rule or one that serves a family (J(f(a))) */
    int kid;              /* REVERSE: the kid that receives; else −1 */
    const char *name;     /* short and stable, for tests and messages: "mul.B" */
    const char *math;     /* the identity it comes from: "d(AB) = (dA)B + A(dB)" */
    const char *text;     /* the rule in Unicode, as logged: "Y = AB ⇒ B̄ += AᵀȲ" */
    const char *tex;      /* the rule in LaTeX math mode */
    const char *cookbook; /* The Matrix Cookbook (2012) equation, "(59)"; or NULL */
    sg_rule_reverse_fn reverse;
    sg_rule_forward_fn forward;
} sg_rule;

/* the entry of id (SG_RULE_NONE .. SG_RULE_COUNT − 1) */
const sg_rule *sg_rule_get(sg_rule_id id);

/*
 * The reverse rule by which node y pushes its adjoint to its kid k:
 * by y's op and k, and for a product whether its first factor is 1×1 (a
 * scaling). SG_RULE_NONE for a leaf or an op the reverse pass handles
 * itself (Σ over time).
 */
sg_rule_id sg_rule_for(const sg_expr *y, int k);

/*
 * The forward rule that gives J(y) for a flat, non-1×1 y whose kids
 * a and b have Jacobians or not (has_a, has_b). SG_RULE_NONE when there
 * is none (a product with a matrix factor that depends on x).
 */
sg_rule_id sg_rule_jacobian_for(const sg_expr *y, int has_a, int has_b);

/*
 * The rule that takes both of y's kids at once when they are one node:
 * SG_RULE_SQNORM for ⟨A, A⟩ = ‖A‖², whose kids' two contributions ȳA add
 * to 2ȳA. SG_RULE_NONE otherwise. Reverse mode pushes the kids one by one
 * (the total derivative adds them); a printer may show the sum as one step.
 */
sg_rule_id sg_rule_merged_for(const sg_expr *y);

/* the reverse rule's contribution: y's adjoint g pushed to kid k by
   sg_rule_for(y, k); *id (when not NULL) gets the rule used */
sg_expr *sg_rule_contrib(sg_ctx *ctx, sg_expr *y, int k, sg_expr *g, sg_rule_id *id);

#endif
