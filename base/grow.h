/*
 * grow.h: growable arrays with a limit and a message (after Lua's
 * luaM_growvector).
 *
 * Every array symgrad grows by hand goes through SG_GROW: it makes room for
 * element n of v (cap elements allocated), doubling, and never lets a count
 * pass its limit silently. A count that would pass it ends the run with
 *
 *     symgrad: the problem is too large: more than LIMIT WHAT
 *
 * and exit status 1 (an error in the input, as INTERFACE.md counts: only a
 * problem far past anything on paper gets there). Running out of memory
 * first is the usual exit 3 of sg_xrealloc. Both are exits, not aborts, so
 * the atexit handlers remove temporary output: nothing is written.
 *
 * The counts are ints (or size_t) kept by the caller; SG_GROW_MAX is the
 * default limit, the largest count whose doubling an int still holds.
 */
#ifndef SG_GROW_H
#define SG_GROW_H

#include <limits.h>
#include <stddef.h>

#include "arena.h"

#define SG_GROW_MAX (INT_MAX / 2)

/* the capacity to grow to so that `need` elements of `elem` bytes fit:
   `cap` doubled (16 at first) until it does, at most `limit`; past the
   limit, the message above and exit 1 */
size_t sg_grow_cap(size_t need, size_t cap, size_t elem, size_t limit, const char *what);

/* room for v[n]: grows v (and cap) when n >= cap */
#define SG_GROW(v, n, cap, limit, what)                                                      \
    do {                                                                                     \
        if ((size_t)(n) >= (size_t)(cap)) {                                                  \
            size_t sg_grow_nc_ = sg_grow_cap((size_t)(n) + 1, (size_t)(cap), sizeof *(v),    \
                                             (size_t)(limit), (what));                       \
            (v) = sg_xrealloc((v), sg_grow_nc_ * sizeof *(v));                               \
            (cap) = sg_grow_nc_;                                                             \
        }                                                                                    \
    } while (0)

/* the limit message alone, for counts that are not arrays */
void sg_too_large(size_t limit, const char *what)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

#endif
