/*
 * mask.h: interned sets of small integers, for the C printer's masks (which
 * results, or which pieces of a loop, need a node).
 *
 * A set is a hash-consed binary tree over the bits 0 .. 64·2^h − 1: a leaf
 * holds a 64-bit word, an inner node two halves, and an empty half is NULL.
 * Equal sets are one pointer, so equality is ==; the empty set is NULL.
 *
 * Why not a plain bitset: a problem with R results has a mask for each of
 * its many distinct needs (one per layer of a deep network, one per output),
 * and R/64 words each makes the printer quadratic in R — 20,000 outputs took
 * 150 MB and seconds in the hashing alone. Here a one-bit set costs log R
 * nodes, a prefix {0 … k} shares all but a path with {0 … k − 1}, and a
 * union, difference or subset test walks only where its operands differ.
 *
 * Ownership: every set lives in its table and dies with sg_masks_free().
 */
#ifndef SG_MASK_H
#define SG_MASK_H

typedef struct sg_mask sg_mask;
typedef struct sg_masks sg_masks;

/* a table for sets of 0 .. nbits − 1 */
sg_masks *sg_masks_new(int nbits);
void sg_masks_free(sg_masks *t);

/* {bit} */
const sg_mask *sg_mask_one(sg_masks *t, int bit);
/* {0, …, nbits − 1} */
const sg_mask *sg_mask_full(sg_masks *t);
/* a ∪ b, a ∖ b */
const sg_mask *sg_mask_union(sg_masks *t, const sg_mask *a, const sg_mask *b);
const sg_mask *sg_mask_minus(sg_masks *t, const sg_mask *a, const sg_mask *b);

int sg_mask_has(const sg_mask *m, int bit);
int sg_mask_count(const sg_mask *m);
/* a ⊆ b */
int sg_mask_subset(const sg_mask *a, const sg_mask *b);
/* the least member ≥ bit, or −1: for (r = sg_mask_next(m, 0); r >= 0;
   r = sg_mask_next(m, r + 1)) visits the members in increasing order */
int sg_mask_next(const sg_mask *m, int bit);
/* a hash of the set (of the pointer's identity: equal sets, equal hashes) */
unsigned sg_mask_hash(const sg_mask *m);
/* nodes made so far (for tests of the growth) */
unsigned long sg_masks_nodes(const sg_masks *t);

#endif
