/*
 * test_manifest.c: the generated API for other languages (codegen/manifest.c):
 * --manifest's JSON, the --python module and the --cdef block, from the plan
 * the C is printed from.
 *
 * Each test reads a problem from text and asserts what the manifest says of
 * it: fields in the header's order with the C printer's names (a renamed
 * field included), shapes in dimension names, a sequence's steps first,
 * kinds, the codes returned and the matrix a code is about, fixed
 * dimensions; that the Python module carries the manifest and a C with no
 * #include of a header, with no unescaped triple quote; and that the cdef
 * block has no preprocessor line. tests/python.sh runs the module and
 * validates every example's manifest against docs/manifest.schema.json.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/cgen.h"
#include "parser/parser.h"

typedef struct {
    sg_src *src;
    sg_arena *arena;
    sg_problem *p;
    sg_cgen_opts o;
    sg_cgen_plan *plan;
    sg_dimfix fix[1];
} fixture;

/* text checked and planned with prefix "t" (and --dim fixed=VALUE when fixed) */
static void load(fixture *f, const char *text, int use_float, const char *fixed, long value)
{
    memset(f, 0, sizeof *f);
    f->src = sg_src_new("t.sg", text, strlen(text));
    f->arena = sg_arena_new();
    f->p = sg_check(f->src, sg_parse(f->src, f->arena));
    if (!f->p)
        fail_msg("the problem does not check: %s", f->src->ndiags ? f->src->diags[0].msg : "");
    f->o.prefix = "t";
    f->o.use_float = use_float;
    f->o.version = "0.1.0";
    if (fixed) {
        f->fix[0].name = fixed;
        f->fix[0].value = value;
        f->o.fixed = f->fix;
        f->o.nfixed = 1;
    }
    f->plan = sg_cgen_plan_new(f->p, &f->o);
    assert_null(sg_cgen_plan_why(f->plan));
}

static void unload(fixture *f)
{
    sg_cgen_plan_free(f->plan);
    sg_problem_free(f->p);
    sg_arena_free(f->arena);
    sg_src_free(f->src);
}

static void has(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("no '%s' in:\n%s", want, text);
}

static void test_fields(void **state)
{
    fixture f;
    char *m;
    (void)state;
    load(&f, "X ∈ ℝ^{N×Q}\nY ∈ ℝ^{N×D}\nβ ∈ ℝ\nλ ∈ ℝ\nK = XXᵀ + βI\n"
             "L = −D/2 log|K| − ½ tr(K⁻¹YYᵀ) + λ\ngrad L wrt X, β\n",
         0, NULL, 0);
    m = sg_cgen_plan_manifest(f.plan, NULL);
    has(m, "\"prefix\": \"t\"");
    has(m, "\"scalar\": \"double\"");
    has(m, "{\"name\": \"N\", \"c_name\": \"N\", \"fixed\": null}");
    has(m, "{\"name\": \"X\", \"c_name\": \"X\", \"index\": 0, \"kind\": \"matrix\", "
           "\"shape\": [\"N\", \"Q\"]}");
    has(m, "{\"name\": \"β\", \"c_name\": \"beta\", \"index\": 2, \"kind\": \"matrix\", "
           "\"shape\": []}");
    has(m, "\"c_name\": \"lambda\", \"index\": 3");
    has(m, "{\"name\": \"∂L/∂β\", \"c_name\": \"dL_dbeta\", \"index\": 2, \"kind\": \"grad\", "
           "\"of\": \"L\", \"wrt\": [\"β\"], \"shape\": []}");
    has(m, "\"c_name\": \"T_ESINGULAR\", \"value\": 1, \"returned\": true");
    has(m, "\"c_name\": \"T_ENOTSPD\", \"value\": 2, \"returned\": false");
    has(m, "\"c_name\": \"T_EDIMS\", \"value\": 3, \"returned\": false");
    has(m, "{\"matrix\": \"K\", \"formula\": \"XXᵀ + βI\", \"method\": \"lu\", "
           "\"code\": \"ESINGULAR\"}");
    free(m);
    unload(&f);
}

static void test_kinds(void **state)
{
    fixture f;
    char *m;
    (void)state;
    load(&f, "S ∈ 𝕊₊₊^n\nA ∈ 𝕊^n\ny ∈ Δ^n\nx ∈ ℝ^n\n"
             "L = log|S| + xᵀAx + yᵀx\ngrad L wrt x\nhessian L wrt x\n",
         1, "n", 3);
    m = sg_cgen_plan_manifest(f.plan, NULL);
    has(m, "\"scalar\": \"float\"");
    has(m, "\"c_name\": \"S\", \"index\": 0, \"kind\": \"spd\", \"shape\": [\"n\", \"n\"]");
    has(m, "\"kind\": \"symmetric\"");
    has(m, "\"c_name\": \"y\", \"index\": 2, \"kind\": \"simplex\", \"shape\": [\"n\"]");
    has(m, "{\"name\": \"n\", \"c_name\": \"n\", \"fixed\": 3}");
    has(m, "\"kind\": \"hessian\", \"of\": \"L\", \"wrt\": [\"x\", \"x\"], \"shape\": [\"n\", \"n\"]");
    has(m, "\"c_name\": \"T_EDIMS\", \"value\": 3, \"returned\": true");
    has(m, "\"method\": \"cholesky\", \"code\": \"ENOTSPD\"");
    free(m);
    unload(&f);
}

static void test_sequence(void **state)
{
    fixture f;
    char *m;
    (void)state;
    load(&f, "x[t] ∈ ℝ^k for t = 1..T\nu[t] ∈ ℝ for t = 2..T\nh0 ∈ ℝ^n\nW ∈ ℝ^{n×k}\n"
             "h[0] = h0\nh[t] = tanh(W x[t] + h[t−1]) for t = 1..T\n"
             "L = Σ_{t=1}^{T} ½‖h[t]‖² + Σ_{t=2}^{T} u[t]\ngrad L wrt W, x\n",
         0, NULL, 0);
    m = sg_cgen_plan_manifest(f.plan, NULL);
    has(m, "\"c_name\": \"x\", \"index\": 0, \"kind\": \"sequence\", \"shape\": [\"T\", \"k\"], "
           "\"step_kind\": \"matrix\", \"step_shape\": [\"k\"], \"range\": {\"from\": \"1\", "
           "\"to\": \"T\"}}");
    has(m, "\"shape\": [{\"dim\": \"T\", \"plus\": -1}], \"step_kind\": \"matrix\", "
           "\"step_shape\": []");
    has(m, "\"c_name\": \"dL_dx\", \"index\": 2, \"kind\": \"grad\", \"of\": \"L\", "
           "\"wrt\": [\"x\"], \"shape\": [\"T\", \"k\"]}");
    free(m);
    unload(&f);
}

static void test_python_and_cdef(void **state)
{
    fixture f;
    char *py, *cdef, *man, *src;
    const char *body;
    size_t len;
    (void)state;
    load(&f, "W ∈ ℝ^{m×n}\nx ∈ ℝ^n\nL = ½‖WᵀWx − x‖²\ngrad L wrt W, x\n", 0, NULL, 0);
    py = sg_cgen_plan_python(f.plan, &len);
    man = sg_cgen_plan_manifest(f.plan, NULL);
    src = sg_cgen_plan_source(f.plan, NULL);
    assert_non_null(py);
    assert_int_equal(strlen(py), len);
    has(py, "# t: computes L, ∂L/∂W and ∂L/∂x in double precision.\n");
    has(py, "MANIFEST = json.loads(\"\"\"{\n  \"symgrad\": ");
    has(py, "int t_eval(const t_dims *dims");
    assert_null(strstr(py, "#include \"")); /* the declarations are in the C it carries */
    body = strstr(py, "SOURCE = \"\"\"");
    assert_non_null(body); /* its first unescaped triple quote closes it */
    body = strstr(body + 12, "\"\"\"");
    assert_non_null(body);
    assert_int_equal(strncmp(body, "\"\"\"\n\nPREFIX", 11), 0);
    assert_null(strchr(py, '@')); /* every placeholder filled */
    cdef = sg_cgen_plan_cdef(f.plan, NULL);
    has(cdef, "enum {\n    T_OK = 0,\n    T_ESINGULAR = 1,\n    T_ENOTSPD = 2,\n    T_EDIMS = 3\n};");
    has(cdef, "} t_in;");
    assert_null(strchr(cdef, '#'));
    free(py);
    free(cdef);
    free(man);
    free(src);
    unload(&f);
    /* a plan with a header carries no module: its C includes the header */
    memset(&f, 0, sizeof f);
    load(&f, "x ∈ ℝ^n\nL = ‖x‖²\ngrad L wrt x\n", 0, NULL, 0);
    sg_cgen_plan_free(f.plan);
    f.o.header = "t.h";
    f.plan = sg_cgen_plan_new(f.p, &f.o);
    assert_null(sg_cgen_plan_python(f.plan, NULL));
    man = sg_cgen_plan_manifest(f.plan, NULL);
    assert_non_null(man);
    free(man);
    unload(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_python_and_cdef),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
