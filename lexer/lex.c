/*
 * lex.c: from raw tokens to the tokens the grammar reads.
 *
 * The rules of lex.h all depend on where we are in the statement, so the
 * lexer keeps the statement's state: how many tokens it has, the last one,
 * its first keyword, whether a `=` or a declaration has been seen, and a
 * stack of what is open (brackets and bars). Each raw token is turned into
 * zero or more grammar tokens, which wait in a queue until the parser asks;
 * the end of a statement, for instance, queues the closing tokens of
 * whatever is still open and then END.
 *
 * After a syntax error the parser throws the rest of the statement away;
 * the lexer then ends the statement at the next newline whatever is open,
 * so that one error does not swallow the lines after it.
 */
#include "lex.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"
#include "scan.h"
#include "../base/buf.h"
#include "../base/grow.h"

/* raw kinds and grammar kinds share one number space */
typedef char raw_kinds_follow_the_grammars[(int)SG_SCAN_NEWLINE > (int)TK_NAME_ALONE ? 1 : -1];

typedef struct {
    int kind;     /* TK_LPAREN, TK_LBRACK, TK_LBRACE, TK_LANGLE, or a bar */
    sg_span span; /* the opening character */
    int reported; /* an unclosed bar already reported */
    int sigma;    /* the { of Σ_{…} */
} open_t;

struct sg_lexer {
    sg_src *src;
    sg_arena *arena;
    void *scan;
    sg_span pos;              /* the raw token just scanned */
    sg_token peeked;
    int has_peeked;

    sg_token *queue;          /* tokens ready for the parser */
    unsigned qhead, qlen, qcap;
    int ends_queued;          /* END tokens in the queue */
    int last_synthetic;       /* the last token handed out was made up */
    int done;                 /* the end of input was queued */

    /* the statement being read */
    open_t *open;
    unsigned nopen, capopen;
    int ntok;                 /* tokens so far */
    int last;                 /* the last token's kind (0: none yet) */
    unsigned last_end;        /* and where it ended */
    const char *last_name;    /* and its name, when it was a NAME */
    const char *first_name;   /* the statement's first token, when a NAME */
    int lead;                 /* GRAD, JACOBIAN, …: the statement's keyword */
    int assigned, decl;       /* after `=`; after ∈ : in */
    int error;                /* the parser gave up on this statement */
    int stray;                /* a character was skipped on this line: an
                                 operator before its end does not continue it */
    int after_sigma;          /* the last token closed the subscript of Σ */
    int names_only;           /* the statement so far is names and commas */
    int sigma_name;           /* Σ was declared or defined: it is a name now */
};

/* ---- names ---------------------------------------------------------------- */

static const char *const greek[] = { /* α (U+03B1) … ω (U+03C9) */
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma" /* ς */,
    "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
};

char *sg_lex_normalize(sg_arena *arena, const char *text, size_t len)
{
    /* the longest expansion is a 2-byte accent into 6 ("_tilde") */
    char *out = sg_arena_alloc(arena, 4 * len + 1), *o = out;
    size_t i = 0;

    while (i < len) {
        unsigned long cp;
        const char *word = NULL;
        int n = sg_utf8_decode((const unsigned char *)text + i, len - i, &cp);
        if (n <= 0) { /* not reached for scanner names; keep the byte */
            *o++ = text[i++];
            continue;
        }
        if (cp < 0x80) {
            *o++ = (char)cp;
        } else if (cp >= 0x2080 && cp <= 0x2089) { /* ₀ … ₉ */
            *o++ = (char)('0' + (cp - 0x2080));
        } else if (cp >= 0x3b1 && cp <= 0x3c9) {
            word = greek[cp - 0x3b1];
        } else if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) {
            word = greek[cp - 0x391];
            *o++ = (char)(word[0] - 'a' + 'A');
            word++;
        } else if (cp == 0x3f5) { /* ϵ */
            word = "epsilon";
        } else if (cp == 0x3d1) { /* ϑ */
            word = "theta";
        } else if (cp == 0x3d5) { /* ϕ */
            word = "phi";
        } else if (cp == 0x3f1) { /* ϱ */
            word = "rho";
        } else if (cp == 0x2113) { /* ℓ */
            word = "ell";
        } else if (cp == 0x1d7d9) { /* 𝟙 */
            word = "ones";
        } else if (cp >= 0x302 && cp <= 0x308) { /* an accent: h̃ → h_tilde */
            static const char *const accent[] = {"_hat", "_tilde", "_bar", "_bar", "",
                                                 "_dot", "_ddot"};
            word = accent[cp - 0x302];
        } else { /* not reached: the scanner allows no other letter */
            memcpy(o, text + i, (size_t)n);
            o += n;
        }
        if (word) {
            size_t w = strlen(word);
            memcpy(o, word, w);
            o += w;
        }
        i += (size_t)n;
    }
    *o = '\0';
    return out;
}

/* ---- token names ---------------------------------------------------------- */

static const struct {
    const char *name, *text;
} tokens[] = {
    [TK_YYEOF] = {"EOF", "end of input"},
    [TK_END] = {"END", "end of line"},
    [TK_NAME] = {"NAME", "a name"},
    [TK_NUM] = {"NUM", "a number"},
    [TK_POWNUM] = {"POWNUM", "'²'"},
    [TK_GRAD] = {"GRAD", "'grad'"},
    [TK_JACOBIAN] = {"JACOBIAN", "'jacobian'"},
    [TK_HESSIAN] = {"HESSIAN", "'hessian'"},
    [TK_OUTPUT] = {"OUTPUT", "'output'"},
    [TK_PREFIX] = {"PREFIX", "'prefix'"},
    [TK_DIM] = {"DIM", "'dim'"},
    [TK_ANSWER] = {"ANSWER", "'answer'"},
    [TK_WRT] = {"WRT", "'wrt'"},
    [TK_FOR] = {"FOR", "'for'"},
    [TK_IN] = {"IN", "'in'"},
    [TK_ELEM] = {"ELEM", "'∈'"},
    [TK_COLON] = {"COLON", "':'"},
    [TK_REALS] = {"REALS", "'ℝ'"},
    [TK_SYMSET] = {"SYMSET", "'𝕊'"},
    [TK_SPDSET] = {"SPDSET", "'𝕊₊₊'"},
    [TK_SIMPLEX] = {"SIMPLEX", "'Δ'"},
    [TK_TIMES] = {"TIMES", "'×'"},
    [TK_SCALAR] = {"SCALAR", "'scalar'"},
    [TK_VECTOR] = {"VECTOR", "'vector'"},
    [TK_MATRIX] = {"MATRIX", "'matrix'"},
    [TK_SYMMETRIC] = {"SYMMETRIC", "'symmetric'"},
    [TK_SPD] = {"SPD", "'spd'"},
    [TK_ONEHOT] = {"ONEHOT", "'onehot'"},
    [TK_PLUS] = {"PLUS", "'+'"},
    [TK_MINUS] = {"MINUS", "'-'"},
    [TK_STAR] = {"STAR", "'*'"},
    [TK_AT] = {"AT", "'@'"},
    [TK_CDOT] = {"CDOT", "'·'"},
    [TK_SLASH] = {"SLASH", "'/'"},
    [TK_HADAMARD] = {"HADAMARD", "'⊙'"},
    [TK_HDIV] = {"HDIV", "'⊘'"},
    [TK_ROOT] = {"ROOT", "'√'"},
    [TK_PARTIAL] = {"PARTIAL", "'∂'"},
    [TK_EPOW] = {"EPOW", "'.^'"},
    [TK_CARET] = {"CARET", "'^'"},
    [TK_TRANSPOSE] = {"TRANSPOSE", "'ᵀ'"},
    [TK_INVERSE] = {"INVERSE", "'⁻¹'"},
    [TK_ASSIGN] = {"ASSIGN", "'='"},
    [TK_COMMA] = {"COMMA", "','"},
    [TK_DOTDOT] = {"DOTDOT", "'..'"},
    [TK_LPAREN] = {"LPAREN", "'('"},
    [TK_CALL_LPAREN] = {"CALL_LPAREN", "'('"},
    [TK_RPAREN] = {"RPAREN", "')'"},
    [TK_LBRACK] = {"LBRACK", "'['"},
    [TK_RBRACK] = {"RBRACK", "']'"},
    [TK_LBRACE] = {"LBRACE", "'{'"},
    [TK_RBRACE] = {"RBRACE", "'}'"},
    [TK_LANGLE] = {"LANGLE", "'⟨'"},
    [TK_RANGLE] = {"RANGLE", "'⟩'"},
    [TK_NORM_OPEN] = {"NORM_OPEN", "'‖'"},
    [TK_NORM_CLOSE] = {"NORM_CLOSE", "'‖'"},
    [TK_NORM1_CLOSE] = {"NORM1_CLOSE", "'‖₁'"},
    [TK_NORM2_CLOSE] = {"NORM2_CLOSE", "'‖₂'"},
    [TK_BAR_OPEN] = {"BAR_OPEN", "'|'"},
    [TK_BAR_CLOSE] = {"BAR_CLOSE", "'|'"},
    [TK_SIGMA] = {"SIGMA", "'Σ'"},
    [TK_UNDERSCORE] = {"UNDERSCORE", "'_'"},
};

const char *sg_lex_token_name(int kind)
{
    if (kind >= 0 && (size_t)kind < sizeof tokens / sizeof tokens[0] && tokens[kind].name)
        return tokens[kind].name;
    return "?";
}

const char *sg_lex_token_text(int kind)
{
    if (kind >= 0 && (size_t)kind < sizeof tokens / sizeof tokens[0] && tokens[kind].text)
        return tokens[kind].text;
    return "a token";
}

/* ---- raw tokens ----------------------------------------------------------- */

/*
 * Characters the scanner has no token for. A run of them with nothing
 * between is one error, as clang reports a run of garbage once: a 16 KiB
 * line of '@' (then a stray) was 16,000 errors, each echoing the line.
 */
typedef struct {
    sg_span at;       /* the run so far (empty: none) */
    unsigned long cp; /* its first character */
    unsigned n;       /* characters in it */
    int same;         /* all of them the first one */
} stray_run;

static unsigned long code_point(const sg_lexer *lx, sg_span at)
{
    unsigned long cp = 0;
    sg_utf8_decode((const unsigned char *)lx->src->text + at.begin, at.end - at.begin, &cp);
    return cp;
}

static void stray_flush(sg_lexer *lx, stray_run *r)
{
    const char *s = lx->src->text + r->at.begin;
    unsigned long cp = r->cp;
    char what[64];
    size_t k;
    if (r->n == 0)
        return;
    lx->stray = 1;
    if (cp > 0x20 && cp < 0x7f)
        snprintf(what, sizeof what, "'%c'", (int)cp);
    else if (cp < 0xa0)
        snprintf(what, sizeof what, "U+%04lX", cp);
    else {
        for (k = 1; k < 4 && ((unsigned char)s[k] & 0xc0) == 0x80; k++)
            ;
        snprintf(what, sizeof what, "'%.*s' (U+%04lX)", (int)k, s, cp);
    }
    if (r->n == 1)
        sg_src_error(lx->src, r->at, "unexpected character %s", what);
    else if (r->same)
        sg_src_error(lx->src, r->at, "unexpected character %s, %u in a row", what, r->n);
    else
        sg_src_error(lx->src, r->at, "unexpected character %s and %u more after it", what,
                     r->n - 1);
    r->n = 0;
}

static void stray_add(sg_lexer *lx, stray_run *r, sg_span at)
{
    unsigned long cp = code_point(lx, at);
    if (r->n > 0 && at.begin == r->at.end) {
        r->at.end = at.end;
        r->n++;
        r->same = r->same && cp == r->cp;
        return;
    }
    stray_flush(lx, r);
    r->at = at;
    r->cp = cp;
    r->n = 1;
    r->same = 1;
}

static void stray(sg_lexer *lx, sg_span at)
{
    stray_run r;
    memset(&r, 0, sizeof r);
    stray_add(lx, &r, at);
    stray_flush(lx, &r);
}

static double fraction(const char *s)
{
    static const struct {
        const char *text;
        double v;
    } vulgar[] = {
        {"½", 1.0 / 2}, {"⅓", 1.0 / 3}, {"⅔", 2.0 / 3}, {"¼", 1.0 / 4},
        {"¾", 3.0 / 4}, {"⅕", 1.0 / 5}, {"⅙", 1.0 / 6}, {"⅛", 1.0 / 8},
    };
    size_t i;
    for (i = 0; i < sizeof vulgar / sizeof vulgar[0]; i++)
        if (strncmp(s, vulgar[i].text, strlen(vulgar[i].text)) == 0)
            return vulgar[i].v;
    return 0;
}

static void number(sg_lexer *lx, sg_token *t)
{
    const char *s = lx->src->text + t->span.begin;
    size_t n = t->span.end - t->span.begin;
    if (*s == '.' || (*s >= '0' && *s <= '9')) {
        t->num = strtod(sg_arena_strndup(lx->arena, s, n), NULL);
        if (!isfinite(t->num)) {
            sg_src_error(lx->src, t->span, "number too large");
            t->num = 0;
        }
    } else {
        t->num = fraction(s);
    }
}

/* the next raw token that is not an error, with its value */
static void scan(sg_lexer *lx, sg_token *t)
{
    stray_run run;
    if (lx->has_peeked) {
        *t = lx->peeked;
        lx->has_peeked = 0;
        return;
    }
    memset(&run, 0, sizeof run);
    for (;;) {
        memset(t, 0, sizeof *t);
        t->kind = lx->scan ? sg_scan_next(lx->scan) : TK_YYEOF;
        t->span = lx->pos;
        if (t->kind == SG_SCAN_STRAY) {
            stray_add(lx, &run, t->span);
            continue;
        }
        stray_flush(lx, &run);
        switch (t->kind) {
        case TK_YYEOF:
            t->span.begin = t->span.end = (unsigned)lx->src->len;
            return;
        case SG_SCAN_INVALID: /* reported by sg_src_check_utf8 */
            continue;
        case TK_NAME:
            t->name = sg_lex_normalize(lx->arena, lx->src->text + t->span.begin,
                                       t->span.end - t->span.begin);
            if (strlen(t->name) > SG_LEX_MAX_NAME)
                sg_src_error(lx->src, t->span, "name too long: more than %d characters",
                             SG_LEX_MAX_NAME);
            return;
        case TK_NUM:
            number(lx, t);
            return;
        case TK_POWNUM: /* ² is C2 B2, ³ is C2 B3 */
            t->num = lx->src->text[t->span.begin + 1] == '\xb2' ? 2 : 3;
            return;
        default:
            return;
        }
    }
}

static void peek(sg_lexer *lx, sg_token *t)
{
    if (!lx->has_peeked) {
        scan(lx, &lx->peeked);
        lx->has_peeked = 1;
    }
    *t = lx->peeked;
}

/* ---- the statement -------------------------------------------------------- */

static void emit(sg_lexer *lx, const sg_token *t)
{
    if (lx->qhead + lx->qlen == lx->qcap) {
        if (lx->qhead > 0) {
            memmove(lx->queue, lx->queue + lx->qhead, lx->qlen * sizeof *lx->queue);
            lx->qhead = 0;
        } else {
            SG_GROW(lx->queue, lx->qlen, lx->qcap, SG_GROW_MAX, "tokens queued in one statement");
        }
    }
    lx->queue[lx->qhead + lx->qlen++] = *t;
    lx->ends_queued += t->kind == TK_END;
    lx->names_only = lx->ntok == 0 ? t->kind == TK_NAME
                                   : lx->names_only && (t->kind == TK_NAME || t->kind == TK_COMMA);
    if (lx->ntok == 0)
        lx->first_name = t->kind == TK_NAME ? t->name : NULL;
    lx->ntok++;
    lx->last = t->kind;
    lx->last_end = t->span.end;
    lx->last_name = t->kind == TK_NAME ? t->name : NULL;
}

static void emit_kind(sg_lexer *lx, int kind, sg_span span, int synthetic)
{
    sg_token t;
    memset(&t, 0, sizeof t);
    t.kind = kind;
    t.span = span;
    t.synthetic = synthetic;
    emit(lx, &t);
}

static void push_open(sg_lexer *lx, int kind, sg_span span, int sigma)
{
    open_t *o;
    SG_GROW(lx->open, lx->nopen, lx->capopen, SG_GROW_MAX, "open brackets");
    o = &lx->open[lx->nopen++];
    o->kind = kind;
    o->span = span;
    o->reported = 0;
    o->sigma = sigma;
}

static int is_bar(int kind)
{
    return kind == SG_SCAN_NORM_BAR || kind == SG_SCAN_ABS_BAR || kind == SG_SCAN_ASCII_NORM;
}

/* can a token of this kind end an operand (so that a bar after it closes)? */
static int ends_operand(int kind)
{
    switch (kind) {
    case TK_NAME: case TK_NUM: case TK_RPAREN: case TK_RBRACK: case TK_RANGLE:
    case TK_NORM_CLOSE: case TK_NORM1_CLOSE: case TK_NORM2_CLOSE: case TK_BAR_CLOSE:
    case TK_TRANSPOSE: case TK_POWNUM: case TK_INVERSE:
        return 1;
    default:
        return 0;
    }
}

/* does a line ending with this token go on on the next line? */
static int continues(int kind)
{
    switch (kind) {
    case TK_PLUS: case TK_MINUS: case TK_STAR: case TK_AT: case TK_CDOT: case TK_SLASH:
    case TK_HADAMARD: case TK_HDIV: case TK_EPOW: case TK_CARET: case TK_ASSIGN:
    case TK_COMMA: case TK_ELEM: case TK_COLON: case TK_IN: case TK_WRT:
    case TK_DOTDOT: case TK_TIMES:
        return 1;
    default:
        return 0;
    }
}

static void report_bar(sg_lexer *lx, open_t *o)
{
    if (o->reported || lx->error)
        return;
    o->reported = 1;
    if (o->kind == SG_SCAN_NORM_BAR)
        sg_src_error(lx->src, o->span,
                     "unclosed ‖ (a norm must close on the line where it opens)");
    else if (o->kind == SG_SCAN_ASCII_NORM)
        sg_src_error(lx->src, o->span,
                     "unclosed || (a norm must close on the line where it opens)");
    else
        sg_src_error(lx->src, o->span,
                     "unclosed | (|…| must close on the line where it opens)");
}

/* the token that closes o, made up at `at` */
static void close_synthetic(sg_lexer *lx, const open_t *o, unsigned at)
{
    sg_span span;
    int kind;
    span.begin = span.end = at;
    switch (o->kind) {
    case TK_LPAREN: kind = TK_RPAREN; break;
    case TK_LBRACK: kind = TK_RBRACK; break;
    case TK_LBRACE: kind = TK_RBRACE; break;
    case TK_LANGLE: kind = TK_RANGLE; break;
    case SG_SCAN_NORM_BAR: case SG_SCAN_ASCII_NORM: kind = TK_NORM_CLOSE; break;
    default: kind = TK_BAR_CLOSE; break;
    }
    emit_kind(lx, kind, span, 1);
}

/* the 1-based line of a byte offset */
static unsigned line_of(const sg_lexer *lx, unsigned off)
{
    unsigned line, col;
    sg_src_linecol(lx->src, off, &line, &col);
    return line;
}

/*
 * End the statement at `at` (a newline, `;`, or the end of input): report
 * and close what is open, then END. An empty statement ends silently.
 */
static void finish(sg_lexer *lx, sg_span at, int hard)
{
    unsigned i;
    if (lx->ntok > 0) {
        for (i = 0; i < lx->nopen; i++)
            if (is_bar(lx->open[i].kind))
                report_bar(lx, &lx->open[i]);
        /* the outermost bracket tells where the trouble started */
        for (i = 0; hard && !lx->error && i < lx->nopen; i++) {
            if (!is_bar(lx->open[i].kind)) {
                sg_src_error(lx->src, lx->open[i].span, "unclosed '%.*s'",
                             (int)(lx->open[i].span.end - lx->open[i].span.begin),
                             lx->src->text + lx->open[i].span.begin);
                /* a bracket that swallowed later lines: what it swallowed is
                   not the statement the user meant. A made-up invalid token
                   fails the statement silently (the parser reports no error
                   at a made-up token), so that the bracket is all that is
                   reported, and the name it defines stays known */
                if (line_of(lx, at.begin) > line_of(lx, lx->open[i].span.begin))
                    emit_kind(lx, TK_SG_YYUNDEF, at, 1);
                break;
            }
        }
        for (i = lx->nopen; i-- > 0;)
            close_synthetic(lx, &lx->open[i], at.begin);
        emit_kind(lx, TK_END, at, 0);
    }
    lx->nopen = 0;
    lx->ntok = 0;
    lx->last = 0;
    lx->lead = 0;
    lx->assigned = lx->decl = lx->error = lx->after_sigma = 0;
    if (lx->scan)
        sg_scan_decl(lx->scan, 0);
}

static void newline(sg_lexer *lx, sg_span at)
{
    unsigned i;
    int bracket = 0;
    for (i = 0; i < lx->nopen; i++) {
        if (is_bar(lx->open[i].kind))
            report_bar(lx, &lx->open[i]);
        else
            bracket = 1;
    }
    if (!lx->error && (bracket || (continues(lx->last) && !lx->stray))) {
        lx->stray = 0;
        return;
    }
    lx->stray = 0;
    finish(lx, at, 0);
}

/* the norm a closing bar ends: ‖e‖, ‖e‖₁, ‖e‖₂; ‖e‖_F is ‖e‖ */
static int norm_close(int raw)
{
    return raw == SG_SCAN_NORM_BAR1 ? TK_NORM1_CLOSE
           : raw == SG_SCAN_NORM_BAR2 ? TK_NORM2_CLOSE : TK_NORM_CLOSE;
}

static void bar(sg_lexer *lx, sg_token *t)
{
    unsigned barlen = lx->src->text[t->span.begin] == '|' ? (t->kind == SG_SCAN_ABS_BAR ? 1 : 2)
                                                          : 3; /* ‖ and ∥ are 3 bytes */
    int kind = t->kind == SG_SCAN_ABS_BAR ? SG_SCAN_ABS_BAR
               : barlen == 2 ? SG_SCAN_ASCII_NORM : SG_SCAN_NORM_BAR;
    /* log|K| is log|det K|: a bar written right after log opens, even inside
       other bars (|log|A|| is the absolute value of log|A|) */
    int after_log = lx->last == TK_NAME && lx->last_end == t->span.begin && lx->last_name &&
                    !strcmp(lx->last_name, "log");
    int top = lx->nopen ? lx->open[lx->nopen - 1].kind : 0;
    if (kind == SG_SCAN_ASCII_NORM && t->kind == SG_SCAN_NORM_BAR && top == SG_SCAN_ABS_BAR &&
        ends_operand(lx->last)) {
        /* |A||B|: the || closes |A| and opens or closes what follows */
        sg_token second = *t;
        t->kind = second.kind = SG_SCAN_ABS_BAR;
        t->span.end = second.span.begin = t->span.begin + 1;
        bar(lx, t);
        bar(lx, &second);
        return;
    }
    if (top == kind && ends_operand(lx->last) && !after_log) {
        lx->nopen--;
        t->kind = kind == SG_SCAN_ABS_BAR ? TK_BAR_CLOSE : norm_close(t->kind);
        emit(lx, t);
        return;
    }
    if (t->span.end > t->span.begin + barlen) { /* ‖₁ opening: the ₁ belongs to nothing */
        sg_span sub;
        sub.begin = t->span.begin + barlen;
        sub.end = t->span.end;
        t->span.end = sub.begin;
        stray(lx, sub);
    }
    push_open(lx, kind, t->span, 0);
    t->kind = kind == SG_SCAN_ABS_BAR ? TK_BAR_OPEN : TK_NORM_OPEN;
    emit(lx, t);
}

static void opener(sg_lexer *lx, sg_token *t)
{
    push_open(lx, t->kind, t->span, t->kind == TK_LBRACE && lx->last == TK_UNDERSCORE);
    if (t->kind == TK_LPAREN && lx->last == TK_NAME && lx->last_end == t->span.begin)
        t->kind = TK_CALL_LPAREN;
    emit(lx, t);
}

static void closer(sg_lexer *lx, sg_token *t)
{
    int want = t->kind == TK_RPAREN ? TK_LPAREN
               : t->kind == TK_RBRACK ? TK_LBRACK
               : t->kind == TK_RBRACE ? TK_LBRACE : TK_LANGLE;
    unsigned i, j;
    int sigma;

    for (i = lx->nopen; i-- > 0;)
        if (lx->open[i].kind == want)
            break;
    if (i == (unsigned)-1) { /* closes nothing: the grammar will say so */
        emit(lx, t);
        return;
    }
    /* bars left open inside are closed; other brackets the grammar reports */
    for (j = lx->nopen; j-- > i + 1;) {
        if (is_bar(lx->open[j].kind)) {
            report_bar(lx, &lx->open[j]);
            close_synthetic(lx, &lx->open[j], t->span.begin);
        }
    }
    sigma = lx->open[i].sigma;
    lx->nopen = i;
    emit(lx, t);
    lx->after_sigma = sigma;
}

static int lead_keyword(const char *s)
{
    static const struct {
        const char *word;
        int kind;
    } kw[] = {
        {"grad", TK_GRAD}, {"jacobian", TK_JACOBIAN}, {"hessian", TK_HESSIAN},
        {"output", TK_OUTPUT}, {"prefix", TK_PREFIX}, {"dim", TK_DIM},
        {"answer", TK_ANSWER},
    };
    size_t i;
    for (i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(s, kw[i].word) == 0)
            return kw[i].kind;
    return 0;
}

/* a name, or the keyword it is here */
static int keyword(sg_lexer *lx, const sg_token *t)
{
    const char *s = t->name;
    if (lx->ntok == 0) {
        int kw = lead_keyword(s);
        sg_token next;
        if (!kw)
            return TK_NAME;
        peek(lx, &next);
        /* Δ and Σ are scanned as symbols and made names afterwards: `grad Δ wrt x` */
        if (next.kind != TK_NAME && next.kind != TK_SIMPLEX && next.kind != TK_SIGMA &&
            !(kw == TK_ANSWER && next.kind == TK_PARTIAL))
            return TK_NAME; /* `grad = …`, `dim ∈ ℝ`: a name after all */
        lx->lead = kw;
        return kw;
    }
    if (lx->ntok == 2 && strcmp(s, "wrt") == 0 &&
        (lx->lead == TK_GRAD || lx->lead == TK_JACOBIAN || lx->lead == TK_HESSIAN))
        return TK_WRT;
    if (strcmp(s, "in") == 0 && !lx->lead && !lx->decl && !lx->assigned &&
        lx->nopen == 0 && (lx->last == TK_NAME || lx->last == TK_RBRACK)) {
        lx->decl = 1;
        sg_scan_decl(lx->scan, 1);
        return TK_IN;
    }
    if (strcmp(s, "for") == 0 && (lx->assigned || lx->decl) && lx->nopen == 0 &&
        (ends_operand(lx->last) || lx->last == TK_RBRACE || lx->last == TK_REALS ||
         lx->last == TK_SCALAR)) {
        lx->decl = 0;
        sg_scan_decl(lx->scan, 0);
        return TK_FOR;
    }
    return TK_NAME;
}

/* ---- ℝⁿ: a set with its dimensions in superscript ------------------------- */

/* the ASCII of a superscript digit or letter; ˣ is ×; 0 for anything else */
static char superscript(unsigned long cp)
{
    static const struct {
        unsigned long cp;
        char c;
    } sup[] = {
        {0x2070, '0'}, {0xb9, '1'}, {0xb2, '2'}, {0xb3, '3'}, {0x2074, '4'}, {0x2075, '5'},
        {0x2076, '6'}, {0x2077, '7'}, {0x2078, '8'}, {0x2079, '9'},
        {0x1d43, 'a'}, {0x1d47, 'b'}, {0x1d9c, 'c'}, {0x1d48, 'd'}, {0x1d49, 'e'},
        {0x1da0, 'f'}, {0x1d4d, 'g'}, {0x2b0, 'h'}, {0x2071, 'i'}, {0x2b2, 'j'},
        {0x1d4f, 'k'}, {0x2e1, 'l'}, {0x1d50, 'm'}, {0x207f, 'n'}, {0x1d52, 'o'},
        {0x1d56, 'p'}, {0x2b3, 'r'}, {0x2e2, 's'}, {0x1d57, 't'}, {0x1d58, 'u'},
        {0x1d5b, 'v'}, {0x2b7, 'w'}, {0x2b8, 'y'}, {0x1dbb, 'z'}, {0x2e3, 'x'},
        {0x1d2c, 'A'}, {0x1d2e, 'B'}, {0x1d30, 'D'}, {0x1d31, 'E'}, {0x1d33, 'G'},
        {0x1d34, 'H'}, {0x1d35, 'I'}, {0x1d36, 'J'}, {0x1d37, 'K'}, {0x1d38, 'L'},
        {0x1d39, 'M'}, {0x1d3a, 'N'}, {0x1d3c, 'O'}, {0x1d3e, 'P'}, {0x1d3f, 'R'},
        {0x1d40, 'T'}, {0x1d41, 'U'}, {0x2c7d, 'V'}, {0x1d42, 'W'},
    };
    size_t i;
    for (i = 0; i < sizeof sup / sizeof sup[0]; i++)
        if (sup[i].cp == cp)
            return sup[i].c;
    return 0;
}

/* one dimension in superscript: one letter (a NAME) or digits (a NUM) */
static int sup_dim(sg_lexer *lx, const char *text, sg_span span, sg_token *t)
{
    size_t n = strlen(text), i;
    memset(t, 0, sizeof *t);
    t->span = span;
    if (n == 1 && !(text[0] >= '0' && text[0] <= '9')) {
        t->kind = TK_NAME;
        t->name = sg_arena_strdup(lx->arena, text);
        return 1;
    }
    for (i = 0; i < n; i++)
        if (text[i] < '0' || text[i] > '9')
            return 0;
    t->kind = TK_NUM;
    t->num = n ? strtod(text, NULL) : 0; /* 0 is refused as a dimension later */
    return n > 0;
}

/* the set a superscript follows (ℝ 𝕊 𝕊₊₊ Δ), and its length in bytes */
static int set_of(const char *s, unsigned *len)
{
    static const struct {
        const char *text;
        int kind;
    } sets[] = {{"ℝ", TK_REALS}, {"𝕊₊₊", TK_SPDSET}, {"𝕊", TK_SYMSET}, {"Δ", TK_SIMPLEX}};
    size_t i;
    for (i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        *len = (unsigned)strlen(sets[i].text);
        if (!strncmp(s, sets[i].text, *len))
            return sets[i].kind;
    }
    return TK_REALS; /* not reached: the scanner matched one of them */
}

/*
 * ℝⁿ is ℝ^n and ℝᵐˣⁿ is ℝ^{m×n} (𝕊ⁿ, 𝕊₊₊ⁿ and Δᵏ alike): the raw token is
 * cut into the tokens of the ASCII spelling, so that the grammar has one
 * rule for each. A dimension in superscript is one letter or a number
 * (ℝᵐⁿ is refused: ℝᵐˣⁿ or ℝ^{mn} is meant).
 */
static void set_sup(sg_lexer *lx, sg_token *t)
{
    char part[2][SG_LEX_MAX_NAME + 1];
    sg_span at[2], times = {0, 0}, reals = t->span;
    size_t len[2] = {0, 0};
    unsigned setlen;
    int set = set_of(lx->src->text + reals.begin, &setlen);
    unsigned i = reals.begin + setlen;
    int nparts = 1, ok = 1, k;
    sg_token dims[2], tok;

    at[0].begin = at[0].end = i;
    while (i < t->span.end && ok) {
        unsigned long cp = 0;
        int n = sg_utf8_decode((const unsigned char *)lx->src->text + i, t->span.end - i, &cp);
        char c = superscript(cp);
        if (c == 'x' && nparts == 1) { /* ˣ: the × of ℝᵐˣⁿ */
            times.begin = i;
            times.end = i + (unsigned)n;
            nparts = 2;
            at[1].begin = at[1].end = times.end;
        } else if (c && c != 'x' && len[nparts - 1] < SG_LEX_MAX_NAME) {
            part[nparts - 1][len[nparts - 1]++] = c;
            at[nparts - 1].end = i + (unsigned)n;
        } else {
            ok = 0;
        }
        i += (unsigned)n;
    }
    for (k = 0; k < nparts; k++) {
        part[k][len[k]] = '\0';
        ok = ok && sup_dim(lx, part[k], at[k], &dims[k]);
    }
    reals.end = reals.begin + setlen;
    emit_kind(lx, set, reals, 0);
    at[0].begin = at[0].end = reals.end;
    emit_kind(lx, TK_CARET, at[0], 0);
    if (!ok) {
        sg_span sup = t->span;
        sup.begin = reals.end;
        sg_src_error(lx->src, sup, "a dimension in superscript is one letter or a number: "
                                   "ℝⁿ, ℝ³, ℝᵐˣⁿ (or write ℝ^{…})");
        memset(&tok, 0, sizeof tok);
        tok.kind = TK_NUM;
        tok.num = 1;
        tok.span = sup;
        emit(lx, &tok);
        return;
    }
    if (nparts == 1) {
        emit(lx, &dims[0]);
        return;
    }
    /* ℝ and Δ have two: 𝕊ᵐˣⁿ is the syntax error at ˣ that 𝕊^m×n is */
    if (set == TK_REALS || set == TK_SIMPLEX)
        emit_kind(lx, TK_LBRACE, at[0], 0);
    emit(lx, &dims[0]);
    emit_kind(lx, TK_TIMES, times, 0);
    emit(lx, &dims[1]);
    at[1].begin = at[1].end;
    if (set == TK_REALS || set == TK_SIMPLEX)
        emit_kind(lx, TK_RBRACE, at[1], 0);
}

/*
 * Σ is the summation sign, unless the file declares or defines it as a name
 * (the covariance Σ ∈ 𝕊₊₊^d): written where a statement names what it
 * declares or defines, before ∈ : in , = or [, it is the name Sigma, and
 * so is every Σ after it, but for a Σ_ (an error, then read as a sum). A
 * Σ not followed by _ is a name too, undefined until declared. ∑ is always
 * the sign.
 */
static int sigma_is_name(sg_lexer *lx, const sg_token *t)
{
    sg_token next;
    if (strncmp(lx->src->text + t->span.begin, "Σ", strlen("Σ")) != 0)
        return 0;
    if (lx->sigma_name) {
        peek(lx, &next);
        if (next.kind != TK_UNDERSCORE)
            return 1;
        /* Σ_{t=1}^{T}: a sum after all, reported once and read as one */
        sg_src_error(lx->src, t->span, "Σ is a name in this file (it is declared or defined): "
                                       "write ∑_{…} or sum(t = …) for a sum");
        return 0;
    }
    peek(lx, &next);
    if (lx->ntok > 0 && !(lx->names_only && lx->last == TK_COMMA))
        /* not where a statement names what it declares: a name unless a sum
           (Σ_), undefined if undeclared, as any name */
        return next.kind != TK_UNDERSCORE;
    switch (next.kind) {
    case TK_ELEM: case TK_COLON: case TK_COMMA: case TK_ASSIGN: case TK_LBRACK:
        break;
    case TK_NAME:
        if (strcmp(next.name, "in") == 0)
            break;
        return 0;
    default:
        return 0;
    }
    lx->sigma_name = 1;
    return 1;
}

/* turn the next raw token into grammar tokens (maybe none) */
/*
 * A notation from another language (x**2, ℝ^{m,n}, c' as a name): its own
 * message, then a made-up invalid token, at which the parser fails the
 * statement without a message of its own (parser.c), so that the message
 * is the only one.
 */
static void targeted(sg_lexer *lx, sg_span at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void targeted(sg_lexer *lx, sg_span at, const char *fmt, ...)
{
    va_list ap;
    sg_buf b;
    sg_buf_init(&b);
    va_start(ap, fmt);
    sg_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    sg_src_error(lx->src, at, "%s", sg_buf_str(&b));
    sg_buf_free(&b);
    emit_kind(lx, TK_SG_YYUNDEF, at, 1);
}

static void advance(sg_lexer *lx)
{
    sg_token t;
    int after_sigma = lx->after_sigma;

    if (lx->done) {
        emit_kind(lx, TK_YYEOF, lx->pos, 0);
        return;
    }
    scan(lx, &t);
    lx->after_sigma = 0;
    switch (t.kind) {
    case TK_YYEOF:
        finish(lx, t.span, 1);
        lx->done = 1;
        emit(lx, &t);
        lx->pos = t.span;
        return;
    case SG_SCAN_SEMI:
        finish(lx, t.span, 1);
        return;
    case SG_SCAN_NEWLINE:
        newline(lx, t.span);
        return;
    case SG_SCAN_NORM_BAR: case SG_SCAN_NORM_BAR1: case SG_SCAN_NORM_BAR2:
    case SG_SCAN_NORM_BARF: case SG_SCAN_ABS_BAR:
        bar(lx, &t);
        return;
    case SG_SCAN_SET_SUP:
        set_sup(lx, &t);
        return;
    case TK_LPAREN: case TK_LBRACK: case TK_LBRACE: case TK_LANGLE:
        opener(lx, &t);
        return;
    case TK_RPAREN: case TK_RBRACK: case TK_RBRACE: case TK_RANGLE:
        closer(lx, &t);
        return;
    case TK_SIMPLEX: { /* Δ: the simplex where a declaration's set is Δ^…, else a name */
        sg_token next;
        if (lx->decl) {
            peek(lx, &next);
            if (next.kind == TK_CARET)
                break;
        }
        t.kind = TK_NAME;
        t.name = sg_lex_normalize(lx->arena, lx->src->text + t.span.begin,
                                  t.span.end - t.span.begin);
        break;
    }
    case TK_SIGMA:
        if (!sigma_is_name(lx, &t))
            break;
        t.kind = TK_NAME;
        t.name = sg_lex_normalize(lx->arena, lx->src->text + t.span.begin,
                                  t.span.end - t.span.begin);
        break;
    case TK_NAME:
        t.kind = keyword(lx, &t);
        break;
    case TK_ELEM: case TK_COLON:
        lx->decl = 1;
        sg_scan_decl(lx->scan, 1);
        break;
    case TK_ASSIGN:
        lx->assigned = 1;
        break;
    case TK_STAR:
        if (lx->last == TK_STAR && lx->last_end == t.span.begin) {
            sg_span both = t.span;
            both.begin = t.span.begin - 1;
            targeted(lx, both, "'**' is not an operator: write x^2 for a power (x.^2 entry by "
                               "entry, x ⊙ x)");
            return;
        }
        break;
    case TK_COMMA: /* ℝ^{m,n} */
        if (lx->decl && lx->nopen && lx->open[lx->nopen - 1].kind == TK_LBRACE) {
            targeted(lx, t.span, "dimensions are separated by × (or x), not a comma: "
                                 "write ℝ^{m×n}");
            return;
        }
        break;
    case TK_TRANSPOSE: /* Σ_{t=1}^T: the upper limit T, not a transpose */
        if (lx->ntok == 1 && lx->last == TK_NAME && lx->last_end == t.span.begin &&
            lx->src->text[t.span.begin] == '\'') { /* c' = …: a name with a prime */
            targeted(lx, t.span, "%s' cannot be a name: ' is the transpose; name it %s_prime "
                                 "or %s₂", lx->last_name, lx->last_name, lx->last_name);
            return;
        }
        if (after_sigma && lx->src->text[t.span.begin] == '^') {
            sg_span caret = t.span;
            caret.end = caret.begin + 1;
            emit_kind(lx, TK_CARET, caret, 0);
            t.kind = TK_NAME;
            t.span.begin = caret.end;
            t.name = "T";
        }
        break;
    default:
        break;
    }
    emit(lx, &t);
}

/* ---- the interface -------------------------------------------------------- */

sg_lexer *sg_lex_new(sg_src *src, sg_arena *arena)
{
    sg_lexer *lx = sg_xmalloc(sizeof *lx);
    memset(lx, 0, sizeof *lx);
    lx->src = src;
    lx->arena = arena;
    if (src->fatal) /* past a limit of the input: read none of it */
        return lx;
    sg_src_check_utf8(src);
    /* flex counts in int: SG_SRC_MAX_BYTES is far below */
    lx->scan = sg_scan_open(src->text, src->len, &lx->pos);
    return lx;
}

void sg_lex_free(sg_lexer *lx)
{
    if (!lx)
        return;
    if (lx->scan)
        sg_scan_close(lx->scan);
    free(lx->queue);
    free(lx->open);
    free(lx);
}

void sg_lex_next(sg_lexer *lx, sg_token *t)
{
    while (lx->qlen == 0)
        advance(lx);
    *t = lx->queue[lx->qhead++];
    lx->qlen--;
    if (lx->qlen == 0)
        lx->qhead = 0;
    lx->ends_queued -= t->kind == TK_END;
    lx->last_synthetic = t->synthetic;
}

int sg_lex_open_before(sg_lexer *lx, sg_span at)
{
    unsigned i, line, col, open_line;
    if (lx->error || lx->ends_queued)
        return 0;
    sg_src_linecol(lx->src, at.begin, &line, &col);
    for (i = 0; i < lx->nopen; i++) {
        if (is_bar(lx->open[i].kind))
            continue;
        sg_src_linecol(lx->src, lx->open[i].span.begin, &open_line, &col);
        if (open_line >= line)
            return 0;
        sg_src_error(lx->src, lx->open[i].span,
                     "unclosed '%.*s': the statement runs on to line %u",
                     (int)(lx->open[i].span.end - lx->open[i].span.begin),
                     lx->src->text + lx->open[i].span.begin, line);
        return 1; /* the outermost tells where the trouble started */
    }
    return 0;
}

void sg_lex_syntax_error(sg_lexer *lx)
{
    /* an END still queued means the statement is over already */
    if (!lx->ends_queued && lx->ntok > 0)
        lx->error = 1;
}

const char *sg_lex_misspelt_keyword(const sg_lexer *lx)
{
    return lx->ntok == 2 && !lx->ends_queued ? lx->first_name : NULL;
}

int sg_lex_last_synthetic(const sg_lexer *lx)
{
    return lx->last_synthetic;
}
