/*
 * actions.h: what the grammar's actions call (parser/parser.c), and the
 * parser's state.
 *
 * The grammar (parser/parser.y) builds expressions with the constructors of
 * ast.h and everything else with these: lists, types, ranges and the
 * statements themselves. A statement constructor appends the statement to
 * the program. Checks that belong to the syntax (a dimension is a positive
 * integer or a name, a Hessian has one or two variables) are made here and
 * reported in the source.
 *
 * Ownership: every value lives in the parser's arena.
 */
#ifndef SG_ACTIONS_H
#define SG_ACTIONS_H

#include "../lexer/lex.h"
#include "ast.h"

typedef struct {
    sg_src *src;
    sg_arena *arena;
    sg_lexer *lex;
    sg_program *prog;
    sg_stmt **tail; /* where the next statement goes */
} sg_parser;

/* growable arrays in the arena */
typedef struct {
    sg_ast **v;
    int n, cap;
} sg_ast_vec;

typedef struct {
    sg_ident *v;
    int n, cap;
} sg_ident_vec;

/* the type of a declaration */
typedef struct {
    sg_type_kind kind;
    sg_ident dims[2];
    int ndims;
} sg_typedecl;

/* for var = lo..hi */
typedef struct {
    sg_ident var;
    sg_ast *lo, *hi;
} sg_range;

/* the derivative an answer names: ∂L/∂W (order 1), ∂²L/∂w² (order 2);
   order 0 when it was misspelt (reported already) */
typedef struct {
    int order;
    sg_ident of, wrt;
    sg_span span;
} sg_deriv;

/* the deepest expression accepted; deeper ones would exhaust the C stack of
   every pass that recurses over the tree. A flat chain of one operator
   (sg_ast_chain) counts as one level, however long */
#define SG_PARSE_MAX_DEPTH 1000

/* lists: start one with list == NULL */
sg_ast_vec sg_parse_args(sg_parser *p, const sg_ast_vec *list, sg_ast *e);
sg_ident_vec sg_parse_names(sg_parser *p, const sg_ident_vec *list, const char *name,
                            sg_span span);

/* declarations */
sg_ident sg_parse_dim_name(sg_span span, const char *name);
sg_ident sg_parse_dim_num(sg_parser *p, sg_span span, double v);
sg_typedecl sg_parse_type(sg_type_kind kind, const sg_ident *d0, const sg_ident *d1);
sg_range sg_parse_range(const char *var, sg_span var_span, sg_ast *lo, sg_ast *hi);

/* expressions that need more than a node constructor */
sg_ast *sg_parse_paren(sg_ast *e, sg_span span);
sg_ast *sg_parse_call1(sg_parser *p, sg_span span, const char *name, sg_span name_span,
                       sg_ast *arg);
/* ‖e‖₂: ‖e‖, marked so that the checker refuses a matrix (a spectral norm) */
sg_ast *sg_parse_norm2(sg_parser *p, sg_span span, sg_ast *arg);
/* √e: sqrt(e), marked so that a declared `sqrt` does not change it */
sg_ast *sg_parse_root(sg_parser *p, sg_span span, sg_span root_span, sg_ast *arg);
sg_ast *sg_parse_sum(sg_parser *p, sg_span span, const char *fn, sg_span fn_span,
                     const char *var, sg_span var_span, sg_ast *lo, sg_ast *hi,
                     sg_ast *body);

/* statements: each is appended to the program */
/* names ∈ type, or (names == NULL) seq[index] ∈ type for range */
void sg_parse_decl(sg_parser *p, sg_span span, const sg_ident_vec *names, const char *seq,
                   sg_span seq_span, sg_ast *index, const sg_typedecl *type,
                   const sg_range *range);
/* a declaration whose type failed to parse: its names are still known, as
   definitions that failed, so that their uses stay silent (no cascade) */
void sg_parse_decl_failed(sg_parser *p, const sg_ident_vec *names);
void sg_parse_def(sg_parser *p, sg_span span, const char *name, sg_span name_span,
                  sg_ast *index, sg_ast *e, const sg_range *range);
void sg_parse_request(sg_parser *p, sg_stmt_kind kind, sg_span span, const char *name,
                      sg_span name_span, const sg_ident_vec *wrt);
void sg_parse_list(sg_parser *p, sg_stmt_kind kind, sg_span span, const sg_ident_vec *names);
void sg_parse_prefix(sg_parser *p, sg_span span, const char *name, sg_span name_span);
/* ∂of/∂wrt written with ∂ (order 0: a misspelt order, reported here) */
sg_deriv sg_parse_deriv(sg_parser *p, sg_span span, int order, const char *of, sg_span of_span,
                        const char *wrt, sg_span wrt_span);
/* dL/dW, d2L/dw2: the d (and the 2s) taken off, or order 0 and an error */
sg_deriv sg_parse_deriv_ascii(sg_parser *p, sg_span span, const char *num, sg_span num_span,
                              const char *den, sg_span den_span);
/* answer deriv = e */
void sg_parse_answer(sg_parser *p, sg_span span, const sg_deriv *d, sg_ast *e);

/* a syntax error: the unexpected token and the kinds that would have fitted */
void sg_parse_syntax_error(sg_parser *p, sg_span at, int unexpected, const int *expected,
                           int nexpected);

#endif
