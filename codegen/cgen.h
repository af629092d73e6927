/*
 * cgen.h: the C printer.
 *
 * Prints a checked problem as one C99 file (and its header) with the API of
 * INTERFACE.md: P_dims, P_in, P_out, P_work_size, P_eval. It re-derives
 * nothing: it schedules the DAG that symbolic/ built (which nodes each
 * requested output needs, in what order, in which work buffer) and prints
 * loops and kernel calls for it. Kernels come from templates/ and are copied
 * into the output only when used. A recurrence is a loop over t (never
 * unrolled), its steps stored in the work memory.
 *
 * Ownership: the returned strings are malloc'd; the caller frees them.
 */
#ifndef SG_CGEN_H
#define SG_CGEN_H

#include <stddef.h>
#include "../symbolic/check.h"

typedef struct {
    const char *name; /* a dimension fixed with --dim N=V */
    long value;
} sg_dimfix;

typedef struct {
    const char *prefix;     /* C prefix P */
    int use_float;          /* --type float */
    const char *header;     /* file name the .c includes ("ae.h"), or NULL to
                               put the declarations in the .c itself */
    const char *version;    /* "0.1.0" */
    const char *command;    /* the command line, for the banner comment */
    const char *source_name; /* the .sg file name, for the banner comment */
    const sg_dimfix *fixed; /* --dim */
    int nfixed;
    int blas;               /* --blas: products and factorizations above a small size call
                               CBLAS (cblas_dgemm, cblas_dgemv, or the float ones); the .c
                               includes <cblas.h> and the program links a CBLAS */
    int check_main;         /* --check: append a main() that compares every derivative
                               with central finite differences (dimensions fixed, else
                               3, 4, 5, …; inputs random as declared) and exits 1 on a
                               mismatch; needs <stdio.h> and <stdlib.h> */
} sg_cgen_opts;

/*
 * A plan: the schedule of p (which nodes each requested output needs, in
 * what order, in which work buffer), built once; the .c file, the header
 * and the reason it cannot be printed all come from it. o must outlive the
 * plan. A --dim name that is not a dimension is ignored.
 */
typedef struct sg_cgen_plan sg_cgen_plan;

sg_cgen_plan *sg_cgen_plan_new(const sg_problem *p, const sg_cgen_opts *o);

/* why the plan cannot be printed (the problem uses an operation the printer
   cannot write, or its work size with the --dim values overflows a size_t,
   or o->header cannot be included), or NULL when it can */
const char *sg_cgen_plan_why(const sg_cgen_plan *pl);

/* where in the source that reason comes from (the statement of the
   recurrence the printer cannot write): 1 and *at set, or 0 when unknown */
int sg_cgen_plan_where(const sg_cgen_plan *pl, sg_span *at);

/* the .c file, and the header it includes when o->header is set; NULL when
   sg_cgen_plan_why() is not. Each may be asked for more than once, in
   either order: the text is the same */
char *sg_cgen_plan_source(sg_cgen_plan *pl, size_t *len);
char *sg_cgen_plan_header(sg_cgen_plan *pl, size_t *len);

/* the same API for other languages, NULL when sg_cgen_plan_why() is not:
   the manifest (JSON, docs/manifest.schema.json), the Python module (o->header
   must be NULL: it carries the .c), and the declarations as cffi's cdef()
   reads them (the codes an enum, no preprocessor lines) */
char *sg_cgen_plan_manifest(sg_cgen_plan *pl, size_t *len);
char *sg_cgen_plan_python(sg_cgen_plan *pl, size_t *len);
char *sg_cgen_plan_cdef(sg_cgen_plan *pl, size_t *len);

/* whether P_eval reads the dimension name (a --dim of one it does not read
   fixes nothing); -1 for no such dimension or a plan that cannot print */
int sg_cgen_plan_dim_used(sg_cgen_plan *pl, const char *name);

void sg_cgen_plan_free(sg_cgen_plan *pl);

/* one plan, one text (for tests) */
char *sg_cgen_source(const sg_problem *p, const sg_cgen_opts *o, size_t *len);
char *sg_cgen_header(const sg_problem *p, const sg_cgen_opts *o, size_t *len);

/* how many nodes the C printer's masks (which results need a statement;
   codegen/mask.h) take for p. For tests: the count must grow with a deep
   network or a list of outputs as R log R, not as R² */
size_t sg_cgen_masks(const sg_problem *p, const sg_cgen_opts *o);

/* whether name can be written in #include "name": not empty, well-formed
   UTF-8 with no control character, quote, apostrophe, backslash or slash
   (the C standard leaves ' \ and // undefined there, and a " or newline
   cannot be written at all); cli/main.c makes another -H name a usage error */
int sg_cgen_include_ok(const char *name);

/* every kernel of templates/, expanded for double or float (for tests) */
char *sg_cgen_kernels(int use_float, size_t *len);

/* why the printer cannot write p ("the inverse of a matrix is not supported
   by the C printer yet"), or NULL when it can */
const char *sg_cgen_unsupported(const sg_problem *p);

#endif
