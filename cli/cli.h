/*
 * cli.h: the symgrad command line's own parts (INTERFACE.md), shared by
 * the files of cli/:
 *
 *   options.c   the command line read and checked: usage, --dim, the
 *               modes and what goes with each, outputs that would clobber
 *               the input or each other, the default prefix
 *   files.c     the input read; the outputs written as a compiler does
 *               (a temporary renamed into place, all or nothing, removed on
 *               every way out; devices written in place; unchanged files
 *               left alone)
 *   evalprint.c --eval's reader of values and its printout (evalprint.h)
 *   grade.c     --grade: a verdict line per answer, from symbolic/grade.h
 *   main.c      the pipeline: read, parse, check and differentiate, print
 *               the chosen output, write it
 */
#ifndef SG_CLI_H
#define SG_CLI_H

#include <stddef.h>
#include <sys/types.h>

#include "../base/buf.h"
#include "../codegen/cgen.h"
#include "../symbolic/check.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

/* INTERFACE.md's exit statuses */
enum { CLI_EXIT_INPUT = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_IO = 3, CLI_EXIT_WRONG = 4 };

typedef enum {
    CLI_C, CLI_FORMULAS, CLI_LATEX, CLI_EVAL, CLI_STEPS, CLI_GRADE,
    CLI_MANIFEST, CLI_PYTHON, CLI_CDEF /* the C's API for other languages: -p, -t, --dim apply */
} cli_mode;

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
    int werror;   /* -Werror: a warning is an error (exit 1, nothing written) */
    int latex, formulas, steps, grade; /* as given; mode says which output was chosen */
    int manifest, python, cdef; /* as given: --manifest, --python, --cdef */
    int reveal;   /* --grade: print the derived formula too */
    const char *eval;
    const char *c_only; /* the first option only C output takes, for the message */
    cli_mode mode;
    sg_dimfix *fixed;
    int nfixed, capfixed;
} cli_options;

/* ---- options.c ---- */

/* "symgrad: MESSAGE" and "Try 'symgrad --help'." on stderr; CLI_EXIT_USAGE */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* argv into o (--help and --version print and exit 0); 0 or an exit status */
int cli_parse_args(int argc, char **argv, cli_options *o);
void cli_free_options(cli_options *o);
/* every --dim names a dimension of p (a usage error found once p is read) */
int cli_check_fixed_dims(const cli_options *o, const sg_problem *p, const char *name);
/* the default C prefix: the file's stem made a C identifier, malloc'd */
char *cli_stem_prefix(const char *path);

/* ---- grade.c ---- */

/* a verdict line per answer of p into out (--grade); how many are wrong */
int cli_grade(sg_problem *p, const sg_src *src, const cli_options *o, sg_buf *out);
/* each answer's verdict in words, in an alphabet (SG_FMT_UNICODE, _ASCII,
   _LATEX), for the Answers section of --steps and --latex; NULL without
   answers. Freed with cli_verdicts_free() */
char **cli_verdicts(sg_problem *p, int alphabet);
void cli_verdicts_free(sg_problem *p, char **v);

/* ---- files.c ---- */

/* one output: its path (NULL: standard output) and its bytes */
typedef enum {
    CLI_OUT_STDOUT,    /* no -o, -o -, or a path that is our standard output */
    CLI_OUT_IN_PLACE,  /* a device, a FIFO, a symlink: opened and written, never replaced */
    CLI_OUT_REPLACE,   /* a regular file or a new one: a temporary renamed over it */
    CLI_OUT_UNCHANGED, /* a file that already holds exactly these bytes: left alone */
} cli_out_kind;

typedef struct {
    const char *path; /* NULL: standard output */
    const char *data;
    size_t len;
    cli_out_kind kind;
    int slot; /* while its temporary exists, the index in the temporaries; else -1 */
} cli_output;

/* the temporaries removed on SIGHUP, SIGINT, SIGPIPE, SIGTERM and exit() */
void cli_catch_signals(void);
/* the whole input ("-": stdin), at most one byte past SG_SRC_MAX_BYTES; NULL
   with errno set */
char *cli_read_all(const char *path, size_t *len);
/* every output or none (new files get perms); 0, or -1 after reporting */
int cli_write_outputs(cli_output *w, int n, mode_t perms);

#endif
