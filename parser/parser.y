/*
 * parser.y: the grammar of a symgrad file.
 *
 * A pure parser over the token stream of lexer/lex.c. The lexer has already
 * taken every decision that needs context (where a statement ends, whether a
 * bar opens or closes a norm, which words are keywords, whether `(` follows
 * a name directly), so the grammar is a plain LALR(1) grammar with no
 * conflicts but one: `f|x|` and `f‖x‖` are calls, which the precedence of
 * NAME_ALONE settles.
 *
 * Precedence, tightest first, is encoded in the nonterminals:
 *   atom      2  x  (e)  ‖e‖  ‖e‖₁  ‖e‖₂  |e|  ⟨a, b⟩  f(a, b)  f|e|  h[e]  sum(t = 1..T, e)
 *   postfix   aᵀ  a'  a.T  a^T  a²  a³  a^p  a⁻¹  a^-1  a.^p
 *   factor    √a
 *   unary     −a  +a
 *   prod      a b  a * b  a @ b  a · b  a / b  a ⊙ b  a ⊘ b   (left-associative)
 *   term      prod, or a Σ whose body is a term:  Σ_{t=1}^{T} a b
 *   expr      a + b  a − b
 *
 * `√e` is a sqrt call and `‖e‖₂` a norm, marked (sg_ast.symbol) for the
 * checker.
 *
 * Every action is one constructor call (parser/ast.c, parser/parser.c);
 * every value lives in the arena, so no %destructor is needed. A statement
 * is appended to the program by its constructor once its END is shifted, so
 * a statement that fails half-way leaves nothing behind, except `name = …`,
 * which is kept with a NULL expression so that uses of the name are not
 * reported again.
 */

%require "3.6"  /* parse.error custom, yypcontext_t, the YYEOF kind */
%define api.pure full
%define api.prefix {sg_yy}
%define api.token.prefix {TK_}
%define api.token.raw
%define api.location.type {sg_span}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {sg_parser *p}

%code requires {
#include "parser/actions.h"
}

%code provides {
int sg_yylex(SG_YYSTYPE *value, sg_span *loc, sg_parser *p);
void sg_yyerror(sg_span *loc, sg_parser *p, const char *msg);
}

%code {
/* a rule's span runs from its first symbol to its last; an empty rule sits
   where the previous symbol ended */
#define YYLLOC_DEFAULT(cur, rhs, n)                                  \
    do {                                                             \
        if (n) {                                                     \
            (cur).begin = YYRHSLOC(rhs, 1).begin;                    \
            (cur).end = YYRHSLOC(rhs, n).end;                        \
        } else {                                                     \
            (cur).begin = (cur).end = YYRHSLOC(rhs, 0).end;          \
        }                                                            \
    } while (0)

/* the arena, in every action */
#define A (p->arena)
}

%union {
    double num;
    const char *str;
    sg_ast *ast;
    sg_ast_kind op;
    sg_ast_vec args;
    sg_ident ident;
    sg_ident_vec names;
    sg_typedecl type;
    sg_range range;
    sg_deriv deriv;
}

/* the end of a statement: a newline, `;`, or the end of the input */
%token END
%token <str> NAME
%token <num> NUM
%token <num> POWNUM            /* ² ³ */
/* keywords, which the lexer recognizes only where they can occur */
%token GRAD JACOBIAN HESSIAN OUTPUT PREFIX DIM WRT FOR IN ANSWER
%token PARTIAL                 /* ∂ */
/* declarations */
%token ELEM COLON              /* ∈ : */
%token REALS SYMSET SPDSET SIMPLEX TIMES   /* ℝ 𝕊 𝕊₊₊ Δ × */
%token SCALAR VECTOR MATRIX SYMMETRIC SPD ONEHOT
/* operators */
%token PLUS MINUS STAR AT CDOT SLASH HADAMARD HDIV EPOW CARET
%token ROOT                    /* √ */
%token TRANSPOSE INVERSE       /* ᵀ ' .T ^T   ⁻¹ ^-1 */
%token ASSIGN COMMA DOTDOT
%token LPAREN CALL_LPAREN RPAREN LBRACK RBRACK LBRACE RBRACE LANGLE RANGLE
%token NORM_OPEN NORM_CLOSE NORM1_CLOSE NORM2_CLOSE BAR_OPEN BAR_CLOSE
%token SIGMA UNDERSCORE

%type <ast> expr term sigma sigma_hi prod unary factor postfix powarg atom bars
%type <op> addop mulop
%type <args> args
%type <ident> dim dim1
%type <names> names
%type <type> type
%type <range> range
%type <deriv> deriv

/* `f‖x‖` and `f|x|`: a name before a bar atom is a call, not a product */
%precedence NAME_ALONE
%precedence NORM_OPEN BAR_OPEN

%%

/* program = stmt* */
program:
  %empty
| program stmt
;

/*
 * stmt = names (∈ | : | in) type END
 *      | NAME [expr] (∈ | : | in) type range? END
 *      | dim names END
 *      | NAME = expr END
 *      | NAME [expr] = expr range? END
 *      | (grad | jacobian | hessian) NAME wrt names END
 *      | output names END
 *      | prefix NAME END
 *      | answer deriv = expr END
 */
stmt:
  names decl_in type END
    { sg_parse_decl(p, sg_span_join(@1, @3), &$1, NULL, @1, NULL, &$3, NULL); }
| names decl_in error END
    { sg_parse_decl_failed(p, &$1); yyerrok; }
| NAME LBRACK expr RBRACK decl_in type END
    { sg_parse_decl(p, sg_span_join(@1, @6), NULL, $1, @1, $3, &$6, NULL); }
| NAME LBRACK expr RBRACK decl_in type range END
    { sg_parse_decl(p, sg_span_join(@1, @7), NULL, $1, @1, $3, &$6, &$7); }
| DIM names END
    { sg_parse_list(p, SG_STMT_DIM, sg_span_join(@1, @2), &$2); }
| NAME ASSIGN expr END
    { sg_parse_def(p, sg_span_join(@1, @3), $1, @1, NULL, $3, NULL); }
| NAME ASSIGN error END
    { sg_parse_def(p, sg_span_join(@1, @3), $1, @1, NULL, NULL, NULL); yyerrok; }
| NAME LBRACK expr RBRACK ASSIGN expr END
    { sg_parse_def(p, sg_span_join(@1, @6), $1, @1, $3, $6, NULL); }
| NAME LBRACK expr RBRACK ASSIGN expr range END
    { sg_parse_def(p, sg_span_join(@1, @7), $1, @1, $3, $6, &$7); }
| NAME LBRACK expr RBRACK ASSIGN error END
    { sg_parse_def(p, sg_span_join(@1, @6), $1, @1, $3, NULL, NULL); yyerrok; }
| GRAD NAME WRT names END
    { sg_parse_request(p, SG_STMT_GRAD, sg_span_join(@1, @4), $2, @2, &$4); }
| JACOBIAN NAME WRT names END
    { sg_parse_request(p, SG_STMT_JACOBIAN, sg_span_join(@1, @4), $2, @2, &$4); }
| HESSIAN NAME WRT names END
    { sg_parse_request(p, SG_STMT_HESSIAN, sg_span_join(@1, @4), $2, @2, &$4); }
| OUTPUT names END
    { sg_parse_list(p, SG_STMT_OUTPUT, sg_span_join(@1, @2), &$2); }
| PREFIX NAME END
    { sg_parse_prefix(p, sg_span_join(@1, @2), $2, @2); }
| ANSWER deriv ASSIGN expr END
    { sg_parse_answer(p, sg_span_join(@1, @4), &$2, $4); }
| error END
    { yyerrok; }
;

/*
 * deriv = ∂NAME/∂NAME | ∂²NAME/∂NAME² | NAME/NAME
 *
 * The last is ASCII: dL/dW, d2L/dw2 (parser.c takes the d off and checks it).
 */
deriv:
  PARTIAL NAME SLASH PARTIAL NAME
    { $$ = sg_parse_deriv(p, @$, 1, $2, @2, $5, @5); }
| PARTIAL POWNUM NAME SLASH PARTIAL NAME POWNUM
    { $$ = sg_parse_deriv(p, @$, $2 == 2 && $7 == 2 ? 2 : 0, $3, @3, $6, @6); }
| NAME SLASH NAME
    { $$ = sg_parse_deriv_ascii(p, @$, $1, @1, $3, @3); }
;

/* names = NAME (, NAME)* */
names:
  NAME              { $$ = sg_parse_names(p, NULL, $1, @1); }
| names COMMA NAME  { $$ = sg_parse_names(p, &$1, $3, @3); }
;

/* decl_in = ∈ | : | in */
decl_in: ELEM | COLON | IN ;

/*
 * type = ℝ | ℝ^dim1 | ℝ^{dim × dim} | ℝ^(dim × dim)
 *      | 𝕊^dim1 | 𝕊₊₊^dim1 | Δ^dim1 | Δ^{dim × dim} | Δ^(dim × dim)
 *      | scalar | vector(dim) | matrix(dim, dim)
 *      | symmetric(dim) | spd(dim) | onehot(dim) | onehot(dim, dim)
 *
 * Δ^{C×N} and onehot(C, N) are C×N matrices whose every column is in Δ^C.
 */
type:
  REALS                                    { $$ = sg_parse_type(SG_TYPE_SCALAR, NULL, NULL); }
| REALS CARET dim1                         { $$ = sg_parse_type(SG_TYPE_VECTOR, &$3, NULL); }
| REALS CARET LBRACE dim TIMES dim RBRACE  { $$ = sg_parse_type(SG_TYPE_MATRIX, &$4, &$6); }
| REALS CARET LPAREN dim TIMES dim RPAREN  { $$ = sg_parse_type(SG_TYPE_MATRIX, &$4, &$6); }
| SYMSET CARET dim1                        { $$ = sg_parse_type(SG_TYPE_SYMMETRIC, &$3, NULL); }
| SPDSET CARET dim1                        { $$ = sg_parse_type(SG_TYPE_SPD, &$3, NULL); }
| SIMPLEX CARET dim1                       { $$ = sg_parse_type(SG_TYPE_ONEHOT, &$3, NULL); }
| SIMPLEX CARET LBRACE dim TIMES dim RBRACE { $$ = sg_parse_type(SG_TYPE_ONEHOT, &$4, &$6); }
| SIMPLEX CARET LPAREN dim TIMES dim RPAREN { $$ = sg_parse_type(SG_TYPE_ONEHOT, &$4, &$6); }
| SCALAR                                   { $$ = sg_parse_type(SG_TYPE_SCALAR, NULL, NULL); }
| VECTOR LPAREN dim RPAREN                 { $$ = sg_parse_type(SG_TYPE_VECTOR, &$3, NULL); }
| MATRIX LPAREN dim COMMA dim RPAREN       { $$ = sg_parse_type(SG_TYPE_MATRIX, &$3, &$5); }
| SYMMETRIC LPAREN dim RPAREN              { $$ = sg_parse_type(SG_TYPE_SYMMETRIC, &$3, NULL); }
| SPD LPAREN dim RPAREN                    { $$ = sg_parse_type(SG_TYPE_SPD, &$3, NULL); }
| ONEHOT LPAREN dim RPAREN                 { $$ = sg_parse_type(SG_TYPE_ONEHOT, &$3, NULL); }
| ONEHOT LPAREN dim COMMA dim RPAREN       { $$ = sg_parse_type(SG_TYPE_ONEHOT, &$3, &$5); }
;

/* dim1 = dim | {dim} | (dim) */
dim1:
  dim                  { $$ = $1; }
| LBRACE dim RBRACE    { $$ = $2; }
| LPAREN dim RPAREN    { $$ = $2; }
;

/* dim = NAME | NUM | −NUM   (the last two must be positive integers) */
dim:
  NAME       { $$ = sg_parse_dim_name(@1, $1); }
| NUM        { $$ = sg_parse_dim_num(p, @1, $1); }
| MINUS NUM  { $$ = sg_parse_dim_num(p, @$, -$2); }
;

/* range = for NAME = expr .. expr */
range:
  FOR NAME ASSIGN expr DOTDOT expr  { $$ = sg_parse_range($2, @2, $4, $6); }
;

/* expr = term ((+ | −) term)* */
expr:
  term             { $$ = $1; }
| expr addop term  { $$ = sg_ast_binary(A, $2, $1, $3); }
;

addop:
  PLUS   { $$ = SG_AST_ADD; }
| MINUS  { $$ = SG_AST_SUB; }
;

/*
 * term = prod | sigma | prod sigma | prod mulop sigma | − sigma
 *
 * A Σ runs to the end of its product: Σ_{t=1}^{T} a b + c is (Σ a b) + c.
 */
term:
  prod              { $$ = $1; }
| sigma             { $$ = $1; }
| prod sigma        { $$ = sg_ast_binary(A, SG_AST_JUX, $1, $2); }
| prod mulop sigma  { $$ = sg_ast_binary(A, $2, $1, $3); }
| MINUS sigma       { $$ = sg_ast_unary(A, SG_AST_NEG, @$, $2); }
;

/* sigma = Σ _{NAME = expr} ^ sigma_hi term */
sigma:
  SIGMA UNDERSCORE LBRACE NAME ASSIGN expr RBRACE CARET sigma_hi term
    { $$ = sg_ast_sumover(A, @$, $4, @4, $6, $9, $10); }
;

/* sigma_hi = {expr} | NAME | NUM */
sigma_hi:
  LBRACE expr RBRACE  { $$ = $2; }
| NAME                { $$ = sg_ast_name(A, @1, $1); }
| NUM                 { $$ = sg_ast_num(A, @1, $1); }
;

/* prod = unary (factor | mulop unary)*   — juxtaposition takes no sign */
prod:
  unary              { $$ = $1; }
| prod factor        { $$ = sg_ast_binary(A, SG_AST_JUX, $1, $2); }
| prod mulop unary   { $$ = sg_ast_binary(A, $2, $1, $3); }
;

mulop:
  STAR      { $$ = SG_AST_MUL; }
| AT        { $$ = SG_AST_MUL; }
| CDOT      { $$ = SG_AST_MUL; }
| SLASH     { $$ = SG_AST_DIV; }
| HADAMARD  { $$ = SG_AST_HADAMARD; }
| HDIV      { $$ = SG_AST_HDIV; }
;

/* unary = (− | +)* factor */
unary:
  factor       { $$ = $1; }
| MINUS unary  { $$ = sg_ast_unary(A, SG_AST_NEG, @$, $2); }
| PLUS unary   { $$ = sg_ast_unary(A, SG_AST_POS, @$, $2); }
;

/* factor = √* postfix   — √x² is √(x²), √x y is (√x) y */
factor:
  postfix      { $$ = $1; }
| ROOT factor  { $$ = sg_parse_root(p, @$, @1, $2); }
;

/* postfix = atom (ᵀ | ² | ³ | ⁻¹ | ^ powarg | .^ powarg)* */
postfix:
  atom                  { $$ = $1; }
| postfix TRANSPOSE     { $$ = sg_ast_unary(A, SG_AST_TRANSPOSE, @$, $1); }
| postfix INVERSE       { $$ = sg_ast_unary(A, SG_AST_INVERSE, @$, $1); }
| postfix POWNUM        { $$ = sg_ast_power(A, $1, $2, @2); }
| postfix CARET powarg  { $$ = sg_ast_binary(A, SG_AST_POW, $1, $3); }
| postfix EPOW powarg   { $$ = sg_ast_binary(A, SG_AST_EPOW, $1, $3); }
;

/* powarg = atom | − atom */
powarg:
  atom        { $$ = $1; }
| MINUS atom  { $$ = sg_ast_unary(A, SG_AST_NEG, @$, $2); }
;

/*
 * atom = NUM | NAME | (expr) | bars | NAME bars | NAME(args) | NAME[expr]
 *      | ⟨expr, expr⟩ | NAME(NAME = expr .. expr, expr)
 */
atom:
  NUM                              { $$ = sg_ast_num(A, @1, $1); }
| NAME %prec NAME_ALONE            { $$ = sg_ast_name(A, @1, $1); }
| LPAREN expr RPAREN               { $$ = sg_parse_paren($2, @$); }
| bars                             { $$ = $1; }
| NAME bars                        { $$ = sg_parse_call1(p, @$, $1, @1, $2); }
| NAME CALL_LPAREN args RPAREN     { $$ = sg_ast_call(A, @$, $1, @1, $3.v, $3.n); }
| NAME LBRACK expr RBRACK          { $$ = sg_ast_index(A, @$, $1, @1, $3); }
| LANGLE expr COMMA expr RANGLE    { $$ = sg_ast_inner(A, @$, $2, $4); }
| NAME CALL_LPAREN NAME ASSIGN expr DOTDOT expr COMMA expr RPAREN
    { $$ = sg_parse_sum(p, @$, $1, @1, $3, @3, $5, $7, $9); }
;

/* bars = ‖expr‖ | ‖expr‖₁ | ‖expr‖₂ | |expr|   (‖expr‖_F is ‖expr‖) */
bars:
  NORM_OPEN expr NORM_CLOSE   { $$ = sg_ast_unary(A, SG_AST_NORM, @$, $2); }
| NORM_OPEN expr NORM1_CLOSE  { $$ = sg_ast_unary(A, SG_AST_NORM1, @$, $2); }
| NORM_OPEN expr NORM2_CLOSE  { $$ = sg_parse_norm2(p, @$, $2); }
| BAR_OPEN expr BAR_CLOSE     { $$ = sg_ast_unary(A, SG_AST_BARS, @$, $2); }
;

/* args = expr (, expr)* */
args:
  expr             { $$ = sg_parse_args(p, NULL, $1); }
| args COMMA expr  { $$ = sg_parse_args(p, &$1, $3); }
;

%%

/*
 * Hand the parser's view of a syntax error to sg_parse_syntax_error(),
 * which words it: the unexpected token and what would have fitted.
 */
static int yyreport_syntax_error(const yypcontext_t *ctx, sg_parser *p)
{
    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
    int kinds[YYNTOKENS];
    int i;
    for (i = 0; i < n; i++)
        kinds[i] = (int)expected[i];
    sg_parse_syntax_error(p, *yypcontext_location(ctx), (int)yypcontext_token(ctx),
                          kinds, n < 0 ? 0 : n);
    return 0;
}
