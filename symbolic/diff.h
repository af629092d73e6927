/*
 * diff.h: differentiation, and the derivation log it records.
 *
 * Gradients of a scalar are built by reverse accumulation over the DAG: the
 * adjoint of each node (∂f/∂node, shaped like the node) is a new expression
 * in the same DAG, pushed to the node's children by the rule of its op
 * (Y = AB ⇒ Ā += ȲBᵀ, B̄ += AᵀȲ). A node reached along several paths gets the
 * sum of their contributions (the total derivative rule).
 *
 * Every rule applied and every sum of paths is recorded in an sg_log, in the
 * order it happened, for the LaTeX printer: nothing is derived twice. The
 * rules themselves are the entries of one table (rules.h), shared by both
 * directions; a step records its entry's id.
 *
 * Recurrences are differentiated by backpropagation through time, in closed
 * form: a recurrence h gets an adjoint sequence δh (δh[t] = ∂L/∂h[t], a
 * BACKWARD sg_seq) that runs from h's last step back to its initial value,
 * and a parameter W of h's step gets Σ_t ∇_W ⟨δh[t], h[t](W)⟩, a Σ over
 * time. The body of a Σ or a step is differentiated once, like any
 * expression, with its STEP leaves as leaves: the result holds at every t.
 *
 * Jacobians of vectors (jacobian.c) go the other way, forward from x: each
 * node that depends on x gets J(node) = ∂vec(node)/∂x from its kids'
 * (J(Av) = A J(v)), and a 1×1 node on the way gets the transpose of its
 * gradient. A Hessian is the Jacobian of a gradient.
 *
 * Ownership: the log and its steps live in the context's arena.
 */
#ifndef SG_DIFF_H
#define SG_DIFF_H

#include "expr.h"
#include "rules.h"

typedef enum {
    SG_STEP_SEED,  /* ∂f/∂f = 1: node is f */
    SG_STEP_RULE,  /* node's adjoint pushed to kid: contrib */
    SG_STEP_TOTAL, /* node reached along ncontribs paths: adjoint is their sum */
    SG_STEP_JACOBIAN, /* forward: contrib is J(node) = ∂vec(node)/∂x, by rule */
    /* backpropagation through time. The RULE and TOTAL steps after a SEQ_SUM
       or SEQ_REC, up to the next SEQ_ step, are about the body at one step t:
       their STEP leaves are read at t */
    SG_STEP_SEQ_SUM,   /* node, a Σ over time with adjoint `adjoint`: its body is
                          differentiated at every step t with that seed */
    SG_STEP_SEQ_REC,   /* node, the step body of recurrence `seq`, is
                          differentiated with seed `adjoint` = δ[t] (a STEP of the
                          adjoint sequence `adjseq`) */
    SG_STEP_SEQ_TERM,  /* node (an AT h[k], a Σ, or another recurrence's body) gives
                          δ[t] (`adjseq`, its term number `term`) the contribution
                          contrib, for t in the term's range */
    SG_STEP_SEQ_DELTA, /* the adjoint `adjseq` of recurrence `seq` is complete:
                          δ[t] = [t < hi]·contrib (its body, the next step
                          back-propagated) + its terms */
    SG_STEP_SEQ_PUSH,  /* `to`, outside any loop, receives contrib from node: a Σ
                          over time of the per-step contributions (node a Σ, or the
                          step body of recurrence `seq`), or δ[lo−1] (node and to
                          the initial value of `seq`) */
} sg_step_kind;

typedef struct {
    sg_step_kind kind;
    const sg_expr *node;    /* the node whose adjoint (JACOBIAN: Jacobian) is built */
    const sg_expr *adjoint; /* its adjoint ∂f/∂node (not for JACOBIAN) */
    int kid;                /* RULE: which child receives the contribution */
    const sg_expr *contrib; /* RULE: the contribution to that child's adjoint;
                               JACOBIAN: the node's Jacobian J(node) */
    sg_rule_id rule_id;     /* the rule table's entry this step used (rules.h):
                               SG_RULE_MUL_B, SG_RULE_J_MATVEC, SG_RULE_TOTAL … */
    const char *rule;       /* that entry's Unicode text, "Y = AB ⇒ B̄ += AᵀȲ",
                               "J(A v) = A J(v)" (NULL with SG_RULE_NONE) */
    const sg_expr **terms;  /* TOTAL: the contributions summed */
    int nterms;
    const sg_expr *to;      /* SEQ_PUSH: the node receiving contrib */
    int seq;                /* SEQ_REC, SEQ_DELTA, SEQ_PUSH: the recurrence; else −1 */
    int adjseq;             /* SEQ_REC, SEQ_TERM, SEQ_DELTA: its adjoint sequence; else −1 */
    int term;               /* SEQ_TERM: the term's index in adjseq; else −1 */
} sg_step;

typedef struct {
    const sg_expr *f;       /* the differentiated scalar (for a Jacobian alone in a
                               log: the differentiated vector) */
    sg_step *steps;
    int nsteps, cap;
} sg_log;

/*
 * ∇_{wrt[i]} f for a 1×1 f, for i < n; out[i] gets wrt[i]'s shape. wrt[i] may
 * be any node of f's DAG: a VAR, or a defined value (∂L/∂z₂ holds everything
 * upstream of z₂ fixed), a STEP leaf of a body (f then is a body too) or an
 * AT leaf (the uses of that node alone, not through later steps). A wrt[i]
 * that f does not depend on gets a zero. Every recurrence f reaches through
 * an AT or a Σ gets its adjoint sequence, added to the context's sequences.
 * wrt[i] may also be the VAR of an input sequence's symbol (x, which holds
 * every step of x[t]): out[i] is then the STEP δx[t] of x's adjoint, a
 * BACKWARD sequence over x's steps whose `of` is x (diff.c), which stands
 * for ∂f/∂x[t] at every t (0 where f reads no x[t]).
 * When log is not NULL the derivation is appended to it.
 */
void sg_diff_grad(sg_ctx *ctx, sg_expr *f, int n, sg_expr *const *wrt, sg_expr **out,
                  sg_log *log);

/*
 * ∂f/∂x in closed form, for f and x each a scalar or a column vector: the
 * p×q matrix [J]_ij = ∂f_i/∂x_j (p = 1 for a scalar f, q = 1 for a scalar
 * x). Built by forward Jacobian propagation: J(Ax) = A J(x),
 * J(f(a)) = diag(f′(a)) J(a), J(softmax(a)) = (diag(s) − ssᵀ) J(a), and the
 * transposed gradient for every 1×1 node on the way. Returns NULL, with
 * *why set to a sentence naming the construct, when f depends on x through
 * something this cannot express (a matrix-valued function of x).
 * A Hessian is the Jacobian of a gradient. x may be any node of f's DAG, as
 * for sg_diff_grad (what is upstream of it is held fixed). When log is not
 * NULL one SG_STEP_JACOBIAN step is appended per node; log->f is set only
 * if the log is still empty of it (a Hessian's log keeps the scalar).
 */
sg_expr *sg_diff_jacobian(sg_ctx *ctx, sg_expr *f, sg_expr *x, sg_log *log, const char **why);

/*
 * Ȳ ⊙ f′(A) for an elementwise unary Y = f(A) (EXP … STEP), written the way
 * the reverse rule reads ("Y = log(A) ⇒ Ā += Ȳ ⊘ A"), and the identity in
 * *rule. With Ȳ = 𝟙 it is f′(A) itself: the forward rule
 * J(f(a)) = diag(f′(a)) J(a) uses it so that both directions share one
 * derivative per function.
 */
sg_expr *sg_diff_elementwise(sg_ctx *ctx, sg_expr *y, sg_expr *g, const char **rule);

sg_log *sg_log_new(sg_ctx *ctx);
/* st used rule id: its rule_id, and its rule the table's text */
void sg_step_rule(sg_step *st, sg_rule_id id);
/* a new zeroed step at the end of log */
sg_step *sg_log_step(sg_ctx *ctx, sg_log *log);

#endif
