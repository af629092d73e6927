/*
 * arena.c: bump allocation in chunks. A request larger than a chunk gets a
 * chunk of its own, so no object ever straddles two. Running out of memory
 * is an exit (status 3) with a message, never an abort.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)
#define ALIGN 16

typedef struct chunk {
    struct chunk *next;
    size_t used, size;
    /* followed by the chunk's bytes, aligned */
} chunk;

struct sg_arena {
    chunk *head;
    size_t total;
};

void sg_out_of_memory(size_t size)
{
    if (size)
        fprintf(stderr, "symgrad: out of memory (allocating %lu bytes)\n", (unsigned long)size);
    else
        fputs("symgrad: out of memory (a size past SIZE_MAX)\n", stderr);
    exit(SG_EXIT_NOMEM);
}

void *sg_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        sg_out_of_memory(size ? size : 1);
    return p;
}

void *sg_xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        sg_out_of_memory(size ? size : 1);
    return p;
}

sg_arena *sg_arena_new(void)
{
    sg_arena *a = sg_xmalloc(sizeof *a);
    a->head = NULL;
    a->total = 0;
    return a;
}

void sg_arena_free(sg_arena *a)
{
    chunk *c, *next;
    if (!a)
        return;
    for (c = a->head; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

/* the header is padded so that the bytes after it are ALIGN-aligned */
#define HDR ((sizeof(chunk) + ALIGN - 1) / ALIGN * ALIGN)

void *sg_arena_alloc(sg_arena *a, size_t size)
{
    chunk *c = a->head;
    void *p;
    size = (size + ALIGN - 1) / ALIGN * ALIGN;
    if (size == 0)
        size = ALIGN;
    if (!c || c->size - c->used < size) {
        size_t want = size > CHUNK ? size : CHUNK;
        if (want > (size_t)-1 - HDR)
            sg_out_of_memory(0);
        c = sg_xmalloc(HDR + want);
        c->used = 0;
        c->size = want;
        if (a->head && size > CHUNK) { /* keep the current chunk in front */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = (char *)c + HDR + c->used;
    c->used += size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

char *sg_arena_strndup(sg_arena *a, const char *s, size_t n)
{
    char *d = sg_arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sg_arena_strdup(sg_arena *a, const char *s)
{
    return sg_arena_strndup(a, s, strlen(s));
}

char *sg_arena_printf(sg_arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *d;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return sg_arena_strdup(a, "");
    d = sg_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

size_t sg_arena_used(const sg_arena *a)
{
    return a->total;
}
