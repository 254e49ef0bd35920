// oslat: the OS latencies gmpviz's thread model takes its parameters from (gmpviz/core/os.py).
//
// Measured on the machine it runs on, separately from any fidelity run:
//   wake    futex wake of a thread parked in futex_wait (the runtime's notewakeup -> notesleep,
//           lock_futex.go) until the woken thread runs: what startm pays for an idle M.
//   create  pthread_create (clone(2), as newosproc in os_linux.go) until the new thread's first
//           instruction: what newm pays for a new M.
//   signal  tgkill(SIGURG) of a thread spinning on a CPU until its handler runs: what preemptM
//           (signal_unix.go) pays before asyncPreempt can run.
// Prints one line per kind: "kind n p10 p50 p90 p99" in ns. Build: cc -O2 -pthread oslat.c
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *kind, uint64_t *v, int n) {
    qsort(v, n, sizeof v[0], cmp);
    printf("%s %d %lu %lu %lu %lu\n", kind, n, v[n / 10], v[n / 2], v[n * 9 / 10], v[n * 99 / 100]);
}

static atomic_int fword;
static _Atomic uint64_t t_sent, t_got;

static void *waiter(void *arg) {
    int n = *(int *)arg;
    for (int i = 0; i < n; i++) {
        while (atomic_load(&fword) == 0)
            syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        atomic_store(&t_got, now_ns());
        atomic_store(&fword, 0);
    }
    return NULL;
}

static void *first_run(void *arg) {
    *(uint64_t *)arg = now_ns();
    return NULL;
}

static volatile sig_atomic_t got_sig;
static _Atomic uint64_t t_sig;
static atomic_int spin_stop;
static void on_urg(int s) { (void)s; atomic_store(&t_sig, now_ns()); got_sig = 1; }
static pid_t spinner_tid;
static void *spinner(void *arg) {
    (void)arg;
    sigset_t urg;
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    pthread_sigmask(SIG_UNBLOCK, &urg, NULL);  // main blocks it: only the spinner takes it
    spinner_tid = (pid_t)syscall(SYS_gettid);
    while (!atomic_load(&spin_stop)) {
    }
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    uint64_t *v = malloc(sizeof(uint64_t) * n);
    // wake
    pthread_t th;
    pthread_create(&th, NULL, waiter, &n);
    for (int i = 0; i < n; i++) {
        usleep(200);  // let the waiter park in futex_wait
        uint64_t t0 = now_ns();
        atomic_store(&t_got, 0);
        atomic_store(&fword, 1);
        syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        while (atomic_load(&t_got) == 0)
            sched_yield();
        v[i] = atomic_load(&t_got) - t0;
    }
    pthread_join(th, NULL);
    report("wake", v, n);
    // create
    for (int i = 0; i < n; i++) {
        uint64_t t1 = 0, t0 = now_ns();
        pthread_create(&th, NULL, first_run, &t1);
        pthread_join(th, NULL);
        v[i] = t1 - t0;
    }
    report("create", v, n);
    // signal
    struct sigaction sa = {0};
    sa.sa_handler = on_urg;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGURG, &sa, NULL);
    sigset_t blk;
    sigemptyset(&blk);
    sigaddset(&blk, SIGURG);
    pthread_sigmask(SIG_BLOCK, &blk, NULL);
    pthread_create(&th, NULL, spinner, NULL);
    usleep(10000);
    for (int i = 0; i < n; i++) {
        usleep(200);
        got_sig = 0;
        uint64_t t0 = now_ns();
        syscall(SYS_tgkill, getpid(), spinner_tid, SIGURG);
        while (!got_sig)
            sched_yield();
        v[i] = atomic_load(&t_sig) - t0;
    }
    atomic_store(&spin_stop, 1);
    pthread_join(th, NULL);
    report("signal", v, n);
    return 0;
}
