/* SPDX-License-Identifier: Apache-2.0
 * Counts heap allocations of a process, for bench/profile.py --allocs.
 *
 *   cc -O2 -shared -fPIC -o alloc_counter.so bench/lib/alloc_counter.c
 *   ALLOC_COUNTER_OUT=/tmp/counts LD_PRELOAD=./alloc_counter.so build/bin/skiff-server ...
 *   kill -USR2 <pid>   # appends "allocs=N bytes=M" to $ALLOC_COUNTER_OUT
 *
 * malloc, calloc, realloc and the aligned allocators are interposed and
 * forwarded to glibc's __libc_* entry points (dlsym would allocate while it
 * is being resolved). libstdc++'s operator new calls malloc, so C++
 * allocations are counted too. Two snapshots around a wrk run, divided by
 * its completed requests, give allocations per request; the few made by
 * background threads (deadline and probe loops) in that window are included.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

static atomic_ullong allocs;
static atomic_ullong bytes;

static void count(size_t n) {
  atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
}

void* malloc(size_t n) { count(n); return __libc_malloc(n); }
void* calloc(size_t k, size_t n) { count(k * n); return __libc_calloc(k, n); }
void* realloc(void* p, size_t n) { count(n); return __libc_realloc(p, n); }
void free(void* p) { __libc_free(p); }
void* memalign(size_t a, size_t n) { count(n); return __libc_memalign(a, n); }
void* aligned_alloc(size_t a, size_t n) { count(n); return __libc_memalign(a, n); }
int posix_memalign(void** out, size_t a, size_t n) {
  count(n);
  void* p = __libc_memalign(a, n);
  if (p == NULL) return 12; /* ENOMEM */
  *out = p;
  return 0;
}

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
