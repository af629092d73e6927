/*
 * arena.h: bump allocation for everything symgrad builds in one run.
 *
 * The syntax tree, the expression DAG, strings and the derivation log all
 * live in arenas and are freed together with sg_arena_free(). Nothing
 * allocated from an arena is freed on its own. Allocation failure aborts
 * with a message: symgrad has no partial state worth saving.
 */
#ifndef SG_ARENA_H
#define SG_ARENA_H

#include <stddef.h>

typedef struct sg_arena sg_arena;

sg_arena *sg_arena_new(void);
void sg_arena_free(sg_arena *a);
/* zeroed, aligned for any object */
void *sg_arena_alloc(sg_arena *a, size_t size);
char *sg_arena_strdup(sg_arena *a, const char *s);
char *sg_arena_strndup(sg_arena *a, const char *s, size_t n);
/* printf into the arena */
char *sg_arena_printf(sg_arena *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* bytes handed out so far (for the DAG size limit and benchmarks) */
size_t sg_arena_used(const sg_arena *a);

/* xmalloc-style helpers for the few growable arrays outside arenas */
void *sg_xmalloc(size_t size);
void *sg_xrealloc(void *p, size_t size);

#endif
