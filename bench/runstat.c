/*
 * runstat: runs a command and prints its wall time, its peak resident set
 * size, its exit status and its CPU time:   runstat [-o FILE] COMMAND [ARG...]
 * prints "WALL_SECONDS PEAK_RSS_KB STATUS CPU_SECONDS" (on FILE, default
 * stdout), CPU_SECONDS being user + system time of the command and the
 * children it waited for (less sensitive than the wall time to other
 * processes sharing the cores);
 * the command's own output goes where runstat's does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    struct rusage ru;
    FILE *out = stdout;
    int status = 0, a = 1;
    pid_t pid;

    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        out = fopen(argv[2], "w");
        if (!out) {
            perror(argv[2]);
            return 126;
        }
        a = 3;
    }
    if (a >= argc) {
        fprintf(stderr, "usage: runstat [-o FILE] COMMAND [ARG...]\n");
        return 126;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return 126;
    }
    if (pid == 0) {
        execvp(argv[a], argv + a);
        perror(argv[a]);
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 126;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(out, "%.6f %ld %d %.6f\n",
            (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec),
            ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
            (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec));
    return 0;
}
