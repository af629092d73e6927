/*
 * main.c: the symgrad command line (INTERFACE.md).
 *
 * Reads one problem, runs the pipeline (parse → check and differentiate →
 * print), and writes the result as a compiler writes its outputs. The
 * command line is read and checked by options.c before anything is read or
 * written; files.c reads the input and writes the outputs, all or nothing.
 *
 * Exit status: 0 success, 1 an error in the input, 2 a usage error, 3 an I/O
 * error, 4 with --grade an answer is wrong (the verdicts are written all the
 * same).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "evalprint.h"
#include "../base/arena.h"
#include "../base/buf.h"
#include "../codegen/cgen.h"
#include "../codegen/formula.h"
#include "../codegen/latex.h"
#include "../codegen/steps.h"
#include "../lexer/source.h"
#include "../parser/parser.h"
#include "../symbolic/check.h"

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

/* what one run printed: the output, and the header (C with -H) */
typedef struct {
    char *out, *hdr;
    size_t outlen, hdrlen;
    int wrong; /* --grade: the answers found wrong */
} printed;

/* a --dim that fixes nothing P_eval reads: a warning (an error with -Werror) */
static int idle_dims(const cli_options *o, sg_cgen_plan *plan)
{
    int i, idle = 0;
    for (i = 0; i < o->nfixed; i++) {
        if (sg_cgen_plan_dim_used(plan, o->fixed[i].name) != 0)
            continue;
        fprintf(stderr, "symgrad: %s: --dim %s=%ld fixes nothing: the generated code does not "
                        "read %s\n", o->werror ? "error" : "warning", o->fixed[i].name,
                o->fixed[i].value, o->fixed[i].name);
        idle++;
    }
    return o->werror && idle ? CLI_EXIT_INPUT : 0;
}

/* the C source (and header): printed from one plan; 0 or an exit status */
static int print_c(const cli_options *o, const sg_problem *p, sg_src *src, const char *name,
                   const char *stem, const char *cmd, printed *r)
{
    sg_cgen_opts co;
    sg_cgen_plan *plan;
    int rc = 0;
    memset(&co, 0, sizeof co);
    co.prefix = o->prefix ? o->prefix : p->prefix ? p->prefix : stem;
    co.use_float = o->use_float;
    co.header = o->header ? basename_of(o->header) : NULL;
    co.version = SG_VERSION;
    co.command = cmd;
    co.source_name = name;
    co.fixed = o->fixed;
    co.nfixed = o->nfixed;
    co.check_main = o->check;
    co.blas = o->blas;
    plan = sg_cgen_plan_new(p, &co); /* one schedule for the .c, the .h and the reason */
    if (o->mode == CLI_MANIFEST)
        r->out = sg_cgen_plan_manifest(plan, &r->outlen);
    else if (o->mode == CLI_PYTHON)
        r->out = sg_cgen_plan_python(plan, &r->outlen);
    else if (o->mode == CLI_CDEF)
        r->out = sg_cgen_plan_cdef(plan, &r->outlen);
    else
        r->out = sg_cgen_plan_source(plan, &r->outlen);
    if (o->header)
        r->hdr = sg_cgen_plan_header(plan, &r->hdrlen);
    if (!r->out || (o->header && !r->hdr)) {
        const char *why = sg_cgen_plan_why(plan);
        sg_span at;
        if (why && sg_cgen_plan_where(plan, &at)) { /* file:line:col and a caret */
            sg_src_error(src, at, "%s", why);
            sg_src_print_errors(src, stderr);
        } else {
            fprintf(stderr, "symgrad: %s: error: %s\n", name,
                    why ? why : "internal error: the C printer failed");
        }
        rc = CLI_EXIT_INPUT;
    }
    if (rc == 0)
        rc = idle_dims(o, plan);
    sg_cgen_plan_free(plan);
    return rc;
}

/* --grade: the verdicts, or an error when the file has no answer */
static int print_grades(const cli_options *o, sg_problem *p, const sg_src *src, printed *r)
{
    sg_buf b;
    if (p->nanswers == 0) {
        fprintf(stderr, "symgrad: %s: error: nothing to grade: the file has no `answer` "
                        "statement (answer ∂L/∂W = …)\n", src->name);
        return CLI_EXIT_INPUT;
    }
    sg_buf_init(&b);
    r->wrong = cli_grade(p, src, o, &b);
    r->out = sg_buf_take(&b, &r->outlen);
    return 0;
}

/* the chosen output of a checked problem; 0 or an exit status */
static int print_output(const cli_options *o, sg_problem *p, sg_src *src,
                        const char *name, const char *stem, const char *cmd, printed *r)
{
    int rc = 0;
    if (o->mode == CLI_FORMULAS) {
        r->out = sg_fmt_problem(p, o->ascii, &r->outlen);
    } else if (o->mode == CLI_GRADE) {
        rc = print_grades(o, p, src, r);
    } else if (o->mode == CLI_STEPS) {
        sg_steps_opts so;
        char **verdicts = cli_verdicts(p, o->ascii ? SG_FMT_ASCII : SG_FMT_UNICODE);
        memset(&so, 0, sizeof so);
        so.ascii = o->ascii;
        so.source = src->text;
        so.verdicts = (const char *const *)verdicts;
        r->out = sg_steps_document(p, &so, &r->outlen);
        cli_verdicts_free(p, verdicts);
    } else if (o->mode == CLI_EVAL) {
        sg_buf b, e;
        sg_buf_init(&b);
        sg_buf_init(&e);
        if (sg_evalprint(p, o->eval, &b, &e) != 0) {
            fprintf(stderr, "symgrad: %s\n", sg_buf_str(&e));
            rc = CLI_EXIT_USAGE;
        }
        r->out = sg_buf_take(&b, &r->outlen);
        sg_buf_free(&e);
    } else if (o->mode == CLI_LATEX) {
        sg_latex_opts lo;
        char **verdicts = cli_verdicts(p, SG_FMT_LATEX);
        memset(&lo, 0, sizeof lo);
        lo.verdicts = (const char *const *)verdicts;
        lo.fragment = o->fragment;
        lo.index = o->index;
        lo.update = o->update;
        lo.source = name;
        lo.text = src->text;
        r->out = sg_latex_document(p, &lo, &r->outlen);
        cli_verdicts_free(p, verdicts);
    } else {
        rc = print_c(o, p, src, name, stem, cmd, r);
    }
    return rc;
}

/* the header (with -H) and the output, all or nothing; 0 or CLI_EXIT_IO */
static int write_printed(const cli_options *o, const printed *r, mode_t perms)
{
    cli_output w[2];
    int n = 0;
    if (o->header) {
        w[n].path = o->header;
        w[n].data = r->hdr;
        w[n++].len = r->hdrlen;
    }
    w[n].path = o->output;
    w[n].data = r->out;
    w[n++].len = r->outlen;
    return cli_write_outputs(w, n, perms) != 0 ? CLI_EXIT_IO : 0;
}

int main(int argc, char **argv)
{
    cli_options o;
    printed r = {NULL, NULL, 0, 0, 0};
    char *text, *stem, *cmd;
    size_t len;
    int rc;
    mode_t mask;
    sg_src *src;
    sg_arena *arena;
    sg_problem *p;
    const char *name;

    mask = umask(0);
    umask(mask);
    cli_catch_signals();
    if ((rc = cli_parse_args(argc, argv, &o))) {
        cli_free_options(&o);
        return rc;
    }
    if (o.header && !sg_cgen_include_ok(basename_of(o.header))) {
        cli_free_options(&o);
        return cli_usage_error("%s", "-H/--header: the file name cannot be written in #include \"…\" "
                                     "(it has a quote, an apostrophe, a backslash, a control "
                                     "character or ill-formed UTF-8)");
    }
    name = strcmp(o.input, "-") ? o.input : "<stdin>";
    text = cli_read_all(o.input, &len);
    if (!text) {
        fprintf(stderr, "symgrad: cannot read '%s': %s\n", name, strerror(errno));
        cli_free_options(&o);
        return CLI_EXIT_IO;
    }
    src = sg_src_new(name, text, len);
    free(text);
    src->color = wants_color(o.color);
    arena = sg_arena_new();
    p = sg_check(src, sg_parse(src, arena));
    if (!p || sg_src_nerrors(src)) {
        sg_src_print_errors(src, stderr);
        rc = CLI_EXIT_INPUT;
    } else {
        src->werror = o.werror;
        sg_src_print_warnings(src, stderr); /* -Werror: as errors, and nothing written */
        rc = o.werror && sg_src_nwarnings(src) ? CLI_EXIT_INPUT : cli_check_fixed_dims(&o, p, name);
    }

    stem = cli_stem_prefix(o.input);
    cmd = command_line(argc, argv);
    if (rc == 0)
        rc = print_output(&o, p, src, name, stem, cmd, &r);
    if (rc == 0)
        rc = write_printed(&o, &r, 0666 & ~mask);
    if (rc == 0 && r.wrong)
        rc = CLI_EXIT_WRONG;

    free(r.out);
    free(r.hdr);
    free(stem);
    free(cmd);
    cli_free_options(&o);
    sg_problem_free(p);
    sg_arena_free(arena);
    sg_src_free(src);
    return rc;
}
