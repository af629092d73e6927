/*
 * fuzz_pipeline.c: the whole pipeline on arbitrary bytes, in memory.
 *
 * LLVMFuzzerTestOneInput is the libFuzzer entry point (`make fuzz`): it
 * parses and checks the bytes as a problem and, when they are one, prints
 * every output symgrad can make of it — the formulas in both alphabets, the
 * C source and header for double and float, with and without a fixed
 * dimension, the LaTeX derivation, --steps in both alphabets, the --eval
 * interpreter, --manifest, --python and --cdef, and --grade's verdict on
 * every answer — then frees
 * everything, so that
 * LeakSanitizer sees a leak as a failure. Whatever the input, the pipeline
 * must return: an error is fine, a crash, a hang or a leak is a finding.
 *
 * Built with -DSG_FUZZ_REPLAY it is a plain program instead: it runs the
 * entry point over every file named on its command line, and `make test`
 * uses it (under AddressSanitizer and UBSan) to replay the regression inputs
 * of tests/fuzz-regressions/ and the seed corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef SG_FUZZ_REPLAY
#include <signal.h>
#include <unistd.h>
#endif

#include "codegen/cgen.h"
#include "cli/evalprint.h"
#include "symbolic/grade.h"
#include "codegen/formula.h"
#include "codegen/latex.h"
#include "codegen/steps.h"
#include "base/arena.h"
#include "base/buf.h"
#include "lexer/source.h"
#include "parser/parser.h"
#include "symbolic/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the first dimension of the problem, if any, fixed to a small value */
static int first_dim(const sg_problem *p, sg_dimfix *fix)
{
    int d;
    for (d = 0; d < sg_dim_count(p->ctx); d++) {
        const sg_diminfo *di = sg_dim_get(p->ctx, d);
        if (di->name) {
            fix->name = di->name;
            fix->value = 3;
            return 1;
        }
    }
    return 0;
}

static void print_c(const sg_problem *p, int use_float, const sg_dimfix *fix, int nfix)
{
    sg_cgen_opts o;
    char *s;
    size_t n;
    memset(&o, 0, sizeof o);
    o.prefix = p->prefix ? p->prefix : "fz";
    o.use_float = use_float;
    o.header = use_float ? "fz.h" : NULL;
    o.version = "0";
    o.command = "symgrad fz.sg";
    o.source_name = "fz.sg";
    o.fixed = fix;
    o.nfixed = nfix;
    o.check_main = !use_float;
    s = sg_cgen_source(p, &o, &n);
    free(s);
    s = sg_cgen_header(p, &o, &n);
    free(s);
    (void)sg_cgen_unsupported(p);
}

/* --manifest, --python and --cdef, from one plan */
static void print_api(const sg_problem *p)
{
    sg_cgen_opts o;
    sg_cgen_plan *pl;
    size_t n;
    memset(&o, 0, sizeof o);
    o.prefix = p->prefix ? p->prefix : "fz";
    o.version = "0";
    o.command = "symgrad fz.sg";
    o.source_name = "fz.sg";
    pl = sg_cgen_plan_new(p, &o);
    free(sg_cgen_plan_manifest(pl, &n));
    free(sg_cgen_plan_python(pl, &n));
    free(sg_cgen_plan_cdef(pl, &n));
    sg_cgen_plan_free(pl);
}

/* --grade: every answer's verdict */
static void grade_all(sg_problem *p)
{
    int i;
    for (i = 0; i < p->nanswers; i++) {
        sg_verdict v;
        sg_grade(p, i, &v);
        sg_verdict_free(&v);
    }
}

static void print_all(const sg_problem *p)
{
    sg_dimfix fix;
    sg_latex_opts lo;
    sg_steps_opts so;
    char *s;
    size_t n;
    sg_buf out, err;

    s = sg_fmt_problem(p, 0, &n);
    free(s);
    s = sg_fmt_problem(p, 1, &n);
    free(s);

    print_c(p, 0, NULL, 0);
    print_c(p, 1, NULL, 0);
    if (first_dim(p, &fix))
        print_c(p, 0, &fix, 1);

    /* --latex, whole and as an indexed fragment */
    memset(&lo, 0, sizeof lo);
    lo.source = "fz.sg";
    s = sg_latex_document(p, &lo, &n);
    free(s);
    lo.fragment = lo.index = 1;
    s = sg_latex_document(p, &lo, &n);
    free(s);

    /* --steps, in both alphabets */
    memset(&so, 0, sizeof so);
    s = sg_steps_document(p, &so, &n);
    free(s);
    so.ascii = 1;
    s = sg_steps_document(p, &so, &n);
    free(s);

    /* --eval with no values: it must fail cleanly when inputs are missing */
    sg_buf_init(&out);
    sg_buf_init(&err);
    (void)sg_evalprint(p, "", &out, &err);
    sg_buf_free(&out);
    sg_buf_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_src *src = sg_src_new("fz.sg", (const char *)data, size);
    sg_arena *arena = sg_arena_new();
    sg_program *prog = sg_parse(src, arena);
    sg_problem *p = sg_check(src, prog);

    if (p && !sg_src_nerrors(src)) {
        print_all(p);
        print_api(p);
        grade_all(p);
    }
    else if (sg_src_nerrors(src)) {
        /* the diagnostics are printed too: carets, columns, UTF-8 */
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            sg_src_print_errors(src, null);
            fclose(null);
        }
    }
    sg_problem_free(p);
    sg_arena_free(arena);
    sg_src_free(src);
    return 0;
}

#ifdef SG_FUZZ_REPLAY
/* the fuzzer's -timeout: an input that takes longer is a hang */
#define REPLAY_SECONDS 10

static const char *current;

static void on_alarm(int sig)
{
    static const char msg[] = "fuzz-replay: HANG: an input took more than 10 seconds: ";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, current, strlen(current)) < 0 ||
        write(2, "\n", 1) < 0)
        _exit(1);
    _exit(1);
}

/* replay: every file on the command line through the entry point */
int main(int argc, char **argv)
{
    int i;
    signal(SIGALRM, on_alarm);
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        sg_buf b;
        char chunk[65536];
        size_t got, n;
        char *text;
        if (!f) {
            fprintf(stderr, "fuzz-replay: cannot read '%s'\n", argv[i]);
            return 3;
        }
        sg_buf_init(&b);
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            sg_buf_putn(&b, chunk, got);
        fclose(f);
        text = sg_buf_take(&b, &n);
        current = argv[i];
        alarm(REPLAY_SECONDS);
        LLVMFuzzerTestOneInput((const uint8_t *)text, n);
        alarm(0);
        free(text);
    }
    printf("fuzz-replay: %d inputs\n", argc - 1);
    return 0;
}
#endif
