/*
 * dirty: the lab guest's memory load. Runs as a child of /init inside a bare initramfs and takes
 * its parameters from the kernel command line, so one image serves every grid point:
 *
 *   dirty.wss=512M      working set, allocated and filled with non-zero bytes (so QEMU cannot
 *                       send it as zero pages)
 *   dirty.rate=5M       bytes/s of pages dirtied: one byte written per 4 KiB page at rate/4096
 *                       pages per second; 0 = only hold the memory; "max" = hammer (as fast as
 *                       possible, like stress-ng's vm stressor)
 *   dirty.pattern=random|seq   which page is written next within the working set
 *   cpu.load=50         percent duty cycle of a separate busy-loop process (like stress-ng
 *                       --cpu-load); 0 = none
 *
 * Prints "LAB-READY wss=.. used=.." (used = MemTotal - MemFree) once the working set is filled
 * and the load runs, then "LAB-RATE pages_per_s=N" every 5 s, so the runner can record the write
 * rate actually achieved (under TCG the guest may fall short of the target).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define SLICE_NS 10000000L /* pace in 10 ms slices: small enough for a smooth rate */
#define NS 1000000000L

struct params {
  uint64_t wss;
  uint64_t rate; /* bytes/s; UINT64_MAX = hammer */
  int random;
  int cpu_load;
};

static uint64_t parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  switch (*end) {
  case 'k': case 'K': v *= 1024.0; break;
  case 'm': case 'M': v *= 1024.0 * 1024.0; break;
  case 'g': case 'G': v *= 1024.0 * 1024.0 * 1024.0; break;
  default: break;
  }
  return (uint64_t)v;
}

static void parse_cmdline(struct params *p) {
  char buf[4096] = {0};
  FILE *f = fopen("/proc/cmdline", "r");
  if (f) {
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
  }
  for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
    if (!strncmp(tok, "dirty.wss=", 10)) p->wss = parse_size(tok + 10);
    else if (!strcmp(tok, "dirty.rate=max")) p->rate = UINT64_MAX;
    else if (!strncmp(tok, "dirty.rate=", 11)) p->rate = parse_size(tok + 11);
    else if (!strncmp(tok, "dirty.pattern=", 14)) p->random = strcmp(tok + 14, "seq") != 0;
    else if (!strncmp(tok, "cpu.load=", 9)) p->cpu_load = atoi(tok + 9);
  }
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * NS + t.tv_nsec;
}

static void sleep_until(int64_t when) {
  struct timespec t = {.tv_sec = when / NS, .tv_nsec = when % NS};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) != 0) {
  }
}

/* Busy for load% of every 100 ms, asleep for the rest; never returns. */
static void cpu_burner(int load) {
  const int64_t period = 100000000L, busy = period * load / 100;
  volatile uint64_t sink = 0;
  for (int64_t start = now_ns();; start += period) {
    while (now_ns() - start < busy) sink++;
    if (load < 100) sleep_until(start + period);
  }
}

/* MemTotal - MemFree from /proc/meminfo: what the guest has touched, kernel included. */
static uint64_t used_bytes(void) {
  char line[256];
  unsigned long long total = 0, free_kb = 0, v;
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "MemTotal: %llu kB", &v) == 1) total = v;
    else if (sscanf(line, "MemFree: %llu kB", &v) == 1) free_kb = v;
  }
  fclose(f);
  return (total - free_kb) * 1024ULL;
}

static uint64_t xorshift(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

int main(void) {
  struct params p = {0, 0, 1, 0};
  parse_cmdline(&p);
  setvbuf(stdout, NULL, _IOLBF, 0);

  if (p.cpu_load > 0 && fork() == 0) cpu_burner(p.cpu_load > 100 ? 100 : p.cpu_load);

  uint64_t pages = p.wss / PAGE;
  unsigned char *mem = NULL;
  if (pages > 0) {
    mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      printf("LAB-ERROR mmap of %llu bytes failed\n", (unsigned long long)(pages * PAGE));
      return 1;
    }
    memset(mem, 0x5a, pages * PAGE);
  }
  printf("LAB-READY wss=%llu used=%llu rate=%s%llu pattern=%s cpu=%d\n", (unsigned long long)(pages * PAGE),
         (unsigned long long)used_bytes(),
         p.rate == UINT64_MAX ? "max:" : "", (unsigned long long)(p.rate == UINT64_MAX ? 0 : p.rate),
         p.random ? "random" : "seq", p.cpu_load);

  if (pages == 0 || p.rate == 0) {
    /* Heartbeat only, so the runner can still see the guest alive after migration. */
    for (;;) {
      sleep(5);
      printf("LAB-RATE pages_per_s=0\n");
    }
  }

  const int hammer = p.rate == UINT64_MAX;
  const double pages_per_ns = hammer ? 0.0 : (double)p.rate / PAGE / NS;
  uint64_t seed = 0x9e3779b97f4a7c15ULL, next = 0, written = 0, reported = 0;
  const int64_t start = now_ns();
  int64_t slice = start, last_report = start;
  for (;;) {
    /* Absolute pacing: catch up to what is due by now, so slow slices do not lose pages. */
    const uint64_t due = hammer ? written + 4096 : (uint64_t)((double)(slice + SLICE_NS - start) * pages_per_ns);
    while (written < due) {
      const uint64_t page = p.random ? xorshift(&seed) % pages : next++ % pages;
      mem[page * PAGE + (written & 63)]++; /* a changed byte, so content-hashing samplers see it */
      written++;
    }
    const int64_t t = now_ns();
    if (t - last_report >= 5 * NS) {
      printf("LAB-RATE pages_per_s=%.0f\n", (double)(written - reported) * NS / (double)(t - last_report));
      reported = written;
      last_report = t;
    }
    if (!hammer) {
      slice += SLICE_NS;
      if (slice > t) sleep_until(slice);
      else slice = t; /* behind schedule: no sleep; `due` above still counts every missed page */
    }
  }
}
