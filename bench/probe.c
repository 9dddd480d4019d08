/* The bench's measuring helper.
 *
 *   probe spawn [-e NAME=VALUE]... [--idle MS] [--timeout MS] [--socket PATH] [--smaps COPY] -- PROGRAM ARGS...
 *       Owns a NOTIFY_SOCKET, starts PROGRAM with it and prints, one key=value a line:
 *       ready_us (exec -> READY=1; ready_cpu_us and ready_wait_us: how much of it the
 *       process spent on a CPU and waiting for one), rss_kb, pss_kb, anon_kb, threads (MS after exec),
 *       term_us (SIGTERM -> the process is reaped; term_cpu_us: the CPU time it used
 *       meanwhile; term_stopping_us: SIGTERM -> STOPPING=1), exit, stopping (STOPPING=1 seen).
 *   probe time N -- PROGRAM ARGS...
 *       Runs PROGRAM N times and prints "us=... rc=..." per run.
 *
 * --smaps copies /proc/PID/smaps to COPY when the footprint is read.
 * PROGRAM's stdin, stdout and stderr are /dev/null. Times are CLOCK_MONOTONIC. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
    exit(1);
}

static pid_t spawn(char **argv, char **envp) {
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        errno = rc;
        die(argv[0]);
    }
    return pid;
}

/* The value in kB of the line starting with `key` in /proc/PID/FILE, or -1. */
static long proc_value(pid_t pid, const char *file, const char *key) {
    char path[64], line[256];
    long value = -1;
    size_t klen = strlen(key);
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    if (!(f = fopen(path, "r"))) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0) {
            value = strtol(line + klen, NULL, 10);
            break;
        }
    fclose(f);
    return value;
}

static void copy_file_from_proc(pid_t pid, const char *file, const char *to) {
    char path[64], buf[4096];
    size_t n;
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    FILE *in = fopen(path, "r"), *out = fopen(to, "w");
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

/* Nanoseconds the process has been on a CPU and its threads have waited for one; 0 when it
 * cannot be told. The CPU time is the process's CPU clock, which also counts the slice a thread
 * is running at this very moment (the run times in schedstat leave it out until the thread
 * stops or the scheduler ticks). The wait times are the sum of /proc/PID/task/TID/schedstat.
 * About one read in fifty, right at READY=1, finds neither the clock nor /proc/PID/task of a
 * process that is alive and answers the later reads; such a sample is left out (not 0). */
static int cpu_times(pid_t pid, long long *on_cpu, long long *waiting) {
    char path[64];
    clockid_t clock;
    struct timespec ts;
    *on_cpu = *waiting = 0;
    int clock_read = clock_getcpuclockid(pid, &clock) == 0 && clock_gettime(clock, &ts) == 0;
    if (clock_read) *on_cpu = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return clock_read;
    for (struct dirent *e; (e = readdir(d));) {
        char file[400];
        long long run = 0, wait = 0;
        if (e->d_name[0] == '.') continue;
        snprintf(file, sizeof file, "%s/%s/schedstat", path, e->d_name);
        FILE *f = fopen(file, "r");
        if (!f) continue;
        if (fscanf(f, "%lld %lld", &run, &wait) == 2) *waiting += wait;
        fclose(f);
    }
    closedir(d);
    return clock_read;
}

/* True when a notify datagram carries the assignment `what` on a line of its own. */
static int has_line(const char *msg, const char *what) {
    size_t wlen = strlen(what);
    for (const char *p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, what, wlen) == 0 && (p[wlen] == '\n' || p[wlen] == '\0')) return 1;
    return 0;
}

static int cmd_spawn(int argc, char **argv) {
    char *extra_env[16];
    int n_extra = 0, i;
    long idle_ms = 2000, timeout_ms = 5000;
    char default_socket[108];
    const char *socket_path = NULL, *smaps_copy = NULL;
    for (i = 0; i < argc && strcmp(argv[i], "--") != 0; ++i) {
        if (strcmp(argv[i], "-e") == 0 && i + 1 < argc && n_extra < 15) extra_env[n_extra++] = argv[++i];
        else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc) idle_ms = atol(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) timeout_ms = atol(argv[++i]);
        else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) socket_path = argv[++i];
        else if (strcmp(argv[i], "--smaps") == 0 && i + 1 < argc) smaps_copy = argv[++i];
        else { fprintf(stderr, "probe spawn: unknown option %s\n", argv[i]); return 2; }
    }
    if (i + 1 >= argc) { fprintf(stderr, "probe spawn: no program after --\n"); return 2; }
    char **prog = argv + i + 1;
    if (!socket_path) {
        snprintf(default_socket, sizeof default_socket, "/run/probe-notify-%d.sock", (int)getpid());
        socket_path = default_socket;
    }

    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(socket_path) >= sizeof addr.sun_path) { fprintf(stderr, "probe: socket path too long\n"); return 2; }
    strcpy(addr.sun_path, socket_path);
    unlink(socket_path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die(socket_path);

    /* The environment: ours, minus any manager's, plus NOTIFY_SOCKET and -e. */
    size_t n_env = 0;
    while (environ[n_env]) ++n_env;
    char **envp = calloc(n_env + (size_t)n_extra + 2, sizeof *envp);
    size_t k = 0;
    static char notify_var[128];
    for (size_t j = 0; j < n_env; ++j)
        if (strncmp(environ[j], "NOTIFY_SOCKET=", 14) != 0 && strncmp(environ[j], "INVOCATION_ID=", 14) != 0 &&
            strncmp(environ[j], "SYSTEMD_EXEC_PID=", 17) != 0 && strncmp(environ[j], "JOURNAL_STREAM=", 15) != 0)
            envp[k++] = environ[j];
    snprintf(notify_var, sizeof notify_var, "NOTIFY_SOCKET=%s", socket_path);
    envp[k++] = notify_var;
    for (int j = 0; j < n_extra; ++j) envp[k++] = extra_env[j];
    envp[k] = NULL;

    char msg[4096];
    long long t0 = now_ns(), ready = -1, ready_cpu = -1, ready_wait = -1;
    int stopping = 0, status = 0, exited = 0;
    pid_t pid = spawn(prog, envp);
    while (ready < 0) {
        long left = timeout_ms - (long)((now_ns() - t0) / 1000000);
        if (left <= 0) break;
        struct pollfd pfd = {fd, POLLIN, 0};
        int rc = poll(&pfd, 1, left > 50 ? 50 : (int)left);
        if (rc > 0) {
            ssize_t n = recv(fd, msg, sizeof msg - 1, 0);
            long long t = now_ns();
            if (n > 0) {
                msg[n] = '\0';
                if (has_line(msg, "READY=1")) {
                    ready = t - t0;
                    if (!cpu_times(pid, &ready_cpu, &ready_wait)) ready_cpu = ready_wait = -1;
                }
            }
        } else if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = 1;
            break;
        }
    }
    if (!exited) {
        long long until = t0 + idle_ms * 1000000LL;
        while (now_ns() < until) {
            long long left = until - now_ns();
            struct timespec ts = {left / 1000000000LL, left % 1000000000LL};
            nanosleep(&ts, NULL);
        }
        printf("rss_kb=%ld\npss_kb=%ld\nanon_kb=%ld\nthreads=%ld\n", proc_value(pid, "smaps_rollup", "Rss:"),
               proc_value(pid, "smaps_rollup", "Pss:"), proc_value(pid, "smaps_rollup", "Anonymous:"),
               proc_value(pid, "status", "Threads:"));
        if (smaps_copy) copy_file_from_proc(pid, "smaps", smaps_copy);
        while (recv(fd, msg, sizeof msg - 1, MSG_DONTWAIT) > 0) {}
        long long cpu_before, unused;
        struct rusage ru;
        cpu_times(pid, &cpu_before, &unused);
        /* A pidfd turns readable when the process has exited; until then the
         * notify socket tells when STOPPING=1 came. */
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        long long t1 = now_ns(), t_stopping = -1;
        kill(pid, SIGTERM);
        while (pidfd >= 0) {
            struct pollfd pfd[2] = {{pidfd, POLLIN, 0}, {fd, POLLIN, 0}};
            if (poll(pfd, 2, 10000) <= 0 || (pfd[0].revents & POLLIN)) break;
            if (pfd[1].revents & POLLIN) {
                ssize_t n = recv(fd, msg, sizeof msg - 1, MSG_DONTWAIT);
                if (n > 0) {
                    msg[n] = '\0';
                    if (has_line(msg, "STOPPING=1") && t_stopping < 0) {
                        t_stopping = now_ns();
                        stopping = 1;
                    }
                }
            }
        }
        while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
        long long t2 = now_ns();
        if (pidfd >= 0) close(pidfd);
        if (t_stopping >= 0) printf("term_stopping_us=%.1f\n", (double)(t_stopping - t1) / 1000.0);
        /* rusage holds the exact CPU time of every thread (the kernel scales
         * the tick-based split to sum_exec_runtime), in microseconds. */
        long long cpu_total = ((long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
                               ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
        printf("term_us=%.1f\nterm_cpu_us=%.1f\n", (double)(t2 - t1) / 1000.0, (double)(cpu_total - cpu_before) / 1000.0);
        ssize_t n;
        while ((n = recv(fd, msg, sizeof msg - 1, MSG_DONTWAIT)) > 0) {
            msg[n] = '\0';
            if (has_line(msg, "STOPPING=1")) stopping = 1;
        }
    }
    printf("ready_us=%.1f\n", ready < 0 ? -1.0 : (double)ready / 1000.0);
    if (ready >= 0 && ready_cpu >= 0) printf("ready_cpu_us=%.1f\nready_wait_us=%.1f\n", (double)ready_cpu / 1000.0, (double)ready_wait / 1000.0);
    printf("exit=%d\nstopping=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), stopping);
    close(fd);
    unlink(socket_path);
    free(envp);
    return 0;
}

static int cmd_time(int argc, char **argv) {
    if (argc < 3 || strcmp(argv[1], "--") != 0) { fprintf(stderr, "probe time N -- PROGRAM ARGS...\n"); return 2; }
    int n = atoi(argv[0]);
    for (int i = 0; i < n; ++i) {
        int status = 0;
        long long t0 = now_ns();
        pid_t pid = spawn(argv + 2, environ);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        long long t1 = now_ns();
        printf("us=%.1f rc=%d\n", (double)(t1 - t0) / 1000.0, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "spawn") == 0) return cmd_spawn(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "time") == 0) return cmd_time(argc - 2, argv + 2);
    fprintf(stderr, "usage: probe spawn [-e NAME=VALUE]... [--idle MS] [--timeout MS] [--socket PATH] [--smaps COPY] -- PROGRAM ARGS...\n"
                    "       probe time N -- PROGRAM ARGS...\n");
    return 2;
}
