/*
 * scan.h: the raw scanner generated from lexer/lexer.l, as lex.c uses it.
 *
 * sg_scan_next() returns the kind of the next raw token and stores its bytes
 * in the span given to sg_scan_open(). Kinds are the grammar's TK_* kinds,
 * plus the raw kinds below, which lex.c turns into grammar tokens (or
 * errors) with the help of context. Blanks and comments are skipped.
 */
#ifndef SG_SCAN_H
#define SG_SCAN_H

#include <stddef.h>

#include "source.h"

enum {
    SG_SCAN_NEWLINE = 1000, /* \n */
    SG_SCAN_SEMI,           /* ; */
    SG_SCAN_NORM_BAR,       /* ‖ (or ∥, or ASCII ||) */
    SG_SCAN_NORM_BAR1,      /* ‖₁ ‖_1 */
    SG_SCAN_NORM_BAR2,      /* ‖₂ ‖_2 */
    SG_SCAN_NORM_BARF,      /* ‖_F */
    SG_SCAN_ASCII_NORM,     /* not scanned: an open || (a || only closes a ||) */
    SG_SCAN_ABS_BAR,        /* | */
    SG_SCAN_SET_SUP,        /* ℝ 𝕊 𝕊₊₊ Δ and superscripts: ℝⁿ ℝᵐˣⁿ 𝕊ⁿ */
    SG_SCAN_STRAY,          /* a character that starts no token */
    SG_SCAN_INVALID,        /* a byte that is not UTF-8 */
};

void *sg_scan_open(const char *text, size_t len, sg_span *pos);
int sg_scan_next(void *scanner);
/* read types (after ∈ : in) or expressions */
void sg_scan_decl(void *scanner, int on);
void sg_scan_close(void *scanner);

#endif
