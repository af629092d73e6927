/* jacobian.c: PLACEHOLDER so the tree links while the forward Jacobian
 * propagation is being written; replace this whole file. */
#include "diff.h"

sg_expr *sg_diff_jacobian(sg_ctx *ctx, sg_expr *f, sg_expr *x, sg_log *log, const char **why)
{
    (void)ctx;
    (void)f;
    (void)x;
    (void)log;
    *why = "not implemented yet";
    return NULL;
}
