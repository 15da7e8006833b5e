/**
 * A volume's I/O latency, raised in the block path. tgt has no delay of its own, so each tgtd runs
 * with a small preloaded library (compiled here with the system's C compiler, once per data dir)
 * that notes which file descriptors are volumes' backing files (`volumes/<id>.img`, from the
 * calls that open files: open, open64 and the fortified __open_2 tgt uses) and, before
 * each pread/pwrite on one, sleeps the microseconds the latency table gives that volume. The table
 * is a file of 65,536 little-endian 32-bit numbers, one per volume ID, that every tgtd maps shared:
 * a change written here is seen by the next I/O. tgt runs each LUN's I/O on threads of its own, so
 * a slowed volume slows no other LUN.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const VOLUMES = 65_536;

const SHIM_SOURCE = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 65536
#define VOLUMES 65536

static int volume_plus_one[MAX_FD];
static volatile uint32_t *table;

static int (*next_open)(const char *, int, ...);
static int (*next_open64)(const char *, int, ...);
static int (*next_open_2)(const char *, int);
static int (*next_close)(int);
static ssize_t (*next_pread)(int, void *, size_t, off_t);
static ssize_t (*next_pread64)(int, void *, size_t, off_t);
static ssize_t (*next_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*next_pwrite64)(int, const void *, size_t, off_t);

static void resolve(void) {
  if (next_open) return;
  next_open = dlsym(RTLD_NEXT, "open");
  next_open64 = dlsym(RTLD_NEXT, "open64");
  next_open_2 = dlsym(RTLD_NEXT, "__open_2");
  next_close = dlsym(RTLD_NEXT, "close");
  next_pread = dlsym(RTLD_NEXT, "pread");
  next_pread64 = dlsym(RTLD_NEXT, "pread64");
  next_pwrite = dlsym(RTLD_NEXT, "pwrite");
  next_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
}

__attribute__((constructor)) static void map_table(void) {
  resolve();
  const char *file = getenv("BLOCKPLANE_LATENCY_TABLE");
  if (!file) return;
  int fd = next_open(file, O_RDONLY);
  if (fd < 0) return;
  void *p = mmap(NULL, VOLUMES * sizeof(uint32_t), PROT_READ, MAP_SHARED, fd, 0);
  next_close(fd);
  if (p != MAP_FAILED) table = p;
}

/* The volume ID of ".../volumes/<id>.img", or -1. */
static int volume_of(const char *path) {
  const char *at = strstr(path, "/volumes/");
  if (!at) return -1;
  at += 9;
  char *end;
  long id = strtol(at, &end, 10);
  if (end == at || strcmp(end, ".img") != 0 || id < 0 || id >= VOLUMES) return -1;
  return (int)id;
}

static void note(int fd, const char *path) {
  if (fd >= 0 && fd < MAX_FD) volume_plus_one[fd] = volume_of(path) + 1;
}

static void wait_for(int fd) {
  if (!table || fd < 0 || fd >= MAX_FD || !volume_plus_one[fd]) return;
  uint32_t us = table[volume_plus_one[fd] - 1];
  if (!us) return;
  struct timespec t = {us / 1000000, (long)(us % 1000000) * 1000};
  nanosleep(&t, NULL);
}

static mode_t mode_of(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  resolve();
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  int fd = next_open(path, flags, mode);
  note(fd, path);
  return fd;
}

int open64(const char *path, int flags, ...) {
  resolve();
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  int fd = (next_open64 ? next_open64 : next_open)(path, flags, mode);
  note(fd, path);
  return fd;
}

/* What a program built with _FORTIFY_SOURCE calls for open(path, flags) with flags not constant (tgt's). */
int __open_2(const char *path, int flags) {
  resolve();
  int fd = next_open_2 ? next_open_2(path, flags) : next_open(path, flags);
  note(fd, path);
  return fd;
}

int close(int fd) {
  resolve();
  if (fd >= 0 && fd < MAX_FD) volume_plus_one[fd] = 0;
  return next_close(fd);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  resolve();
  wait_for(fd);
  return next_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off) {
  resolve();
  wait_for(fd);
  return (next_pread64 ? next_pread64 : next_pread)(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  resolve();
  wait_for(fd);
  return next_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) {
  resolve();
  wait_for(fd);
  return (next_pwrite64 ? next_pwrite64 : next_pwrite)(fd, buf, n, off);
}
`;

/** The preloaded library and the table it reads, or why latency cannot be raised here. */
export class LatencyTable {
  readonly tableFile: string;
  readonly library: string | undefined;
  readonly unavailable: string | undefined;
  private readonly current = new Map<number, number>();
  private fd: number | undefined;

  constructor(dir: string) {
    this.tableFile = path.join(dir, "latency.table");
    const hash = crypto.createHash("sha256").update(SHIM_SOURCE).digest("hex").slice(0, 12);
    const library = path.join(dir, `latency-${hash}.so`);
    let why: string | undefined;
    if (!fs.existsSync(library)) {
      const source = path.join(dir, `latency-${hash}.c`);
      try {
        fs.writeFileSync(source, SHIM_SOURCE);
        execFileSync("cc", ["-shared", "-fPIC", "-O2", "-o", `${library}.new`, source, "-ldl"], {
          stdio: ["ignore", "ignore", "pipe"],
          timeout: 60_000,
        });
        fs.renameSync(`${library}.new`, library);
      } catch (err) {
        why = `no C compiler built the latency library (${(err as Error).message.split("\n")[0]})`;
      }
    }
    this.library = why ? undefined : library;
    this.unavailable = why;
    // Every volume starts at no added latency, whatever a previous run left.
    fs.writeFileSync(this.tableFile, Buffer.alloc(VOLUMES * 4));
    this.fd = fs.openSync(this.tableFile, "r+");
  }

  /** The environment a tgtd runs with: the library preloaded, the table named. */
  env(): Record<string, string> {
    return this.library ? { LD_PRELOAD: this.library, BLOCKPLANE_LATENCY_TABLE: this.tableFile } : {};
  }

  /** Sets every volume's added latency (ms); volumes not named get none. */
  set(latencies: Map<number, number>): void {
    if (this.fd === undefined) return;
    const write = (id: number, ms: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Math.min(ms * 1000, 0xffffffff), 0);
      fs.writeSync(this.fd as number, b, 0, 4, id * 4);
    };
    for (const [id] of this.current) {
      if (!latencies.has(id)) {
        write(id, 0);
        this.current.delete(id);
      }
    }
    for (const [id, ms] of latencies) {
      if (id < 0 || id >= VOLUMES || this.current.get(id) === ms) continue;
      write(id, ms);
      this.current.set(id, ms);
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
