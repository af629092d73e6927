/*
 * lex.h: the token stream the grammar reads.
 *
 * The flex scanner (lexer/lexer.l) cuts the bytes into raw tokens; this
 * module applies the rules that need context, so that the grammar needs
 * none:
 *
 *   - A newline ends the statement (END) unless a `(`, `[`, `{` or `⟨` is
 *     open or the line ends with a binary operator; `;` always ends it.
 *     Empty statements produce no END.
 *   - `‖`, `||` and `|` open or close a norm: a bar closes when the innermost
 *     open bracket is the same bar and the previous token ends an operand.
 *     `‖` directly followed by `₁` closes a 1-norm, by `₂` a 2-norm, by `_F`
 *     a norm (`||` alike, and `_1`, `_2` for `₁`, `₂`). A `||` right after
 *     an operand inside `|…|` is two bars (`|A||B|`).
 *   - `ℝⁿ`, `ℝᵐˣⁿ` (and 𝕊 𝕊₊₊ Δ) are the tokens of `ℝ^n`, `ℝ^{m×n}`.
 *   - A bar still open at the end of its line is an error at the bar; at the
 *     end of the statement the lexer makes up (synthetic) closing tokens for
 *     whatever is still open, so that the statement still parses.
 *   - grad jacobian hessian output prefix dim answer are keywords only as
 *     the first word of a statement followed by a name (answer also by ∂);
 *     wrt only after
 *     `grad NAME`; in only after the declared names; for only after a
 *     complete declaration or definition. Elsewhere they are names.
 *   - After `∈`, `:` or `in` the scanner reads a type: `R` is ℝ, `x` is ×,
 *     scalar vector … are keywords, and `^T` is `^` then the name T.
 *   - `(` directly after a name (no space) is CALL_LPAREN: `f(x)` is a call.
 *   - `Σ` is SIGMA until a statement declares or defines it as a name
 *     (`Σ ∈ …`, `x, Σ : …`, `Σ = …`); from there on it is the name Sigma.
 *
 * Errors (a stray character, an unclosed bracket or bar, a name longer than
 * SG_LEX_MAX_NAME) are recorded in the source; the invalid UTF-8 check runs
 * when the lexer is created. A source marked fatal (past a limit of the
 * input) gives no tokens at all.
 *
 * Ownership: names are normalized into the arena; the lexer itself is freed
 * with sg_lex_free().
 */
#ifndef SG_LEX_H
#define SG_LEX_H

#include "../base/arena.h"
#include "source.h"

/* the longest name, normalized (β is "beta"): longer is an error */
#define SG_LEX_MAX_NAME 200

typedef struct {
    int kind;         /* TK_* of the grammar (grammar.h); TK_YYEOF (0) at the end */
    sg_span span;
    double num;       /* NUM: its value (½ is 0.5); POWNUM: 2 for ², 3 for ³ */
    const char *name; /* NAME: normalized (W₁ → "W1", β → "beta", 𝟙 → "ones") */
    int synthetic;    /* made up to close what the statement left open */
} sg_token;

typedef struct sg_lexer sg_lexer;

/* checks the UTF-8 of src (reporting every invalid run) and starts scanning */
sg_lexer *sg_lex_new(sg_src *src, sg_arena *arena);
void sg_lex_free(sg_lexer *lx);
/* the next token; after the end, TK_YYEOF forever */
void sg_lex_next(sg_lexer *lx, sg_token *t);
/*
 * The parser found a syntax error in the current statement: the statement
 * now ends at the next newline whatever is open, and what is left open is
 * not reported again.
 */
/* a syntax error at `at` inside a bracket opened on an earlier line: the
   bracket is reported instead (it is the mistake; what it swallowed is the
   next statement); 1 when it was */
int sg_lex_open_before(sg_lexer *lx, sg_span at);
void sg_lex_syntax_error(sg_lexer *lx);
/* was the last token handed out a synthetic one? */
int sg_lex_last_synthetic(const sg_lexer *lx);
/* at a syntax error on a statement's second token, the first one's name when
   it was a name (gard in `gard L wrt x`: perhaps a misspelt keyword), else NULL */
const char *sg_lex_misspelt_keyword(const sg_lexer *lx);

/* "NAME", "NORM_OPEN", …: for dumps and tests */
const char *sg_lex_token_name(int kind);
/* "a name", "'‖'", "end of line", …: for messages */
const char *sg_lex_token_text(int kind);

/* the normalized form of an identifier: W₁ → "W1", β → "beta", Λ → "Lambda" */
char *sg_lex_normalize(sg_arena *arena, const char *text, size_t len);

#endif
