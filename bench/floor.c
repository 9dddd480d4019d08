/* The floor: the least a C daemon does to be a well-behaved systemd service.
 * A one-second sleep loop that logs a tick (like samples/minimal), a SIGTERM
 * handler, READY=1 / STOPPING=1 sent to $NOTIFY_SOCKET by hand, and one log
 * call per message: a native journal datagram when journald's socket exists,
 * syslog(3) otherwise. No libsystemd, no threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_sigterm(int signo) {
    (void)signo;
    stop_requested = 1;
}

/* Fills `addr` from a socket path; '@' is the abstract namespace. Returns the
 * address length, 0 when the path does not fit. */
static socklen_t unix_address(struct sockaddr_un *addr, const char *path) {
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof addr->sun_path) return 0;
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, path, len);
    if (path[0] == '@') addr->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
}

static void notify(const char *state) {
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr;
    socklen_t alen;
    int fd;
    if (!path || !(alen = unix_address(&addr, path))) return;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, alen);
    close(fd);
}

static int journal_fd = -1;
static struct sockaddr_un journal_addr;
static socklen_t journal_alen;

static void log_open(void) {
    if (access("/run/systemd/journal/socket", W_OK) == 0) {
        journal_alen = unix_address(&journal_addr, "/run/systemd/journal/socket");
        journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }
    if (journal_fd < 0) openlog("floor", LOG_PID, LOG_DAEMON);
}

static void log_info(const char *message) {
    if (journal_fd >= 0) {
        char buf[512];
        int n = snprintf(buf, sizeof buf, "MESSAGE=%s\nPRIORITY=6\nSYSLOG_IDENTIFIER=floor\n", message);
        if (n > 0 && (size_t)n < sizeof buf)
            sendto(journal_fd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&journal_addr, journal_alen);
    } else {
        syslog(LOG_INFO, "%s", message);
    }
}

int main(void) {
    struct sigaction sa;
    char message[64];
    unsigned long n = 0;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigterm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    log_open();

    notify("READY=1");
    log_info("started");
    while (!stop_requested) {
        struct timespec second = {1, 0};
        if (nanosleep(&second, NULL) != 0 && errno == EINTR) continue; /* a signal: look at the flag */
        snprintf(message, sizeof message, "tick %lu", ++n);
        log_info(message);
    }
    notify("STOPPING=1");
    log_info("stopped");
    return 0;
}
