/*
 * main.c: the symgrad command line (INTERFACE.md).
 *
 * Reads one problem, runs the pipeline (parse → check and differentiate →
 * print), and writes the result as a compiler writes its outputs:
 *
 * - A regular file (or a new one) is written to a temporary in its
 *   directory and renamed into place only when everything succeeded, so an
 *   error never leaves a partial or stale file. The temporary gets the mode
 *   a new file would (0666 & ~umask), and it is removed on every way out:
 *   an error, exit() (out of memory), SIGINT, SIGTERM, SIGHUP, SIGPIPE.
 * - Anything else (a device, a FIFO, /dev/stdout, a symlink) is opened and
 *   written in place: a rename would replace the link or the device with a
 *   file. A path that is our standard output is written to standard output.
 * - A file that already holds exactly the bytes is left alone, mtime and
 *   all, so that make does not rebuild what depends on it.
 *
 * Meaningless command lines (two outputs at once, an option of another
 * output, the output over the input) are usage errors found before anything
 * is read or written.
 *
 * Exit status: 0 success, 1 an error in the input, 2 a usage error, 3 an I/O
 * error.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codegen/cgen.h"
#include "codegen/evalprint.h"
#include "codegen/formula.h"
#include "codegen/latex.h"
#include "codegen/steps.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/cident.h"
#include "lexer/source.h"
#include "parser/parser.h"
#include "symbolic/check.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

enum { EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

typedef enum { MODE_C, MODE_FORMULAS, MODE_LATEX, MODE_EVAL, MODE_STEPS } mode_t_;

typedef struct {
    const char *input;
    const char *output; /* "-": standard output, as when absent */
    const char *header;
    const char *prefix;
    int use_float;
    int blas;
    int check;
    int ascii;
    int color; /* -1 auto, 0 never, 1 always */
    int fragment; /* --latex: the body only */
    int index;    /* --latex: results entry by entry too */
    int update;   /* --latex: the gradient-descent updates too */
    int latex, formulas, steps; /* as given; mode says which output was chosen */
    const char *eval;
    const char *c_only; /* the first option only C output takes, for the message */
    mode_t_ mode;
    sg_dimfix *fixed;
    int nfixed;
} options;

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
    "      --ascii           with --formulas or --steps: ASCII instead of Unicode\n"
    "      --eval VALUES     evaluate every definition and derivative at VALUES,\n"
    "                        e.g. 'W=[[1,2],[3,4]]; x=[1,1]' (dimensions are inferred)\n"
    "      --blas            large products call CBLAS (cblas_dgemm, …); link a CBLAS\n"
    "      --check           add a main() that checks every derivative against\n"
    "                        central finite differences and exits non-zero on mismatch\n"
    "      --color[=WHEN]    color the diagnostics: auto (default), always or never\n"
    "  -h, --help            usage\n"
    "  -V, --version         version\n";

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("symgrad: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'symgrad --help'.\n", stderr);
    return EXIT_USAGE;
}

/* --dim N=V */
static int add_dim(options *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char *end, *name;
    long v;
    int i;
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
    if (!sg_cident_is(name)) {
        free(name);
        return usage_error("--dim: '%s' does not start with a dimension name", arg);
    }
    for (i = 0; i < o->nfixed; i++) {
        if (strcmp(o->fixed[i].name, name) != 0)
            continue;
        free(name);
        if (o->fixed[i].value == v)
            return 0;
        return usage_error("--dim %s: %s is already fixed to %ld", arg, o->fixed[i].name,
                           o->fixed[i].value);
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

static void free_options(options *o)
{
    while (o->nfixed > 0)
        free((char *)o->fixed[--o->nfixed].name);
    free(o->fixed);
    o->fixed = NULL;
}

static int parse_args(int argc, char **argv, options *o)
{
    int i, rc, only_files = 0, nmodes = 0;
    const char *modes[4];
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
            o->latex = 1;
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
        if (!strcmp(a, "--update")) {
            o->update = 1;
            continue;
        }
        if (!strcmp(a, "--formulas")) {
            o->formulas = 1;
            continue;
        }
        if (!strcmp(a, "--steps")) {
            o->steps = 1;
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
#define C_ONLY(s) (o->c_only = o->c_only ? o->c_only : (s))
        if (!strcmp(a, "--blas")) {
            o->blas = 1;
            C_ONLY("--blas");
            continue;
        }
        if (!strcmp(a, "--check")) {
            o->check = 1;
            C_ONLY("--check");
            continue;
        }
#define LONGOPT(s) (n = strlen(s), !strncmp(a, s, n) && (a[n] == '\0' || a[n] == '='))
#define SHORTOPT(s) (n = 2, !strncmp(a, s, 2))
        if (LONGOPT("--output") || SHORTOPT("-o")) {
            if (!(v = optval(argc, argv, &i, a, n)) || !*v)
                return usage_error("%s needs a file name", a);
            if (o->output)
                return usage_error("%s given twice ('%s', then '%s')", "-o/--output", o->output, v);
            o->output = v;
        } else if (LONGOPT("--header") || SHORTOPT("-H")) {
            if (!(v = optval(argc, argv, &i, a, n)) || !*v)
                return usage_error("%s needs a file name", a);
            if (o->header)
                return usage_error("%s given twice ('%s', then '%s')", "-H/--header", o->header, v);
            o->header = v;
            C_ONLY("-H/--header");
        } else if (LONGOPT("--prefix") || SHORTOPT("-p")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs a name", a);
            if (!sg_cident_is(v))
                return usage_error("the prefix '%s' is not a C identifier", v);
            o->prefix = v;
            C_ONLY("-p/--prefix");
        } else if (LONGOPT("--type") || SHORTOPT("-t")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs double or float", a);
            if (!strcmp(v, "float"))
                o->use_float = 1;
            else if (!strcmp(v, "double"))
                o->use_float = 0;
            else
                return usage_error("--type is double or float, not '%s'", v);
            C_ONLY("-t/--type");
        } else if (LONGOPT("--eval")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs values, e.g. --eval 'x=[1,2]; n=2'", a);
            if (o->eval)
                return usage_error("%s given twice ('%s', then '%s')", "--eval", o->eval, v);
            o->eval = v;
        } else if (LONGOPT("--dim")) {
            if (!(v = optval(argc, argv, &i, a, n)))
                return usage_error("%s needs N=V", a);
            if ((rc = add_dim(o, v)))
                return rc;
            C_ONLY("--dim");
        } else {
            return usage_error("unknown option '%s'", a);
        }
#undef LONGOPT
#undef SHORTOPT
#undef C_ONLY
    }
    if (!o->input)
        return usage_error("no input file (use - for standard input)");

    /* one output at a time, and only the options that output takes */
    if (o->latex) {
        modes[nmodes++] = "--latex";
        o->mode = MODE_LATEX;
    }
    if (o->formulas) {
        modes[nmodes++] = "--formulas";
        o->mode = MODE_FORMULAS;
    }
    if (o->eval) {
        modes[nmodes++] = "--eval";
        o->mode = MODE_EVAL;
    }
    if (o->steps) {
        modes[nmodes++] = "--steps";
        o->mode = MODE_STEPS;
    }
    if (nmodes > 1)
        return usage_error("%s and %s are different outputs: choose one", modes[0], modes[1]);
    if ((o->fragment || o->index) && o->mode != MODE_LATEX)
        return usage_error("--fragment and --index go with --latex");
    if (o->update && o->mode != MODE_LATEX)
        return usage_error("--update goes with --latex");
    if (o->ascii && o->mode != MODE_FORMULAS && o->mode != MODE_STEPS)
        return usage_error("--ascii goes with --formulas or --steps");
    if (o->c_only && o->mode != MODE_C)
        return usage_error("%s goes with C output, not %s", o->c_only, modes[0]);

    /* outputs that would destroy the input or each other */
    if (o->output && !strcmp(o->output, "-"))
        o->output = NULL;
    if (o->header && !strcmp(o->header, "-"))
        return usage_error("the header cannot go to standard output (-H -): the .c includes it "
                           "by its file name");
    if (o->output && clobbers(o->output, o->input))
        return usage_error("the output '%s' is the input file '%s'", o->output, o->input);
    if (o->header && clobbers(o->header, o->input))
        return usage_error("the header '%s' is the input file '%s'", o->header, o->input);
    if (o->output && o->header && clobbers(o->output, o->header))
        return usage_error("the output '%s' and the header '%s' are the same file", o->output,
                           o->header);
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

/*
 * The file name without directories and extension, made a C identifier by
 * the rule that names the user's names in the generated C (docs/GENERATED_C.md,
 * cgen.c's spell): a byte that is not an ASCII letter or digit becomes _, a run
 * of _ becomes one _, and a stem that does not start with a letter gets a v in
 * front. A trailing _ is dropped too, since the prefix is followed by _ (P_eval):
 * so no default prefix starts with _ or makes a __, which C reserves
 * (1abc.sg gave _1abc_eval).
 */
static char *stem_prefix(const char *path)
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

/* ---- temporaries, removed on every way out ---- */

/*
 * The temporaries that exist now: at most the header's and the output's. A
 * signal handler may read this list at any moment, so it changes only with
 * the caught signals blocked, and the handler does no more than unlink(2)
 * each entry (async-signal-safe) and die of the signal as if it had not been
 * caught. exit() — out of memory exits with 3 — removes them through atexit.
 */
static char *volatile tmp_names[2];
static sigset_t caught;

static void remove_temporaries(void)
{
    int i;
    for (i = 0; i < 2; i++)
        if (tmp_names[i])
            unlink(tmp_names[i]);
}

static void on_signal(int sig)
{
    sigset_t s;
    remove_temporaries();
    signal(sig, SIG_DFL);
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached: the default action ends the process */
}

static void catch_signals(void)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGPIPE, SIGTERM};
    struct sigaction sa, old;
    size_t i;
    sigemptyset(&caught);
    for (i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&caught, sigs[i]);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_mask = caught; /* one handler at a time */
    for (i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        /* a signal ignored on entry (nohup; SIGINT in a background job) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
    atexit(remove_temporaries);
}

/* ---- outputs ---- */

typedef enum {
    OUT_STDOUT,    /* no -o, -o -, or a path that is our standard output */
    OUT_IN_PLACE,  /* a device, a FIFO, a symlink: opened and written, never replaced */
    OUT_REPLACE,   /* a regular file or a new one: a temporary renamed over it */
    OUT_UNCHANGED, /* a file that already holds exactly these bytes: left alone */
} out_kind;

typedef struct {
    const char *path; /* NULL: standard output */
    const char *data;
    size_t len;
    out_kind kind;
    int slot; /* while its temporary exists, the index in tmp_names; else -1 */
} output;

static int write_error(const char *path, int err)
{
    fprintf(stderr, "symgrad: cannot write '%s': %s\n", path, strerror(err));
    return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = ENOSPC;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* whether the regular file at path holds exactly data */
static int holds(const char *path, const char *data, size_t len)
{
    char chunk[65536];
    FILE *f = fopen(path, "rb");
    struct stat st;
    size_t off = 0, got;
    int same = 1;
    if (!f)
        return 0;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size != len) {
        fclose(f);
        return 0;
    }
    while (same && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (got > len - off || memcmp(chunk, data + off, got) != 0)
            same = 0;
        off += got;
    }
    same = same && off == len && !ferror(f);
    fclose(f);
    return same;
}

static void classify(output *w)
{
    struct stat ls, st, so;
    int found;
    w->slot = -1;
    if (!w->path) {
        w->kind = OUT_STDOUT;
        return;
    }
    /* new (or unreachable: creating the temporary reports why) */
    if (lstat(w->path, &ls) != 0) {
        w->kind = OUT_REPLACE;
        return;
    }
    if (S_ISREG(ls.st_mode)) {
        w->kind = holds(w->path, w->data, w->len) ? OUT_UNCHANGED : OUT_REPLACE;
        return;
    }
    /* /dev/stdout, /proc/self/fd/1: the stream, so that >> appends */
    found = stat(w->path, &st) == 0;
    if (found && fstat(STDOUT_FILENO, &so) == 0 && st.st_dev == so.st_dev && st.st_ino == so.st_ino)
        w->kind = OUT_STDOUT;
    else if (found && S_ISREG(st.st_mode) && holds(w->path, w->data, w->len))
        w->kind = OUT_UNCHANGED;
    else
        w->kind = OUT_IN_PLACE;
}

/* w's bytes into fd, then fd closed (after fsync when sync); 0 or -1 (reported) */
static int write_close(const output *w, int fd, int sync)
{
    int e;
    if (write_all(fd, w->data, w->len) != 0 || (sync && fsync(fd) != 0)) {
        e = errno;
        close(fd);
        return write_error(w->path, e);
    }
    if (close(fd) != 0)
        return write_error(w->path, errno);
    return 0;
}

/*
 * A new temporary beside w->path: "PATH.tmpXXXXXX", or, when that name is
 * too long for the directory, "DIR/.symgrad.tmpXXXXXX". Registered in
 * tmp_names before a signal can see it.
 */
static int make_temporary(output *w, mode_t perms)
{
    const char *slash = strrchr(w->path, '/');
    size_t n = strlen(w->path), dir = slash ? (size_t)(slash - w->path) + 1 : 0;
    char *name = sg_xmalloc(n + sizeof ".symgrad.tmpXXXXXX");
    int fd, e, slot = tmp_names[0] ? 1 : 0, attempt;
    sigset_t old;
    for (attempt = 0; attempt < 2; attempt++) {
        if (attempt == 0) {
            memcpy(name, w->path, n);
            memcpy(name + n, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
        } else {
            memcpy(name, w->path, dir);
            memcpy(name + dir, ".symgrad.tmpXXXXXX", sizeof ".symgrad.tmpXXXXXX");
        }
        sigprocmask(SIG_BLOCK, &caught, &old);
        fd = mkstemp(name);
        e = errno;
        if (fd >= 0)
            tmp_names[slot] = name;
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (fd >= 0 || e != ENAMETOOLONG)
            break;
    }
    if (fd < 0) {
        free(name);
        return write_error(w->path, e);
    }
    w->slot = slot;
    /* mkstemp makes 0600; a new file gets 0666 & ~umask, as gcc's do. A
       file system without modes (vfat) refuses; the output is still right. */
    fchmod(fd, perms);
    return write_close(w, fd, 1);
}

/* the temporary renamed over the path (rename) or removed (!rename) */
static int finish_temporary(output *w, int rename_it)
{
    char *name = tmp_names[w->slot];
    sigset_t old;
    int rc = 0, e = 0;
    sigprocmask(SIG_BLOCK, &caught, &old);
    if (rename_it && rename(name, w->path) != 0) {
        e = errno;
        rc = -1;
    }
    if (!rename_it || rc != 0)
        unlink(name);
    tmp_names[w->slot] = NULL;
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(name);
    w->slot = -1;
    return rc ? write_error(w->path, e) : 0;
}

/*
 * A device, a FIFO or a symlink is opened and written: renaming over it
 * would replace it with a file. O_CREAT for a symlink whose target is new.
 */
static int write_in_place(const output *w)
{
    int fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return write_error(w->path, errno);
    return write_close(w, fd, 0);
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

/*
 * Every output or none: the temporaries first (a full disk fails here,
 * before anything is touched), then what is written in place, then the
 * renames. 0, or -1 after reporting.
 */
static int write_outputs(output *w, int n, mode_t perms)
{
    int i, rc = 0;
    for (i = 0; i < n; i++)
        classify(&w[i]);
    for (i = 0; i < n && rc == 0; i++)
        if (w[i].kind == OUT_REPLACE && make_temporary(&w[i], perms) != 0)
            rc = -1;
    for (i = 0; i < n && rc == 0; i++) {
        if (w[i].kind == OUT_STDOUT && write_stdout(w[i].data, w[i].len) != 0)
            rc = -1;
        if (w[i].kind == OUT_IN_PLACE && write_in_place(&w[i]) != 0)
            rc = -1;
    }
    for (i = 0; i < n; i++)
        if (w[i].slot >= 0 && finish_temporary(&w[i], rc == 0) != 0)
            rc = -1;
    return rc;
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

/*
 * Each --dim names a dimension of the problem. A usage error, but found
 * only now that the problem is read.
 */
static int check_fixed_dims(const options *o, const sg_problem *p, const char *name)
{
    int i, d;
    for (i = 0; i < o->nfixed; i++) {
        sg_buf dims;
        if (sg_dim_find(p->ctx, o->fixed[i].name) >= 0)
            continue;
        sg_buf_init(&dims);
        for (d = 0; d < sg_ndims(p->ctx); d++) {
            const sg_diminfo *di = sg_diminfo_of(p->ctx, d);
            if (!di->name)
                continue;
            if (dims.len)
                sg_buf_puts(&dims, ", ");
            sg_buf_puts(&dims, di->name);
        }
        if (dims.len)
            usage_error("--dim %s=%ld: %s has no dimension %s; its dimensions are %s",
                        o->fixed[i].name, o->fixed[i].value, name, o->fixed[i].name,
                        sg_buf_str(&dims));
        else
            usage_error("--dim %s=%ld: %s has no dimensions to fix", o->fixed[i].name,
                        o->fixed[i].value, name);
        sg_buf_free(&dims);
        return EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    char *text, *out = NULL, *hdr = NULL, *stem, *cmd;
    size_t len, outlen = 0, hdrlen = 0;
    int rc;
    mode_t mask;
    sg_src *src;
    sg_arena *arena;
    sg_program *prog;
    sg_problem *p;
    const char *name;

    mask = umask(0);
    umask(mask);
    catch_signals();
    if ((rc = parse_args(argc, argv, &o))) {
        free_options(&o);
        return rc;
    }
    if (o.header && !sg_cgen_include_ok(basename_of(o.header))) {
        free_options(&o);
        return usage_error("%s", "-H/--header: the file name cannot be written in #include \"…\" "
                                 "(it has a quote, an apostrophe, a backslash, a control character "
                                 "or ill-formed UTF-8)");
    }
    name = strcmp(o.input, "-") ? o.input : "<stdin>";
    text = read_all(o.input, &len);
    if (!text) {
        fprintf(stderr, "symgrad: cannot read '%s': %s\n", name, strerror(errno));
        free_options(&o);
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
        rc = EXIT_INPUT;
    } else {
        rc = check_fixed_dims(&o, p, name);
    }

    stem = stem_prefix(o.input);
    cmd = command_line(argc, argv);
    if (rc != 0) {
        /* nothing to print */
    } else if (o.mode == MODE_FORMULAS) {
        out = sg_fmt_problem(p, o.ascii, &outlen);
    } else if (o.mode == MODE_STEPS) {
        sg_steps_opts so;
        memset(&so, 0, sizeof so);
        so.ascii = o.ascii;
        so.source = src->text;
        out = sg_steps_document(p, &so, &outlen);
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
        lo.update = o.update;
        lo.source = name;
        lo.text = src->text;
        out = sg_latex_document(p, &lo, &outlen);
    } else {
        sg_cgen_opts co;
        sg_cgen_plan *plan;
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
        plan = sg_cgen_plan_new(p, &co); /* one schedule for the .c, the .h and the reason */
        out = sg_cgen_plan_source(plan, &outlen);
        if (o.header)
            hdr = sg_cgen_plan_header(plan, &hdrlen);
        if (!out || (o.header && !hdr)) {
            const char *why = sg_cgen_plan_why(plan);
            fprintf(stderr, "symgrad: %s: error: %s\n", name,
                    why ? why : "internal error: the C printer failed");
            rc = EXIT_INPUT;
        }
        sg_cgen_plan_free(plan);
    }

    if (rc == 0) {
        output w[2];
        int n = 0;
        if (o.header) {
            w[n].path = o.header;
            w[n].data = hdr;
            w[n++].len = hdrlen;
        }
        w[n].path = o.output;
        w[n].data = out;
        w[n++].len = outlen;
        if (write_outputs(w, n, 0666 & ~mask) != 0)
            rc = EXIT_IO;
    }

    free(out);
    free(hdr);
    free(stem);
    free(cmd);
    free_options(&o);
    sg_problem_free(p);
    sg_arena_free(arena);
    sg_src_free(src);
    return rc;
}
