/*
 * arena.h: bump allocation for everything symgrad builds in one run.
 *
 * The syntax tree, the expression DAG, strings and the derivation log all
 * live in arenas and are freed together with sg_arena_free(). Nothing
 * allocated from an arena is freed on its own. Allocation failure ends the
 * run with `symgrad: out of memory` and exit status 3 (exit, not abort, so
 * that the atexit handlers remove temporary files): symgrad has no partial
 * state worth saving.
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

/* the exit status when memory runs out (an I/O error, as INTERFACE.md counts) */
#define SG_EXIT_NOMEM 3
/* prints `symgrad: out of memory (N bytes)` and exits with SG_EXIT_NOMEM;
   size 0 when the size is past what a size_t holds */
void sg_out_of_memory(size_t size)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

#endif
