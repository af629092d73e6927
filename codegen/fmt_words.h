/*
 * fmt_words.h: the spelling of names, numbers and juxtaposed factors, shared
 * by the formula printer's files (internal to codegen/formula.c and its
 * kin; the public part, sg_fmt_name and sg_fmt_juxtapose, is in formula.h).
 */
#ifndef SG_FMT_WORDS_H
#define SG_FMT_WORDS_H

#include <stddef.h>

#include "formula.h"

/* room for fmt_num_text: %.17g of a double is at most a sign, 17 digits, a
   point and e-308 (or 0.0000 in front), 25 bytes with the NUL */
#define FMT_NUM_TEXT 40

/* the shortest %g that reads back as v into s, without an exponent when
   more digits avoid one (10, not 1e+01) */
void fmt_num_text(char *s, size_t size, double v);

/* a small integer exponent p (−9..9, not 0 or 1) in superscript: ², ⁻¹;
   returns 0 (nothing printed) for any other p */
int fmt_superscript(sg_buf *b, double p);

/* k ≥ 0 in superscript digits, one at a time: ⁶⁴ */
void fmt_sup_digits(sg_buf *b, int k);

#endif
