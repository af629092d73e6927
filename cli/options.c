/*
 * options.c: the command line read and checked (INTERFACE.md).
 *
 * Meaningless command lines (two outputs at once, an option of another
 * output, the output over the input) are usage errors found before anything
 * is read or written: exit 2 with "Try 'symgrad --help'". Options are
 * spelled as getopt_long would take them (--output=x, --output x, -o x,
 * -ox), but parsed by hand so that the messages can say what was meant.
 */
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/arena.h"
#include "../base/buf.h"
#include "../base/cident.h"
#include "../base/grow.h"
#include "../base/suggest.h"

static const char usage_text[] =
    "usage: symgrad [OPTIONS] FILE            FILE may be - for standard input\n"
    "  -o, --output FILE     write the result there (default or -: standard output)\n"
    "  -H, --header FILE     also write the matching header; the .c then includes it\n"
    "  -p, --prefix NAME     C prefix (default: the file's `prefix`, else its stem)\n"
    "  -t, --type T          double (default) or float\n"
    "      --dim N=V         fix dimension N to V when generating (repeatable)\n"
    "      --latex           write the derivation as a LaTeX document instead of C\n"
    "      --fragment        with --latex: the body only, to paste into a document\n"
    "      --index           with --latex: also each result entry by entry\n"
    "      --update          with --latex: also each parameter's gradient-descent update\n"
    "      --formulas        print the derived formulas as plain text\n"
    "      --steps           print the derivation as plain text, one rule per line\n"
    "      --grade           grade the file's `answer` statements (exit 4 if one is wrong)\n"
    "      --reveal          with --grade: also print each derived formula\n"
    "      --ascii           with --formulas or --steps: ASCII instead of Unicode\n"
    "      --eval VALUES     evaluate every definition and derivative at VALUES,\n"
    "                        e.g. 'W=[[1,2],[3,4]]; x=[1,1]' (dimensions are inferred)\n"
    "      --blas            large products call CBLAS (cblas_dgemm, …); link a CBLAS\n"
    "      --check           add a main() that checks every derivative against\n"
    "                        central finite differences and exits non-zero on mismatch\n"
    "      --manifest        write the generated C's API as JSON (names, shapes, codes)\n"
    "      --python          write a Python module (NumPy) that compiles and calls the C\n"
    "      --cdef            write the C's declarations for Python cffi's cdef()\n"
    "      --color[=WHEN]    color the diagnostics: auto (default), always or never\n"
    "  -Werror               make warnings errors (exit 1, nothing written)\n"
    "  -h, --help            usage\n"
    "  -V, --version         version\n";

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("symgrad: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'symgrad --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

/* --dim N=V */
static int add_dim(cli_options *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *end, *name;
    long v;
    int i;
    if (!eq || eq == arg)
        return cli_usage_error("--dim wants N=V, not '%s'", arg);
    errno = 0;
    v = strtol(eq + 1, &end, 10);
    if (errno || *end || end == eq + 1 || v < 1)
        return cli_usage_error("--dim: '%s' is not a positive integer value", arg);
    if (v > SG_MAX_DIM)
        return cli_usage_error("--dim: '%s' is larger than a dimension may be (2147483647)", arg);
    name = sg_xmalloc((size_t)(eq - arg) + 1);
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    if (!sg_cident_is(name)) {
        free(name);
        return cli_usage_error("--dim: '%s' does not start with a dimension name", arg);
    }
    for (i = 0; i < o->nfixed; i++) {
        if (strcmp(o->fixed[i].name, name) != 0)
            continue;
        free(name);
        if (o->fixed[i].value == v)
            return 0;
        return cli_usage_error("--dim %s: %s is already fixed to %ld", arg, o->fixed[i].name,
                           o->fixed[i].value);
    }
    SG_GROW(o->fixed, o->nfixed, o->capfixed, SG_GROW_MAX, "--dim options");
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

/* ---- the same file under two names ---- */

/*
 * What a path names: an existing file by device and inode (so that a.c,
 * ./a.c and a symlink to it are one file), a new one by its directory's
 * device and inode and its last component.
 */
typedef struct {
    int known;   /* 0: neither could be found out; only the spelling compares */
    int exists;  /* the file itself; else its directory */
    int regular; /* exists and is a regular file (what an output replaces) */
    dev_t dev;
    ino_t ino;
    const char *base; /* !exists: the last component */
} file_id;

static void identify(const char *path, file_id *id)
{
    struct stat st;
    const char *slash = strrchr(path, '/');
    memset(id, 0, sizeof *id);
    if (!strcmp(path, "-") ? fstat(STDIN_FILENO, &st) == 0 : stat(path, &st) == 0) {
        id->known = id->exists = 1;
        id->regular = S_ISREG(st.st_mode);
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return;
    }
    if (errno != ENOENT || (slash && !slash[1]))
        return;
    if (!slash) {
        if (stat(".", &st) != 0)
            return;
        id->base = path;
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        char *dir = sg_xmalloc(n + 1);
        int got;
        memcpy(dir, path, n);
        dir[n] = '\0';
        got = stat(dir, &st) == 0;
        free(dir);
        if (!got)
            return;
        id->base = slash + 1;
    }
    id->known = 1;
    id->dev = st.st_dev;
    id->ino = st.st_ino;
}

/*
 * Whether writing a names the file b, so that one would destroy the other.
 * Two names of one device or FIFO (-o /dev/null with /dev/null as input)
 * harm nothing and are allowed.
 */
static int clobbers(const char *a, const char *b)
{
    file_id x, y;
    identify(a, &x);
    identify(b, &y);
    if (x.exists && !x.regular)
        return 0;
    if (!strcmp(a, b))
        return 1;
    if (!x.known || !y.known || x.exists != y.exists || x.dev != y.dev || x.ino != y.ino)
        return 0;
    return x.exists || !strcmp(x.base, y.base);
}

void cli_free_options(cli_options *o)
{
    while (o->nfixed > 0)
        free((char *)o->fixed[--o->nfixed].name);
    free(o->fixed);
    o->fixed = NULL;
}

/*
 * A flag without a value: 1 when a is one (and o records it), 0 when it is
 * not, or an exit status (negated) for --color=WHAT.
 */
static int parse_flag(const char *a, cli_options *o)
{
    static const struct {
        const char *name;
        size_t field;   /* offsetof the int it sets to 1 */
        const char *c_only; /* the option goes with C output only */
    } flags[] = {
        {"--latex", offsetof(cli_options, latex), NULL},
        {"--fragment", offsetof(cli_options, fragment), NULL},
        {"--index", offsetof(cli_options, index), NULL},
        {"--update", offsetof(cli_options, update), NULL},
        {"--formulas", offsetof(cli_options, formulas), NULL},
        {"--steps", offsetof(cli_options, steps), NULL},
        {"--ascii", offsetof(cli_options, ascii), NULL},
        {"--grade", offsetof(cli_options, grade), NULL},
        {"--reveal", offsetof(cli_options, reveal), NULL},
        {"--color", offsetof(cli_options, color), NULL},
        {"--blas", offsetof(cli_options, blas), "--blas"},
        {"--check", offsetof(cli_options, check), "--check"},
        {"--manifest", offsetof(cli_options, manifest), NULL},
        {"--python", offsetof(cli_options, python), NULL},
        {"--cdef", offsetof(cli_options, cdef), NULL},
    };
    size_t k;
    for (k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        if (strcmp(a, flags[k].name) != 0)
            continue;
        *(int *)(void *)((char *)o + flags[k].field) = 1;
        if (flags[k].c_only && !o->c_only)
            o->c_only = flags[k].c_only;
        return 1;
    }
    if (strncmp(a, "--color=", 8) != 0)
        return 0;
    if (!strcmp(a + 8, "auto"))
        o->color = -1;
    else if (!strcmp(a + 8, "always"))
        o->color = 1;
    else if (!strcmp(a + 8, "never"))
        o->color = 0;
    else
        return -cli_usage_error("--color is auto, always or never, not '%s'", a + 8);
    return 1;
}

/* the value of an option once: "%s given twice" otherwise */
static int set_once(const char **slot, const char *v, const char *what)
{
    if (*slot)
        return cli_usage_error("%s given twice ('%s', then '%s')", what, *slot, v);
    *slot = v;
    return 0;
}

/* an option with a value (argv[*i], perhaps taking argv[*i + 1]): 0, an exit
   status, or -1 when a is no such option */
static int parse_valued(int argc, char **argv, int *i, cli_options *o)
{
    const char *a = argv[*i], *v;
    size_t n;
    int rc = 0;
#define LONGOPT(s) (n = strlen(s), !strncmp(a, s, n) && (a[n] == '\0' || a[n] == '='))
#define SHORTOPT(s) (n = 2, !strncmp(a, s, 2))
    if (LONGOPT("--output") || SHORTOPT("-o")) {
        if (!(v = optval(argc, argv, i, a, n)))
            return cli_usage_error("%s needs a file name", a);
        if (!*v)
            return cli_usage_error("%s needs a file name", a);
        return set_once(&o->output, v, "-o/--output");
    } else if (LONGOPT("--header") || SHORTOPT("-H")) {
        if (!(v = optval(argc, argv, i, a, n)))
            return cli_usage_error("%s needs a file name", a);
        if (!*v)
            return cli_usage_error("%s needs a file name", a);
        rc = set_once(&o->header, v, "-H/--header");
        o->c_only = o->c_only ? o->c_only : "-H/--header";
    } else if (LONGOPT("--prefix") || SHORTOPT("-p")) {
        if (!(v = optval(argc, argv, i, a, n)))
            return cli_usage_error("%s needs a name", a);
        if (!sg_cident_is(v))
            return cli_usage_error("the prefix '%s' is not a C identifier", v);
        o->prefix = v;
        o->c_only = o->c_only ? o->c_only : "-p/--prefix";
    } else if (LONGOPT("--type") || SHORTOPT("-t")) {
        if (!(v = optval(argc, argv, i, a, n)))
            return cli_usage_error("%s needs double or float", a);
        if (strcmp(v, "float") != 0 && strcmp(v, "double") != 0)
            return cli_usage_error("--type is double or float, not '%s'", v);
        o->use_float = !strcmp(v, "float");
        o->c_only = o->c_only ? o->c_only : "-t/--type";
    } else if (LONGOPT("--eval")) {
        if (!(v = optval(argc, argv, i, a, n)))
            return cli_usage_error("%s needs values, e.g. --eval 'x=[1,2]; n=2'", a);
        rc = set_once(&o->eval, v, "--eval");
    } else if (LONGOPT("--dim")) {
        if (!(v = optval(argc, argv, i, a, n)))
            return cli_usage_error("%s needs N=V", a);
        rc = add_dim(o, v);
        o->c_only = o->c_only ? o->c_only : "--dim";
    } else {
        return -1;
    }
#undef LONGOPT
#undef SHORTOPT
    return rc;
}

/* one output at a time, and only the options that output takes */
static int choose_mode(cli_options *o)
{
    const char *modes[9];
    int nmodes = 0;
    if (o->latex) {
        modes[nmodes++] = "--latex";
        o->mode = CLI_LATEX;
    }
    if (o->formulas) {
        modes[nmodes++] = "--formulas";
        o->mode = CLI_FORMULAS;
    }
    if (o->eval) {
        modes[nmodes++] = "--eval";
        o->mode = CLI_EVAL;
    }
    if (o->steps) {
        modes[nmodes++] = "--steps";
        o->mode = CLI_STEPS;
    }
    if (o->manifest) {
        modes[nmodes++] = "--manifest";
        o->mode = CLI_MANIFEST;
    }
    if (o->python) {
        modes[nmodes++] = "--python";
        o->mode = CLI_PYTHON;
    }
    if (o->cdef) {
        modes[nmodes++] = "--cdef";
        o->mode = CLI_CDEF;
    }
    if (o->grade) {
        modes[nmodes++] = "--grade";
        o->mode = CLI_GRADE;
    }
    if (nmodes > 1)
        return cli_usage_error("%s and %s are different outputs: choose one", modes[0], modes[1]);
    if (o->mode >= CLI_MANIFEST) { /* they describe the C of -p, -t and --dim, no file of it */
        const char *c_file = o->header ? "-H/--header" : o->check ? "--check"
                             : o->blas ? "--blas" : NULL;
        if (c_file)
            return cli_usage_error("%s goes with C output, not %s", c_file, modes[0]);
    }
    if ((o->fragment || o->index) && o->mode != CLI_LATEX)
        return cli_usage_error("--fragment and --index go with --latex");
    if (o->update && o->mode != CLI_LATEX)
        return cli_usage_error("--update goes with --latex");
    if (o->ascii && o->mode != CLI_FORMULAS && o->mode != CLI_STEPS)
        return cli_usage_error("--ascii goes with --formulas or --steps");
    if (o->reveal && o->mode != CLI_GRADE)
        return cli_usage_error("--reveal goes with --grade");
    if (o->c_only && o->mode != CLI_C && o->mode < CLI_MANIFEST)
        return cli_usage_error("%s goes with C output, not %s", o->c_only, modes[0]);
    return 0;
}

/* outputs that would destroy the input or each other */
static int check_outputs(cli_options *o)
{
    if (o->output && !strcmp(o->output, "-"))
        o->output = NULL;
    if (o->header && !strcmp(o->header, "-"))
        return cli_usage_error("the header cannot go to standard output (-H -): the .c includes "
                               "it by its file name");
    if (o->output && clobbers(o->output, o->input))
        return cli_usage_error("the output '%s' is the input file '%s'", o->output, o->input);
    if (o->header && clobbers(o->header, o->input))
        return cli_usage_error("the header '%s' is the input file '%s'", o->header, o->input);
    if (o->output && o->header && clobbers(o->output, o->header))
        return cli_usage_error("the output '%s' and the header '%s' are the same file", o->output,
                               o->header);
    return 0;
}

/* "unknown option", and the closest real one when there is one */
static int unknown_option(const char *a)
{
    static const char *const names[] = {
        "--output", "--header", "--prefix", "--type", "--dim", "--latex", "--fragment",
        "--index", "--update", "--formulas", "--steps", "--ascii", "--eval", "--blas",
        "--grade", "--reveal",
        "--check", "--color", "--help", "--version", "--manifest", "--python", "--cdef",
    };
    const char *eq = strchr(a, '='), *prefix = NULL;
    int nprefix = 0;
    char *bare = sg_xmalloc(strlen(a) + 1);
    sg_suggest sug;
    size_t k;
    int rc;
    strcpy(bare, a);
    if (eq)
        bare[eq - a] = '\0';
    sg_suggest_init(&sug, bare);
    for (k = 0; k < sizeof names / sizeof names[0]; k++)
        sg_suggest_offer(&sug, names[k]);
    for (k = 0; k < sizeof names / sizeof names[0] && strlen(bare) > 3; k++)
        if (!strncmp(names[k], bare, strlen(bare))) /* an abbreviation, if it is of one */
            nprefix++, prefix = names[k];
    if (nprefix == 1) /* an abbreviation says more than a distance */
        sug.best = prefix;
    if (sg_suggest_best(&sug))
        rc = cli_usage_error("unknown option '%s'; did you mean '%s'?", a, sg_suggest_best(&sug));
    else
        rc = cli_usage_error("unknown option '%s'", a);
    free(bare);
    return rc;
}

int cli_parse_args(int argc, char **argv, cli_options *o)
{
    int i, rc, only_files = 0;
    memset(o, 0, sizeof *o);
    o->color = -1;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || !strcmp(a, "-")) {
            if (o->input)
                return cli_usage_error("more than one input file ('%s')", a);
            o->input = a;
        } else if (!strcmp(a, "--")) {
            only_files = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            exit(0);
        } else if (!strcmp(a, "-Werror")) {
            o->werror = 1;
        } else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("symgrad %s\n", SG_VERSION);
            exit(0);
        } else if ((rc = parse_flag(a, o)) != 0) {
            if (rc < 0)
                return -rc;
        } else if ((rc = parse_valued(argc, argv, &i, o)) != 0) {
            return rc < 0 ? unknown_option(a) : rc;
        }
    }
    if (!o->input)
        return cli_usage_error("no input file (use - for standard input)");
    if ((rc = choose_mode(o)) != 0)
        return rc;
    return check_outputs(o);
}

/*
 * The file name without directories and extension, made a C identifier by
 * the rule that names the user's names in the generated C (docs/GENERATED_C.md,
 * cgen.c's spell): a byte that is not an ASCII letter or digit becomes _, a run
 * of _ becomes one _, and a stem that does not start with a letter gets a v in
 * front. A trailing _ is dropped too, since the prefix is followed by _ (P_eval):
 * so no default prefix starts with _ or makes a __, which C reserves
 * (1abc.sg gave _1abc_eval).
 */
char *cli_stem_prefix(const char *path)
{
    const char *base = strrchr(path, '/'), *dot;
    char *s;
    size_t i, n, k = 0;
    base = base ? base + 1 : path;
    if (!strcmp(path, "-") || !*base)
        base = "problem";
    dot = strrchr(base, '.');
    n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    s = sg_xmalloc(n + 2);
    if (!((base[0] >= 'a' && base[0] <= 'z') || (base[0] >= 'A' && base[0] <= 'Z')))
        s[k++] = 'v';
    for (i = 0; i < n; i++) {
        char ch = base[i];
        int okc = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!okc && k > 0 && s[k - 1] == '_')
            continue;
        s[k++] = okc ? ch : '_';
    }
    while (k > 1 && s[k - 1] == '_')
        k--;
    s[k] = '\0';
    return s;
}


/*
 * Each --dim names a dimension of the problem. A usage error, but found
 * only now that the problem is read.
 */
int cli_check_fixed_dims(const cli_options *o, const sg_problem *p, const char *name)
{
    int i, d;
    for (i = 0; i < o->nfixed; i++) {
        sg_buf dims;
        if (sg_dim_find(p->ctx, o->fixed[i].name) >= 0)
            continue;
        sg_buf_init(&dims);
        for (d = 0; d < sg_dim_count(p->ctx); d++) {
            const sg_diminfo *di = sg_dim_get(p->ctx, d);
            if (!di->name)
                continue;
            if (dims.len)
                sg_buf_puts(&dims, ", ");
            sg_buf_puts(&dims, di->name);
        }
        if (dims.len)
            cli_usage_error("--dim %s=%ld: %s has no dimension %s; its dimensions are %s",
                        o->fixed[i].name, o->fixed[i].value, name, o->fixed[i].name,
                        sg_buf_str(&dims));
        else
            cli_usage_error("--dim %s=%ld: %s has no dimensions to fix", o->fixed[i].name,
                        o->fixed[i].value, name);
        sg_buf_free(&dims);
        return CLI_EXIT_USAGE;
    }
    return 0;
}
