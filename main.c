/*
 * main.c: the symgrad command line (INTERFACE.md).
 *
 * Reads one problem, runs the pipeline (parse → check and differentiate →
 * print), and writes the result atomically: each output goes to a temporary
 * file in its destination's directory and is renamed into place only when
 * everything succeeded, so an error never leaves a partial or stale file.
 *
 * Exit status: 0 success, 1 an error in the input, 2 a usage error, 3 an I/O
 * error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/cgen.h"
#include "codegen/evalprint.h"
#include "codegen/formula.h"
#include "codegen/latex.h"
#include "lexer/arena.h"
#include "lexer/buf.h"
#include "lexer/source.h"
#include "parser/parser.h"
#include "symbolic/check.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

typedef enum { MODE_C, MODE_FORMULAS, MODE_LATEX, MODE_EVAL } mode_t_;

typedef struct {
    const char *input;
    const char *output;
    const char *header;
    const char *prefix;
    int use_float;
    int blas;
    int check;
    int ascii;
    int color; /* -1 auto, 0 never, 1 always */
    int fragment; /* --latex: the body only */
    int index;    /* --latex: results entry by entry too */
    const char *eval;
    mode_t_ mode;
    sg_dimfix *fixed;
    int nfixed;
} options;

static const char usage_text[] =
    "usage: symgrad [OPTIONS] FILE            FILE may be - for standard input\n"
    "  -o, --output FILE     write the result there (default: standard output)\n"
    "  -H, --header FILE     also write the matching header; the .c then includes it\n"
    "  -p, --prefix NAME     C prefix (default: the file's `prefix`, else its stem)\n"
    "  -t, --type T          double (default) or float\n"
    "      --dim N=V         fix dimension N to V when generating (repeatable)\n"
    "      --latex           write the derivation as a LaTeX document instead of C\n"
    "      --fragment        with --latex: the body only, to paste into a document\n"
    "      --index           with --latex: also each result entry by entry\n"
    "      --formulas        print the derived formulas as plain text\n"
    "      --ascii           with --formulas: ASCII instead of Unicode\n"
    "      --eval VALUES     evaluate every definition and derivative at VALUES,\n"
    "                        e.g. 'W=[[1,2],[3,4]]; x=[1,1]' (dimensions are inferred)\n"
    "      --blas            large products call CBLAS (cblas_dgemm, …); link a CBLAS\n"
    "      --check           add a main() that checks every derivative against\n"
    "                        central finite differences and exits non-zero on mismatch\n"
    "      --color[=WHEN]    color the diagnostics: auto (default), always or never\n"
    "  -h, --help            usage\n"
    "  -V, --version         version\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("symgrad: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'symgrad --help'.\n", stderr);
    return EXIT_USAGE;
}

static int is_identifier(const char *s)
{
    size_t i;
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

/* --dim N=V */
static int add_dim(options *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *end, *name;
    long v;
    if (!eq || eq == arg)
        return usage_error("--dim wants N=V, not '%s'", arg);
    errno = 0;
    v = strtol(eq + 1, &end, 10);
    if (errno || *end || end == eq + 1 || v < 1)
        return usage_error("--dim: '%s' is not a positive integer value", arg);
    if (v > SG_MAX_DIM)
        return usage_error("--dim: '%s' is larger than a dimension may be (2147483647)", arg);
    name = sg_xmalloc((size_t)(eq - arg) + 1);
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    if (!is_identifier(name)) {
        free(name);
        return usage_error("--dim: '%s' does not start with a dimension name", arg);
    }
    o->fixed = sg_xrealloc(o->fixed, (size_t)(o->nfixed + 1) * sizeof *o->fixed);
    o->fixed[o->nfixed].name = name;
    o->fixed[o->nfixed].value = v;
    o->nfixed++;
    return 0;
}

/* the value of an option: "--output=x", "--output x", "-o x", "-ox" */
static const char *optval(int argc, char **argv, int *i, const char *arg, size_t skip)
{
    if (arg[skip] == '=')
        return arg + skip + 1;
    if (arg[skip] && arg[1] != '-')
        return arg + skip;
    if (arg[skip])
        return NULL;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int parse_args(int argc, char **argv, options *o)
{
    int i, rc, only_files = 0;
    memset(o, 0, sizeof *o);
    o->color = -1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        size_t n;
        if (only_files || a[0] != '-' || !strcmp(a, "-")) {
            if (o->input)
                return usage_error("more than one input file ('%s')", a);
            o->input = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_files = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("symgrad %s\n", SG_VERSION);
            exit(0);
        }
        if (!strcmp(a, "--latex")) {
            o->mode = MODE_LATEX;
            continue;
        }
        if (!strcmp(a, "--fragment")) {
            o->fragment = 1;
            continue;
        }
        if (!strcmp(a, "--index")) {
            o->index = 1;
            continue;
        }
        if (!strcmp(a, "--formulas")) {
            o->mode = MODE_FORMULAS;
            continue;
        }
        if (!strcmp(a, "--ascii")) {
            o->ascii = 1;
            continue;
        }
        if (!strcmp(a, "--color")) {
            o->color = 1;
            continue;
        }
        if (!strncmp(a, "--color=", 8)) {
            if (!strcmp(a + 8, "auto"))
                o->color = -1;
            else if (!strcmp(a + 8, "always"))
                o->color = 1;
            else if (!strcmp(a + 8, "never"))
                o->color = 0;
            else
                return usage_error("--color is auto, always or never, not '%s'", a + 8);
            continue;
        }
        if (!strcmp(a, "--blas")) {
            o->blas = 1;
            continue;
        }
        if (!strcmp(a, "--check")) {
            o->check = 1;
            continue;
        }
#define LONGOPT(s) (n = strlen(s), !strncmp(a, s, n) && (a[n] == '\0' || a[n] == '='))
#define SHORTOPT(s) (n = 2, !strncmp(a, s, 2))
        if (LONGOPT("--output") || SHORTOPT("-o")) {
            if (!(v = optval(argc, argv, &i, a, n)) || !*v)
                return usage_error("%s needs a file name", a);
            o->output = v;
        } else if (LONGOPT("--header") || SHORTOPT("-H")) {
            if (!(v = optval(argc, argv, &i, a, n)) || !*v)
                return usage_error("%s needs a file name", a);
            o->header = v;
        } else if (LONGOPT("--prefix") || SHORTOPT("-p")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs a name", a);
            if (!is_identifier(v))
                return usage_error("the prefix '%s' is not a C identifier", v);
            o->prefix = v;
        } else if (LONGOPT("--type") || SHORTOPT("-t")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs double or float", a);
            if (!strcmp(v, "float"))
                o->use_float = 1;
            else if (!strcmp(v, "double"))
                o->use_float = 0;
            else
                return usage_error("--type is double or float, not '%s'", v);
        } else if (LONGOPT("--eval")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs values, e.g. --eval 'x=[1,2]; n=2'", a);
            o->eval = v;
            o->mode = MODE_EVAL;
        } else if (LONGOPT("--dim")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs N=V", a);
            if ((rc = add_dim(o, v)))
                return rc;
        } else {
            return usage_error("unknown option '%s'", a);
        }
#undef LONGOPT
#undef SHORTOPT
    }
    if (!o->input)
        return usage_error("%s", "no input file (use - for standard input)");
    if ((o->fragment || o->index) && o->mode != MODE_LATEX)
        return usage_error("%s", "--fragment and --index go with --latex");
    if (o->header && o->mode != MODE_C)
        return usage_error("%s", "-H/--header goes with C output, not --latex or --formulas");
    return 0;
}

/*
 * The whole input, or NULL with errno set. Reading stops one byte past
 * SG_SRC_MAX_BYTES: sg_src_new reports an input that large, and more of it
 * need not be read.
 */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        size_t got, want;
        if (cap - n < 4096) {
            cap = cap ? 2 * cap : 65536;
            buf = sg_xrealloc(buf, cap + 1);
        }
        want = cap - n;
        if (want > SG_SRC_MAX_BYTES + 1 - n)
            want = SG_SRC_MAX_BYTES + 1 - n;
        got = fread(buf + n, 1, want, f);
        n += got;
        if (got == 0 || n > SG_SRC_MAX_BYTES)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        if (f != stdin)
            fclose(f);
        free(buf);
        errno = e ? e : EIO;
        return NULL;
    }
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* the file name without directories and extension, made a C identifier */
static char *stem_prefix(const char *path)
{
    const char *base = strrchr(path, '/'), *dot;
    char *s;
    size_t i, n;
    base = base ? base + 1 : path;
    if (!strcmp(path, "-") || !*base)
        base = "problem";
    dot = strrchr(base, '.');
    n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    s = sg_xmalloc(n + 2);
    for (i = 0; i < n; i++) {
        char ch = base[i];
        int okc = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        s[i] = okc ? ch : '_';
    }
    s[n] = '\0';
    if (n == 0 || (s[0] >= '0' && s[0] <= '9')) {
        memmove(s + 1, s, n + 1);
        s[0] = '_';
    }
    return s;
}

/* ---- atomic output ---- */

typedef struct {
    const char *path;
    char *tmp;
} pending;

/*
 * A destination that exists and is not a regular file (/dev/null, /dev/full,
 * a pipe) is written in place: renaming a temporary over it would replace
 * the device with a file.
 */
static int write_in_place(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fflush(f) != 0) {
        fprintf(stderr, "symgrad: cannot write '%s': %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "symgrad: cannot write '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* write data to a new temporary beside path; NULL tmp on failure (reported) */
static int write_tmp(pending *p, const char *path, const char *data, size_t len)
{
    size_t n = strlen(path);
    int fd;
    FILE *f;
    struct stat st;
    p->path = path;
    p->tmp = NULL;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return write_in_place(path, data, len);
    p->tmp = sg_xmalloc(n + 16);
    memcpy(p->tmp, path, n);
    memcpy(p->tmp + n, ".tmpXXXXXX", 11);
    fd = mkstemp(p->tmp);
    if (fd < 0 || !(f = fdopen(fd, "wb"))) {
        fprintf(stderr, "symgrad: cannot write '%s': %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(p->tmp);
        }
        free(p->tmp);
        p->tmp = NULL;
        return -1;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fd) != 0) {
        fprintf(stderr, "symgrad: cannot write '%s': %s\n", path, strerror(errno));
        fclose(f);
        unlink(p->tmp);
        free(p->tmp);
        p->tmp = NULL;
        return -1;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "symgrad: cannot write '%s': %s\n", path, strerror(errno));
        unlink(p->tmp);
        free(p->tmp);
        p->tmp = NULL;
        return -1;
    }
    return 0;
}

static void discard(pending *p)
{
    if (p->tmp) {
        unlink(p->tmp);
        free(p->tmp);
        p->tmp = NULL;
    }
}

static int commit(pending *p)
{
    int rc = 0;
    if (!p->tmp)
        return 0;
    if (rename(p->tmp, p->path) != 0) {
        fprintf(stderr, "symgrad: cannot write '%s': %s\n", p->path, strerror(errno));
        unlink(p->tmp);
        rc = -1;
    }
    free(p->tmp);
    p->tmp = NULL;
    return rc;
}

/* the text to stdout in one piece; 0 or -1 (reported) */
static int write_stdout(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "symgrad: cannot write to standard output: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* --color=auto colors a terminal that is not dumb, unless NO_COLOR is set */
static int wants_color(int setting)
{
    const char *term = getenv("TERM");
    if (setting >= 0)
        return setting;
    if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
        return 0;
    return isatty(fileno(stderr)) && term && *term && strcmp(term, "dumb") != 0;
}

/* the command line, for the banner of the generated C */
static char *command_line(int argc, char **argv)
{
    sg_buf b;
    int i;
    sg_buf_init(&b);
    sg_buf_puts(&b, "symgrad");
    for (i = 1; i < argc; i++) {
        sg_buf_putc(&b, ' ');
        sg_buf_puts(&b, argv[i]);
    }
    return sg_buf_take(&b, NULL);
}

/* the last path component: the .c includes its header by this name */
static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int main(int argc, char **argv)
{
    options o;
    char *text, *out = NULL, *hdr = NULL, *stem, *cmd;
    size_t len, outlen = 0, hdrlen = 0;
    int rc;
    sg_src *src;
    sg_arena *arena;
    sg_program *prog;
    sg_problem *p;
    const char *name;

    if ((rc = parse_args(argc, argv, &o)))
        return rc;
    if (o.header && !sg_cgen_include_ok(basename_of(o.header)))
        return usage_error("%s", "-H/--header: the file name cannot be written in #include \"…\" "
                                 "(it has a quote, an apostrophe, a backslash, a control character "
                                 "or ill-formed UTF-8)");
    name = strcmp(o.input, "-") ? o.input : "<stdin>";
    text = read_all(o.input, &len);
    if (!text) {
        fprintf(stderr, "symgrad: cannot read '%s': %s\n", name, strerror(errno));
        return EXIT_IO;
    }
    src = sg_src_new(name, text, len);
    free(text);
    src->color = wants_color(o.color);
    arena = sg_arena_new();
    prog = sg_parse(src, arena);
    p = sg_check(src, prog);
    if (!p || sg_src_nerrors(src)) {
        sg_src_print_errors(src, stderr);
        sg_problem_free(p);
        sg_arena_free(arena);
        sg_src_free(src);
        return EXIT_INPUT;
    }

    stem = stem_prefix(o.input);
    cmd = command_line(argc, argv);
    if (o.mode == MODE_FORMULAS) {
        out = sg_fmt_problem(p, o.ascii, &outlen);
    } else if (o.mode == MODE_EVAL) {
        sg_buf b, e;
        sg_buf_init(&b);
        sg_buf_init(&e);
        if (sg_evalprint(p, o.eval, &b, &e) != 0) {
            fprintf(stderr, "symgrad: %s\n", sg_buf_str(&e));
            rc = EXIT_USAGE;
        }
        out = sg_buf_take(&b, &outlen);
        sg_buf_free(&e);
    } else if (o.mode == MODE_LATEX) {
        sg_latex_opts lo;
        memset(&lo, 0, sizeof lo);
        lo.fragment = o.fragment;
        lo.index = o.index;
        lo.source = basename_of(name);
        out = sg_latex_document(p, &lo, &outlen);
    } else {
        sg_cgen_opts co;
        memset(&co, 0, sizeof co);
        co.prefix = o.prefix ? o.prefix : p->prefix ? p->prefix : stem;
        co.use_float = o.use_float;
        co.header = o.header ? basename_of(o.header) : NULL;
        co.version = SG_VERSION;
        co.command = cmd;
        co.source_name = name;
        co.fixed = o.fixed;
        co.nfixed = o.nfixed;
        co.check_main = o.check;
        co.blas = o.blas;
        out = sg_cgen_source(p, &co, &outlen);
        if (o.header)
            hdr = sg_cgen_header(p, &co, &hdrlen);
        if (!out || (o.header && !hdr)) {
            char *why = sg_cgen_why(p, &co);
            fprintf(stderr, "symgrad: %s: error: %s\n", name,
                    why ? why : "internal error: the C printer failed");
            free(why);
            rc = EXIT_INPUT;
        }
    }

    if (rc == 0) {
        pending po = {NULL, NULL}, ph = {NULL, NULL};
        if (o.header && write_tmp(&ph, o.header, hdr, hdrlen) != 0)
            rc = EXIT_IO;
        if (rc == 0 && o.output && write_tmp(&po, o.output, out, outlen) != 0)
            rc = EXIT_IO;
        if (rc == 0 && !o.output && write_stdout(out, outlen) != 0)
            rc = EXIT_IO;
        if (rc == 0 && (commit(&ph) != 0 || commit(&po) != 0))
            rc = EXIT_IO;
        discard(&ph);
        discard(&po);
    }

    free(out);
    free(hdr);
    free(stem);
    free(cmd);
    while (o.nfixed--)
        free((char *)o.fixed[o.nfixed].name);
    free(o.fixed);
    sg_problem_free(p);
    sg_arena_free(arena);
    sg_src_free(src);
    return rc;
}
