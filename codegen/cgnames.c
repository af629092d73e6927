/*
 * cgnames.c: names in the generated code (docs/GENERATED_C.md).
 *
 * A user's name is written in C as itself whenever it can be (W₁ → W1 and
 * β → beta are the checker's spelling); otherwise by one rule:
 *
 *  1. spelling: a byte that is not an ASCII letter, digit or _ becomes _, a
 *     run of _ becomes one _, and a name that does not start with a letter
 *     gets a v in front. So no name starts with _ or holds __ (reserved to
 *     the implementation in C and C++).
 *  2. a name that is reserved (below), or already given to another name in
 *     the same scope, is renamed to the first of  N_, N_2, N_3, …  (N_ is N
 *     when N already ends in _) that is neither.
 *
 * Reserved: the C99/C11/C23 and C++ keywords; the macros gcc and clang
 * predefine in their gnu modes (linux, unix, i386, …); the macros and types
 * of the headers the generated code includes (NULL, NAN, EOF, errno, size_t,
 * uint8_t, …); names that start with symgrad's own prefixes sg_ and SG_, or
 * with the problem's P_ and PU_ (PU the prefix in capitals: PU_OK is a
 * macro); and in a function's body also the functions it may call (exp,
 * sqrtf, …) and its own locals (dims, in, out, work, i, j, t, t1, t2, …).
 *
 * The rule always terminates: the names reserved by a prefix are reserved
 * only because symgrad's own names start so, and none of those ends in _ or
 * in _ and digits, so a name that does (N_, N_2, …) is not reserved by a
 * prefix; spelling never leaves a leading _ or a __; so of N_, N_2, N_3, …
 * only the finitely many listed names and the finitely many taken ones are
 * refused. It is deterministic: names are given in a fixed order (the
 * problem's declarations, then the schedule), so the output is the same byte
 * for byte on every run.
 */
#include "cg.h"

/* macros and types: a field is spelt after -> or ., but a macro replaces it
   all the same, and a type name cannot be declared a field in C++. The
   macros gcc and clang predefine in their default gnu modes (gcc -dM -E on
   x86, i386, sparc, mips, …), the macros and types of the headers the
   generated code includes (<math.h>, <stddef.h>; <stdio.h>, <stdlib.h> with
   --check; <stdint.h> for the streaming stores; the C standard's names and
   those glibc defines besides, from gcc -dM -E) and the complex.h macros a
   program that includes the header may have defined */
static const char *const macros[] = {
    /* predefined in gnu modes */
    "linux", "unix", "i386", "i486", "i586", "i686", "sun", "sparc", "mips", "vax", "hppa",
    "MIPSEB", "MIPSEL", "R3000", "R4000", "pyr", "ns32000", "m68k", "mc68000", "arm",
    /* <stddef.h>, <stdint.h> */
    "NULL", "offsetof", "size_t", "ptrdiff_t", "max_align_t", "wchar_t", "wint_t",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "int_least8_t",
    "int_least16_t", "int_least32_t", "int_least64_t", "uint_least8_t", "uint_least16_t",
    "uint_least32_t", "uint_least64_t", "int_fast8_t", "int_fast16_t", "int_fast32_t",
    "int_fast64_t", "uint_fast8_t", "uint_fast16_t", "uint_fast32_t", "uint_fast64_t",
    "INT8_C", "INT16_C", "INT32_C", "INT64_C", "UINT8_C", "UINT16_C", "UINT32_C", "UINT64_C",
    "INTMAX_C", "UINTMAX_C", "INT8_MAX", "INT8_MIN", "INT16_MAX", "INT16_MIN", "INT32_MAX",
    "INT32_MIN", "INT64_MAX", "INT64_MIN", "UINT8_MAX", "UINT16_MAX", "UINT32_MAX",
    "UINT64_MAX", "INTMAX_MAX", "INTMAX_MIN", "UINTMAX_MAX", "INTPTR_MAX", "INTPTR_MIN",
    "UINTPTR_MAX", "INT_FAST8_MAX", "INT_FAST8_MIN", "INT_FAST16_MAX", "INT_FAST16_MIN",
    "INT_FAST32_MAX", "INT_FAST32_MIN", "INT_FAST64_MAX", "INT_FAST64_MIN",
    "INT_LEAST8_MAX", "INT_LEAST8_MIN", "INT_LEAST16_MAX", "INT_LEAST16_MIN",
    "INT_LEAST32_MAX", "INT_LEAST32_MIN", "INT_LEAST64_MAX", "INT_LEAST64_MIN",
    "UINT_FAST8_MAX", "UINT_FAST16_MAX", "UINT_FAST32_MAX", "UINT_FAST64_MAX",
    "UINT_LEAST8_MAX", "UINT_LEAST16_MAX", "UINT_LEAST32_MAX", "UINT_LEAST64_MAX",
    "PTRDIFF_MAX", "PTRDIFF_MIN", "SIZE_MAX", "SIG_ATOMIC_MAX", "SIG_ATOMIC_MIN",
    "WCHAR_MAX", "WCHAR_MIN", "WINT_MAX", "WINT_MIN",
    /* <math.h> */
    "NAN", "INFINITY", "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "FP_INFINITE", "FP_NAN",
    "FP_NORMAL", "FP_SUBNORMAL", "FP_ZERO", "FP_FAST_FMA", "FP_FAST_FMAF", "FP_FAST_FMAL",
    "FP_ILOGB0", "FP_ILOGBNAN", "MATH_ERRNO", "MATH_ERREXCEPT", "math_errhandling",
    "float_t", "double_t", "fpclassify", "isfinite", "isinf", "isnan", "isnormal", "signbit",
    "isgreater", "isgreaterequal", "isless", "islessequal", "islessgreater", "isunordered",
    "M_E", "M_LOG2E", "M_LOG10E", "M_LN2", "M_LN10", "M_PI", "M_PI_2", "M_PI_4", "M_1_PI",
    "M_2_PI", "M_2_SQRTPI", "M_SQRT2", "M_SQRT1_2",
    /* <stdio.h>, <stdlib.h> and what glibc's define besides */
    "EOF", "BUFSIZ", "FILE", "fpos_t", "FILENAME_MAX", "FOPEN_MAX", "L_tmpnam", "L_ctermid",
    "P_tmpdir", "TMP_MAX", "SEEK_CUR", "SEEK_END", "SEEK_SET", "stdin", "stdout", "stderr",
    "EXIT_FAILURE", "EXIT_SUCCESS", "RAND_MAX", "MB_CUR_MAX", "div_t", "ldiv_t", "lldiv_t",
    "va_list", "va_arg", "va_copy", "va_end", "va_start", "alloca", "BIG_ENDIAN",
    "LITTLE_ENDIAN", "PDP_ENDIAN", "BYTE_ORDER", "FD_CLR", "FD_ISSET", "FD_SET", "FD_SETSIZE",
    "FD_ZERO", "NFDBITS", "WCONTINUED", "WEXITED", "WEXITSTATUS", "WIFCONTINUED",
    "WIFEXITED", "WIFSIGNALED", "WIFSTOPPED", "WNOHANG", "WNOWAIT", "WSTOPPED", "WSTOPSIG",
    "WTERMSIG", "WUNTRACED", "be16toh", "be32toh", "be64toh", "htobe16", "htobe32",
    "htobe64", "htole16", "htole32", "htole64", "le16toh", "le32toh", "le64toh",
    /* <errno.h>, <assert.h>, <complex.h>, <stdbool.h>: a program that includes the
       header may have included them first */
    "errno", "assert", "NDEBUG", "complex", "imaginary", "I",
};

/* the functions a body may call: <math.h> (each also with f and l, see
   libm()), <stdlib.h>, and main */
static const char *const functions[] = {
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "copysign",
    "cos", "cosh", "erf", "erfc", "exp", "exp2", "expm1", "fabs", "fdim", "floor", "fma",
    "fmax", "fmin", "fmod", "frexp", "gamma", "hypot", "ilogb", "j0", "j1", "jn", "ldexp",
    "lgamma", "llrint", "llround", "log", "log10", "log1p", "log2", "logb", "lrint",
    "lround", "modf", "nan", "nearbyint", "nextafter", "nexttoward", "pow", "remainder",
    "remquo", "rint", "round", "scalbln", "scalbn", "sin", "sinh", "sqrt", "tan", "tanh",
    "tgamma", "trunc", "y0", "y1", "yn", "abs", "labs", "malloc", "calloc", "realloc",
    "free", "abort", "exit", "printf", "fprintf", "main",
};

/* the locals of the generated functions: P_eval's and P_work_size's
   arguments, the loops' counters (ib, jb: a tile's or a block's), the
   kernels' packing room */
static const char *const locals[] = {"dims",    "in",   "out", "work", "scratch",
                                     "pack",    "i",    "j",   "ib",   "jb"};

static int listed(const char *s, const char *const *list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!strcmp(s, list[i]))
            return 1;
    return 0;
}

#define LISTED(s, list) listed(s, list, sizeof list / sizeof list[0])

/* a <math.h> function, with or without its f or l */
static int libm(const char *s)
{
    char base[32];
    size_t n = strlen(s);
    if (LISTED(s, functions))
        return 1;
    if (n < 2 || n >= sizeof base || (s[n - 1] != 'f' && s[n - 1] != 'l'))
        return 0;
    memcpy(base, s, n - 1);
    base[n - 1] = '\0';
    return LISTED(base, functions);
}

/* s ends in _ or in _ and digits: the renamed forms, reserved by no prefix */
static int renamed_form(const char *s)
{
    size_t n = strlen(s), k = n;
    while (k > 0 && s[k - 1] >= '0' && s[k - 1] <= '9')
        k--;
    return k > 0 && s[k - 1] == '_';
}

static int starts(const char *s, const char *p)
{
    size_t n = strlen(p);
    return !strncmp(s, p, n) && s[n] == '_';
}

/* whether s may not be used: local says as a name in a function's body (else
   as a field) */
static int reserved_name(cg_state *g, const char *s, int local)
{
    size_t n = strlen(s);
    if (sg_cident_keyword(s) || LISTED(s, macros)) /* C, GNU C and C++ keywords */
        return 1;
    if (!renamed_form(s) && (starts(s, "sg") || starts(s, "SG") || starts(s, g->P) ||
                             starts(s, g->PU)))
        return 1;
    if (n >= 2 && s[0] == '_' && ((s[1] >= 'A' && s[1] <= 'Z') || s[1] == '_'))
        return 1; /* not from spell(), but from nowhere else either */
    if (strstr(s, "__"))
        return 1;
    if (!local)
        return 0;
    if (libm(s) || LISTED(s, locals))
        return 1;
    if (s[0] == 't' && n > 1 && strspn(s + 1, "0123456789") == n - 1)
        return 1; /* t1, t2, …: temporaries */
    if (g->nloops && !strcmp(s, "t"))
        return 1; /* the loops over time count with t */
    return 0;
}

static int reserved(cg_state *g, const char *s)
{
    return reserved_name(g, s, 1) || sg_strmap_get(&g->taken, s) >= 0;
}

/* rule 1: the name spelt as a C identifier */
static void spell(sg_buf *b, const char *name)
{
    size_t i;
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        sg_buf_putc(b, 'v');
    for (i = 0; name[i]; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!ok && b->len > 0 && b->data[b->len - 1] == '_')
            continue;
        sg_buf_putc(b, ok ? c : '_');
    }
}

/* rules 1 and 2: the C name of name among the names in map (local: a
   function's body, else a struct's fields); the name is added to map */
static const char *allocate_name(cg_state *g, sg_strmap *map, const char *name, int local)
{
    sg_buf b;
    const char *s;
    size_t stem;
    unsigned long k;
    sg_buf_init(&b);
    spell(&b, name);
    if (reserved_name(g, sg_buf_str(&b), local) || sg_strmap_get(map, sg_buf_str(&b)) >= 0) {
        if (b.data[b.len - 1] != '_')
            sg_buf_putc(&b, '_');
        stem = b.len;
        for (k = 2;
             reserved_name(g, sg_buf_str(&b), local) || sg_strmap_get(map, sg_buf_str(&b)) >= 0;
             k++) {
            b.len = stem;
            sg_buf_printf(&b, "%lu", k);
        }
    }
    s = sg_arena_strdup(g->ar, sg_buf_str(&b));
    sg_buf_free(&b);
    sg_strmap_put(map, s, 0);
    return s;
}

/* a local of P_eval or P_work_size */
const char *cg_claim(cg_state *g, const char *name)
{
    return allocate_name(g, &g->taken, name, 1);
}

/* the C name of a sequence's steps: δh → dh */
static const char *seq_cname(cg_state *g, int q)
{
    const char *name = sg_seq_get(g->ctx, q)->name;
    if (!strncmp(name, "δ", strlen("δ")))
        return cg_claim(g, cg_fmt(g, "d%s", name + strlen("δ")));
    return cg_claim(g, name);
}

/* sequence q's node n: its buffer's C name, and its name in formulas */
static void seq_names(cg_state *g, cg_node *n, int q, const char *cname)
{
    sg_buf fb;
    n->cname = g->seqbuf[q] = cname;
    sg_buf_init(&fb);
    sg_fmt_name(&fb, sg_seq_get(g->ctx, q)->name, 0);
    n->fname = sg_arena_strdup(g->ar, sg_buf_str(&fb));
    sg_buf_free(&fb);
}

/* the buffers and locals of a schedule's statements, in the order they run;
   a loop's own as the loop comes */
static void name_scope(cg_state *g, cg_scope *sc)
{
    int pos;
    for (pos = 0; pos < sc->nit; pos++) {
        cg_item *it = &sc->it[sc->order[pos]];
        cg_node *n = &sc->ni[it->e->id];
        sg_buf fb;
        if (it->kind != IT_NODE)
            continue;
        if (n->out >= 0 && sc == &g->top) {
            n->cname = cg_fmt(g, "out->%s", g->resname[n->out]);
            if ((int)it->e->op == OP_SEQ) /* ∂L/∂x[t]: the adjoint's steps, in place */
                seq_names(g, n, it->e->seq, n->cname);
        } else if (n->out >= 0) { /* a recurrence's step, in place: named when printed */
            n->fname = g->loops[sc->loop].pc[n->out].name;
        } else if ((int)it->e->op == OP_SEQ) {
            const int *m;
            int k, nm = sg_seqgroups_members(g->groups, it->e->seq, &m);
            for (k = 0; k < nm; k++) /* the group's members: one buffer each in it */
                g->seqbuf[m[k]] = seq_cname(g, m[k]);
            seq_names(g, n, it->e->seq, g->seqbuf[it->e->seq]);
        } else if (it->e->op == OP_FACTOR) { /* K_lu, S_chol */
            const sg_expr *a = it->e->kid[0];
            const char *an = a->op == SG_OP_VAR ? sg_sym_get(g->ctx, a->sym)->name : a->name;
            const char *suf = cg_factor_at(g, it->e)->chol ? "chol" : "lu";
            n->cname = an ? cg_claim(g, cg_fmt(g, "%s_%s", an, suf)) : cg_fmt(g, "t%d", ++g->ntemp);
            n->fname = n->cname;
        } else if (it->e->name) {
            n->cname = cg_claim(g, it->e->name);
            if (!strcmp(n->cname, it->e->name)) {
                sg_buf_init(&fb);
                sg_fmt_name(&fb, it->e->name, 0);
                n->fname = sg_arena_strdup(g->ar, sg_buf_str(&fb));
                sg_buf_free(&fb);
            }
        } else {
            n->cname = cg_fmt(g, "t%d", ++g->ntemp);
        }
        if (!n->fname)
            n->fname = n->cname;
        if (n->plan == PL_LOOP) { /* the Σs it sums, its step's temporaries */
            cg_loop *lp = &g->loops[n->loop];
            int k;
            for (k = 0; k < lp->nsums; k++) {
                cg_node *m = &sc->ni[lp->sums[k]->id];
                m->cname = m->out >= 0 ? cg_fmt(g, "out->%s", g->resname[m->out])
                                       : cg_fmt(g, "t%d", ++g->ntemp);
                m->fname = m->cname;
            }
            name_scope(g, lp->body);
        }
    }
}

void cg_name_things(cg_state *g)
{
    int d, s, k;
    sg_strmap fields[3]; /* P_dims's, P_in's, P_out's */
    for (k = 0; k < 3; k++)
        sg_strmap_init(&fields[k]);
    for (d = 0; d < sg_dim_count(g->ctx); d++) {
        const sg_diminfo *di = sg_dim_get(g->ctx, d);
        if (di->name) {
            g->dimfield[d] = allocate_name(g, &fields[0], di->name, 0);
            g->dimname[d] = cg_claim(g, di->name);
        }
    }
    for (s = 0; s < sg_sym_count(g->ctx); s++)
        g->fieldname[s] = allocate_name(g, &fields[1], sg_sym_get(g->ctx, s)->name, 0);
    for (k = 0; k < g->nres; k++)
        g->resname[k] = allocate_name(g, &fields[2], g->p->results[k].cname, 0);
    for (k = 0; k < 3; k++)
        sg_strmap_free(&fields[k]);
    for (s = 0; s < sg_sym_count(g->ctx); s++) {
        g->symname[s] = cg_claim(g, sg_sym_get(g->ctx, s)->name);
        if (sg_sym_get(g->ctx, s)->seq >= 0) /* an input sequence's steps are the input */
            g->seqbuf[sg_sym_get(g->ctx, s)->seq] = g->symname[s];
    }
    name_scope(g, &g->top);
    for (k = 0; k < g->nsweeps && !g->rowname; k++) /* a sweep's row of W */
        if (g->sweeps[k].W)
            g->rowname = cg_claim(g, "row");
    {
        static const char *const cands[] = {"e", "v", "u", "q", "z", "tmp"};
        size_t c;
        g->tmpname = NULL;
        for (c = 0; c < sizeof cands / sizeof cands[0] && !g->tmpname; c++)
            if (!reserved(g, cands[c]))
                g->tmpname = cg_claim(g, cands[c]);
        if (!g->tmpname)
            g->tmpname = cg_claim(g, "tmp");
    }
}
