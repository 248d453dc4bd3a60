/* SPDX-License-Identifier: Apache-2.0
 * Counts heap allocations of a process, for bench/profile.py --allocs.
 *
 *   cc -O2 -shared -fPIC -o alloc_counter.so bench/lib/alloc_counter.c
 *   ALLOC_COUNTER_OUT=/tmp/counts LD_PRELOAD=./alloc_counter.so build/bin/skiff-server ...
 *   kill -USR2 <pid>   # appends "allocs=N bytes=M" to $ALLOC_COUNTER_OUT
 *
 * malloc, calloc, realloc, free and the aligned allocators are interposed
 * and forwarded to the next definition in the process (dlsym RTLD_NEXT):
 * jemalloc's where skiff-server links it (cmake/SkiffMalloc.cmake), glibc's
 * otherwise, so every entry point, interposed or not, reaches one allocator
 * (forwarding to glibc's __libc_* under a jemalloc server mixed the two:
 * "double free or corruption"). The few allocations dlsym itself makes
 * while the forwards are resolved come from a static block that is never
 * freed. operator new is interposed as well (jemalloc's does not call
 * malloc; libstdc++'s does, and is counted once), so C++
 * allocations are counted too. Two snapshots around a wrk run, divided by
 * its completed requests, give allocations per request; the few made by
 * background threads (deadline and probe loops) in that window are included.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_ullong allocs;
static atomic_ullong bytes;

/* Set while an operator new below runs: the malloc it may call (libstdc++'s
 * operator new does; jemalloc's does not) is the same allocation. */
static __thread int in_new;

static void count(size_t n) {
  if (in_new) return;
  atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
}

static void* (*next_malloc)(size_t);
static void* (*next_calloc)(size_t, size_t);
static void* (*next_realloc)(void*, size_t);
static void (*next_free)(void*);
static void* (*next_memalign)(size_t, size_t);
static void* (*next_aligned_alloc)(size_t, size_t);
static int (*next_posix_memalign)(void**, size_t, size_t);

/* dlsym's own allocations while the forwards are resolved (first call,
 * before any other thread exists). */
static _Alignas(64) char boot[65536];
static size_t boot_used;
static int resolving;

static void* boot_alloc(size_t n) {
  size_t at = (boot_used + 63) & ~(size_t)63;
  if (at + n > sizeof boot) return NULL;
  boot_used = at + n;
  return boot + at; /* zeroed: static storage, never reused */
}

static int from_boot(const void* p) {
  return (const char*)p >= boot && (const char*)p < boot + sizeof boot;
}

static void resolve(void) {
  if (next_malloc != NULL || resolving) return;
  resolving = 1;
  next_calloc = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
  next_realloc = (void* (*)(void*, size_t))dlsym(RTLD_NEXT, "realloc");
  next_free = (void (*)(void*))dlsym(RTLD_NEXT, "free");
  next_memalign = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
  next_aligned_alloc = (void* (*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
  next_posix_memalign = (int (*)(void**, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
  next_malloc = (void* (*)(size_t))dlsym(RTLD_NEXT, "malloc");
  resolving = 0;
}

void* malloc(size_t n) {
  if (next_malloc == NULL) {
    if (resolving) return boot_alloc(n);
    resolve();
  }
  count(n);
  return next_malloc(n);
}
void* calloc(size_t k, size_t n) {
  if (next_malloc == NULL) {
    if (resolving) return boot_alloc(k * n);
    resolve();
  }
  count(k * n);
  return next_calloc(k, n);
}
void* realloc(void* p, size_t n) {
  resolve();
  count(n);
  if (from_boot(p)) { /* never from dlsym in practice; copy what fits */
    const size_t avail = sizeof boot - (size_t)((char*)p - boot);
    void* q = next_malloc(n);
    if (q != NULL) memcpy(q, p, n < avail ? n : avail);
    return q;
  }
  return next_realloc(p, n);
}
void free(void* p) {
  if (p == NULL || from_boot(p)) return;
  resolve();
  next_free(p);
}
void* memalign(size_t a, size_t n) { resolve(); count(n); return next_memalign(a, n); }
void* aligned_alloc(size_t a, size_t n) { resolve(); count(n); return next_aligned_alloc(a, n); }
int posix_memalign(void** out, size_t a, size_t n) {
  resolve();
  count(n);
  return next_posix_memalign(out, a, n);
}

/* C++ operator new. jemalloc defines its own (straight to its allocator,
 * not through malloc), so they are interposed too, counted and forwarded to
 * the next definition; the deletes need no counting and are left alone. */
#define SKIFF_FORWARD_NEW(name, params, args, size)          \
  void* name params {                                        \
    static void* (*next) params;                             \
    if (next == NULL) next = (void* (*) params)dlsym(RTLD_NEXT, #name); \
    count(size);                                             \
    in_new = 1;                                              \
    void* p = next args;                                     \
    in_new = 0;                                              \
    return p;                                                \
  }
SKIFF_FORWARD_NEW(_Znwm, (size_t n), (n), n)
SKIFF_FORWARD_NEW(_Znam, (size_t n), (n), n)
SKIFF_FORWARD_NEW(_ZnwmRKSt9nothrow_t, (size_t n, const void* t), (n, t), n)
SKIFF_FORWARD_NEW(_ZnamRKSt9nothrow_t, (size_t n, const void* t), (n, t), n)
SKIFF_FORWARD_NEW(_ZnwmSt11align_val_t, (size_t n, size_t a), (n, a), n)
SKIFF_FORWARD_NEW(_ZnamSt11align_val_t, (size_t n, size_t a), (n, a), n)
SKIFF_FORWARD_NEW(_ZnwmSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const void* t),
                  (n, a, t), n)
SKIFF_FORWARD_NEW(_ZnamSt11align_val_tRKSt9nothrow_t, (size_t n, size_t a, const void* t),
                  (n, a, t), n)

/* Async-signal-safe: formats by hand and writes with write(2). */
static void dump(int sig) {
  (void)sig;
  const char* path = getenv("ALLOC_COUNTER_OUT");
  if (path == NULL) return;
  char line[96];
  char digits[24];
  size_t len = 0;
  unsigned long long values[2] = {atomic_load(&allocs), atomic_load(&bytes)};
  const char* names[2] = {"allocs=", "bytes="};
  for (int k = 0; k < 2; ++k) {
    for (const char* c = names[k]; *c; ++c) line[len++] = *c;
    int d = 0;
    unsigned long long v = values[k];
    do { digits[d++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
    while (d > 0) line[len++] = digits[--d];
    line[len++] = k == 0 ? ' ' : '\n';
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (fd < 0) return;
  ssize_t ignored = write(fd, line, len);
  (void)ignored;
  close(fd);
}

__attribute__((constructor)) static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = dump;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &sa, NULL);
}
