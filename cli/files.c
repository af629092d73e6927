/*
 * files.c: the input read, and the outputs written as a compiler writes
 * its outputs:
 *
 * - A regular file (or a new one) is written to a temporary in its
 *   directory and renamed into place only when everything succeeded, so an
 *   error never leaves a partial or stale file. The temporary gets the mode
 *   a new file would (0666 & ~umask), and it is removed on every way out:
 *   an error, exit() (out of memory), SIGINT, SIGTERM, SIGHUP, SIGPIPE.
 * - Anything else (a device, a FIFO, /dev/stdout, a symlink) is opened and
 *   written in place: a rename would replace the link or the device with a
 *   file. A path that is our standard output is written to standard output.
 * - A file that already holds exactly the bytes is left alone, mtime and
 *   all, so that make does not rebuild what depends on it.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/arena.h"
#include "../lexer/source.h"

/*
 * The whole input, or NULL with errno set. Reading stops one byte past
 * SG_SRC_MAX_BYTES: sg_src_new reports an input that large, and more of it
 * need not be read.
 */
char *cli_read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        size_t got, want;
        if (cap - n < 4096) { /* at most twice SG_SRC_MAX_BYTES: reading stops past it */
            cap = cap ? 2 * cap : 65536;
            buf = sg_xrealloc(buf, cap + 1);
        }
        want = cap - n;
        if (want > SG_SRC_MAX_BYTES + 1 - n)
            want = SG_SRC_MAX_BYTES + 1 - n;
        got = fread(buf + n, 1, want, f);
        n += got;
        if (got == 0 || n > SG_SRC_MAX_BYTES)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        if (f != stdin)
            fclose(f);
        free(buf);
        errno = e ? e : EIO;
        return NULL;
    }
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}


/* ---- temporaries, removed on every way out ---- */

/*
 * The temporaries that exist now: at most the header's and the output's. A
 * signal handler may read this list at any moment, so it changes only with
 * the caught signals blocked, and the handler does no more than unlink(2)
 * each entry (async-signal-safe) and die of the signal as if it had not been
 * caught. exit() — out of memory exits with 3 — removes them through atexit.
 */
static char *volatile tmp_names[2];
static sigset_t caught;

static void remove_temporaries(void)
{
    int i;
    for (i = 0; i < 2; i++)
        if (tmp_names[i])
            unlink(tmp_names[i]);
}

static void on_signal(int sig)
{
    sigset_t s;
    remove_temporaries();
    signal(sig, SIG_DFL);
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached: the default action ends the process */
}

void cli_catch_signals(void)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGPIPE, SIGTERM};
    struct sigaction sa, old;
    size_t i;
    sigemptyset(&caught);
    for (i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&caught, sigs[i]);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_mask = caught; /* one handler at a time */
    for (i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        /* a signal ignored on entry (nohup; SIGINT in a background job) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
    atexit(remove_temporaries);
}


static int write_error(const char *path, int err)
{
    fprintf(stderr, "symgrad: cannot write '%s': %s\n", path, strerror(err));
    return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = ENOSPC;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* whether the regular file at path holds exactly data */
static int holds(const char *path, const char *data, size_t len)
{
    char chunk[65536];
    FILE *f = fopen(path, "rb");
    struct stat st;
    size_t off = 0, got;
    int same = 1;
    if (!f)
        return 0;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size != len) {
        fclose(f);
        return 0;
    }
    while (same && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (got > len - off || memcmp(chunk, data + off, got) != 0)
            same = 0;
        off += got;
    }
    same = same && off == len && !ferror(f);
    fclose(f);
    return same;
}

static void classify(cli_output *w)
{
    struct stat ls, st, so;
    int found;
    w->slot = -1;
    if (!w->path) {
        w->kind = CLI_OUT_STDOUT;
        return;
    }
    /* new (or unreachable: creating the temporary reports why) */
    if (lstat(w->path, &ls) != 0) {
        w->kind = CLI_OUT_REPLACE;
        return;
    }
    if (S_ISREG(ls.st_mode)) {
        w->kind = holds(w->path, w->data, w->len) ? CLI_OUT_UNCHANGED : CLI_OUT_REPLACE;
        return;
    }
    /* /dev/stdout, /proc/self/fd/1: the stream, so that >> appends */
    found = stat(w->path, &st) == 0;
    if (found && fstat(STDOUT_FILENO, &so) == 0 && st.st_dev == so.st_dev && st.st_ino == so.st_ino)
        w->kind = CLI_OUT_STDOUT;
    else if (found && S_ISREG(st.st_mode) && holds(w->path, w->data, w->len))
        w->kind = CLI_OUT_UNCHANGED;
    else
        w->kind = CLI_OUT_IN_PLACE;
}

/* w's bytes into fd, then fd closed (after fsync when sync); 0 or -1 (reported) */
static int write_close(const cli_output *w, int fd, int sync)
{
    int e;
    if (write_all(fd, w->data, w->len) != 0 || (sync && fsync(fd) != 0)) {
        e = errno;
        close(fd);
        return write_error(w->path, e);
    }
    if (close(fd) != 0)
        return write_error(w->path, errno);
    return 0;
}

/*
 * A new temporary beside w->path: "PATH.tmpXXXXXX", or, when that name is
 * too long for the directory, "DIR/.symgrad.tmpXXXXXX". Registered in
 * tmp_names before a signal can see it.
 */
static int make_temporary(cli_output *w, mode_t perms)
{
    const char *slash = strrchr(w->path, '/');
    size_t n = strlen(w->path), dir = slash ? (size_t)(slash - w->path) + 1 : 0;
    char *name = sg_xmalloc(n + sizeof ".symgrad.tmpXXXXXX");
    int fd, e, slot = tmp_names[0] ? 1 : 0, attempt;
    sigset_t old;
    for (attempt = 0; attempt < 2; attempt++) {
        if (attempt == 0) {
            memcpy(name, w->path, n);
            memcpy(name + n, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
        } else {
            memcpy(name, w->path, dir);
            memcpy(name + dir, ".symgrad.tmpXXXXXX", sizeof ".symgrad.tmpXXXXXX");
        }
        sigprocmask(SIG_BLOCK, &caught, &old);
        fd = mkstemp(name);
        e = errno;
        if (fd >= 0)
            tmp_names[slot] = name;
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (fd >= 0 || e != ENAMETOOLONG)
            break;
    }
    if (fd < 0) {
        free(name);
        return write_error(w->path, e);
    }
    w->slot = slot;
    /* mkstemp makes 0600; a new file gets 0666 & ~umask, as gcc's do. A
       file system without modes (vfat) refuses; the output is still right. */
    fchmod(fd, perms);
    return write_close(w, fd, 1);
}

/* the temporary renamed over the path (rename) or removed (!rename) */
static int finish_temporary(cli_output *w, int rename_it)
{
    char *name = tmp_names[w->slot];
    sigset_t old;
    int rc = 0, e = 0;
    sigprocmask(SIG_BLOCK, &caught, &old);
    if (rename_it && rename(name, w->path) != 0) {
        e = errno;
        rc = -1;
    }
    if (!rename_it || rc != 0)
        unlink(name);
    tmp_names[w->slot] = NULL;
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(name);
    w->slot = -1;
    return rc ? write_error(w->path, e) : 0;
}

/*
 * A device, a FIFO or a symlink is opened and written: renaming over it
 * would replace it with a file. O_CREAT for a symlink whose target is new.
 */
static int write_in_place(const cli_output *w)
{
    int fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0)
        return write_error(w->path, errno);
    return write_close(w, fd, 0);
}

/* the text to stdout in one piece; 0 or -1 (reported) */
static int write_stdout(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "symgrad: cannot write to standard output: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * Every output or none: the temporaries first (a full disk fails here,
 * before anything is touched), then what is written in place, then the
 * renames. 0, or -1 after reporting.
 */
int cli_write_outputs(cli_output *w, int n, mode_t perms)
{
    int i, rc = 0;
    for (i = 0; i < n; i++)
        classify(&w[i]);
    for (i = 0; i < n && rc == 0; i++)
        if (w[i].kind == CLI_OUT_REPLACE && make_temporary(&w[i], perms) != 0)
            rc = -1;
    for (i = 0; i < n && rc == 0; i++) {
        if (w[i].kind == CLI_OUT_STDOUT && write_stdout(w[i].data, w[i].len) != 0)
            rc = -1;
        if (w[i].kind == CLI_OUT_IN_PLACE && write_in_place(&w[i]) != 0)
            rc = -1;
    }
    for (i = 0; i < n; i++)
        if (w[i].slot >= 0 && finish_temporary(&w[i], rc == 0) != 0)
            rc = -1;
    return rc;
}

