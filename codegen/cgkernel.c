/*
 * cgkernel.c: the kernels of templates/.
 *
 * The kernels are C functions in templates/, copied into the output only
 * when used, in a fixed order (a kernel after the kernels it calls), and
 * expanded for the real type (@real@, @restrict@, @exp@ …). Using one marks
 * the kernels it calls; a product or factorization that packs its operands
 * asks for packing room in work, which P_work_size adds up. With --blas the
 * products' templates call CBLAS instead.
 */
#include "cg.h"

/* the kernel table of cg.h, by K_* */
static const struct {
    const char *file;        /* its template */
    const char *blas;        /* its template with --blas, or NULL */
    int dep[2];              /* the kernels it calls, or K_NONE */
} kernel[K_COUNT] = {
#define CG_KERNEL_ROW(kind, file, blas, dep1, dep2) {file, blas, {dep1, dep2}},
    CG_KERNELS(CG_KERNEL_ROW)
#undef CG_KERNEL_ROW
};

/* kernel k's template: with --blas, the products call CBLAS */
const char *cg_kernel_name(const cg_state *g, int k)
{
    if (g->o && g->o->blas && kernel[k].blas)
        return kernel[k].blas;
    return kernel[k].file;
}

/* kernel k is printed, and so are the kernels it calls */
void cg_use_kernel(cg_state *g, int k)
{
    int i;
    g->kernels[k] = 1;
    g->kernels[K_RESTRICT] = 1;
    for (i = 0; i < 2; i++)
        if (kernel[k].dep[i] != K_NONE)
            cg_use_kernel(g, kernel[k].dep[i]);
}

/* a kernel that needs packing room in work: how much, by cg_pack_text() */
void cg_need_pack(cg_state *g, int kind, sg_dim a, sg_dim b, sg_dim c)
{
    int i;
    for (i = 0; i < g->npacks; i++)
        if (g->packs[i].kind == kind && g->packs[i].d[0] == a && g->packs[i].d[1] == b &&
            g->packs[i].d[2] == c)
            return;
    SG_GROW(g->packs, g->npacks, g->cappacks, SG_GROW_MAX, "kernel packing requirements");
    g->packs[g->npacks].kind = kind;
    g->packs[g->npacks].d[0] = a;
    g->packs[g->npacks].d[1] = b;
    g->packs[g->npacks].d[2] = c;
    g->npacks++;
}

/* the reals that packing requirement k needs, as C */
const char *cg_pack_text(cg_state *g, const cg_packreq *k, unsigned char *used)
{
    switch (k->kind) {
    case K_GEMM:
        return cg_fmt(g, "sg_gemm_pack(%s, %s, %s)", cg_dim_c(g, k->d[0], used),
                      cg_dim_c(g, k->d[1], used), cg_dim_c(g, k->d[2], used));
    case K_SYRK:
        return cg_fmt(g, "sg_syrk_pack(%s, %s)", cg_dim_c(g, k->d[0], used),
                      cg_dim_c(g, k->d[1], used));
    case K_TRSM:
        return cg_fmt(g, "sg_trsm_pack(%s, %s)", cg_dim_c(g, k->d[0], used),
                      cg_dim_c(g, k->d[1], used));
    case K_LU:
        return cg_fmt(g, "sg_lu_pack(%s)", cg_dim_c(g, k->d[0], used));
    default:
        return cg_fmt(g, "sg_chol_pack(%s)", cg_dim_c(g, k->d[0], used));
    }
}

/* the template text [text, stop) filled in, as cg_expand does */
static void cg_expand_part(cg_state *g, sg_buf *b, const char *text, const char *stop)
{
    char *part = sg_xmalloc((size_t)(stop - text) + 1);
    memcpy(part, text, (size_t)(stop - text));
    part[stop - text] = '\0';
    cg_expand(g, b, part[0] == '\n' ? part + 1 : part);
    free(part);
}

/* a template with @real@, @restrict@, @lanes@ and @exp@ … filled in */
void cg_expand(cg_state *g, sg_buf *b, const char *text)
{
    while (*text) {
        const char *at = strchr(text, '@'), *end;
        if (!at) {
            sg_buf_puts(b, text);
            return;
        }
        sg_buf_putn(b, text, (size_t)(at - text));
        end = strchr(at + 1, '@');
        if (!end) {
            sg_buf_puts(b, at);
            return;
        }
        if (end - at - 1 == 4 && !strncmp(at + 1, "real", 4))
            sg_buf_puts(b, g->real);
        else if (end - at - 1 == 8 && !strncmp(at + 1, "restrict", 8))
            sg_buf_puts(b, "SG_RESTRICT");
        else if (end - at - 1 == 1 && at[1] == 'b') /* a BLAS name: cblas_dgemm, cblas_sgemm */
            sg_buf_puts(b, g->fsuf[0] ? "s" : "d");
        else if (end - at - 1 == 4 && !strncmp(at + 1, "simd", 4)) /* _mm_stream_pd, _ps */
            sg_buf_puts(b, g->fsuf[0] ? "ps" : "pd");
        else if ((end - at - 1 == 6 && !strncmp(at + 1, "double", 6)) ||
                 (end - at - 1 == 5 && !strncmp(at + 1, "float", 5))) {
            /* @double@ … @end@ (or @float@ … @end@): text for one precision
               only, left out of the other's output whole (expn.c) */
            const char *stop = strstr(end + 1, "@end@");
            const int keep = (at[1] == 'd') == !g->fsuf[0];
            assert(stop != NULL); /* a template's block always ends */
            if (!stop)
                stop = end + strlen(end);
            if (keep)
                cg_expand_part(g, b, end + 1, stop);
            text = *stop ? stop + 5 : stop;
            if (*text == '\n')
                text++;
            continue;
        }
        else if (end - at - 1 == 5 && !strncmp(at + 1, "lanes", 5))
            /* the reals of a 32-byte vector (AVX's; SSE's twice, AVX-512's
               half): the width of the accumulator arrays in dot.c */
            sg_buf_puts(b, g->fsuf[0] ? "8" : "4");
        else if (end - at - 1 == 3 && !strncmp(at + 1, "eps", 3)) /* the machine epsilon */
            sg_buf_puts(b, g->fsuf[0] ? "1.1920929e-07f" : "2.220446049250313e-16");
        else { /* a math function */
            sg_buf_putn(b, at + 1, (size_t)(end - at - 1));
            sg_buf_puts(b, g->fsuf);
        }
        text = end + 1;
    }
}

char *sg_cgen_kernels(int use_float, size_t *len)
{
    cg_state g;
    sg_buf b;
    int k;
    memset(&g, 0, sizeof g);
    g.real = use_float ? "float" : "double";
    g.fsuf = use_float ? "f" : "";
    sg_buf_init(&b);
    for (k = 0; k < K_COUNT; k++) {
        cg_expand(&g, &b, sg_template(kernel[k].file));
        sg_buf_putc(&b, '\n');
    }
    return sg_buf_take(&b, len);
}
