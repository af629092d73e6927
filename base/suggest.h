/*
 * suggest.h: "did you mean …?" — the closest of a list of words, by edit
 * distance, as clang suggests a declared name for a misspelt one.
 *
 * The distance counts insertions, deletions, substitutions and swaps of two
 * adjacent characters (optimal string alignment), on code points, so that
 * β for γ is one edit, not two bytes. A difference only in ASCII case
 * (w for W) counts as half an edit: such a candidate wins over any other
 * one edit away. A candidate is offered only when it is close for its
 * length: at most (n + 2) / 3 edits for a word of n characters (clang's
 * rule), and for a word of one or two characters only a difference of case,
 * so that a short word is never "corrected" into an unrelated one (z is one
 * edit from x, and means something else).
 * Among equally close candidates the first offered wins, so the answer
 * depends only on the order of the list.
 */
#ifndef SG_SUGGEST_H
#define SG_SUGGEST_H

typedef struct {
    const char *word; /* what was written */
    const char *best; /* the closest candidate so far, NULL if none is close */
    int cost;         /* its distance, in half edits */
} sg_suggest;

void sg_suggest_init(sg_suggest *s, const char *word);
/* offers a candidate (NULL or the word itself are ignored) */
void sg_suggest_offer(sg_suggest *s, const char *candidate);
/* the closest candidate offered, or NULL */
const char *sg_suggest_best(const sg_suggest *s);
/* the distance between a and b in half edits (for tests) */
int sg_suggest_distance(const char *a, const char *b);

#endif
