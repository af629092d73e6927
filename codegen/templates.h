/*
 * templates.h: the files of templates/, compiled into the binary.
 *
 * The C kernels the generated code uses (products, softmax, …) and the LaTeX
 * preamble are kept as ordinary files in templates/, so that they can be read,
 * edited and compiled on their own, and embedded at build time by
 * templates/embed.c: symgrad never reads them from disk at run time.
 *
 * Ownership: the texts are static and NUL-terminated.
 */
#ifndef SG_TEMPLATES_H
#define SG_TEMPLATES_H

/* the text of templates/NAME ("gemv.c"), or NULL when there is none */
const char *sg_template(const char *name);

#endif
