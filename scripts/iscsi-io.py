#!/usr/bin/env python3
"""Reads and writes the blocks of an iSCSI LUN through libiscsi (the library behind iscsi-ls and
iscsi-inq), as a host of the data plane would: log in as an initiator name, then READ(16) and
WRITE(16). libiscsi speaks the protocol; this only calls its synchronous API with ctypes.

  iscsi-io.py write URL OFFSET HEXDATA  [-i INITIATOR]   write bytes at a byte offset (512-aligned)
  iscsi-io.py read  URL OFFSET LENGTH   [-i INITIATOR]   print the bytes read, in hex
  iscsi-io.py time  URL OFFSET COUNT    [-i INITIATOR]   seconds COUNT reads of 4 KiB at OFFSET take
  iscsi-io.py bench URL FILE MIB        [-i INITIATOR]   sequential and random I/O through the LUN
                                                         and on FILE directly; prints JSON

URL is iscsi://HOST:PORT/TARGET-IQN/LUN. Exit status 2: the login failed.
"""
import argparse
import ctypes
import json
import os
import random
import re
import sys
import time

BLOCK = 512


class Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


def load():
    lib = ctypes.CDLL("libiscsi.so.7")
    lib.iscsi_create_context.restype = ctypes.c_void_p
    lib.iscsi_create_context.argtypes = [ctypes.c_char_p]
    lib.iscsi_set_targetname.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.iscsi_set_session_type.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.iscsi_full_connect_sync.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.iscsi_get_error.restype = ctypes.c_char_p
    lib.iscsi_get_error.argtypes = [ctypes.c_void_p]
    lib.iscsi_logout_sync.argtypes = [ctypes.c_void_p]
    lib.iscsi_destroy_context.argtypes = [ctypes.c_void_p]
    lib.scsi_free_scsi_task.argtypes = [ctypes.c_void_p]
    lib.iscsi_write16_sync.restype = ctypes.c_void_p
    lib.iscsi_write16_sync.argtypes = [
        ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint32,
        ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
    ]
    lib.iscsi_read16_iov_sync.restype = ctypes.c_void_p
    lib.iscsi_read16_iov_sync.argtypes = [
        ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_int,
        ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
        ctypes.POINTER(Iovec), ctypes.c_int,
    ]
    return lib


class Lun:
    def __init__(self, url, initiator):
        m = re.match(r"^iscsi://([^/]+)/([^/]+)/(\d+)$", url)
        if not m:
            raise SystemExit(f"not an iscsi://HOST:PORT/TARGET/LUN URL: {url}")
        self.portal, self.target, self.lun = m.group(1), m.group(2), int(m.group(3))
        self.lib = load()
        self.ctx = self.lib.iscsi_create_context(initiator.encode())
        self.lib.iscsi_set_targetname(self.ctx, self.target.encode())
        self.lib.iscsi_set_session_type(self.ctx, 2)  # a normal session
        if self.lib.iscsi_full_connect_sync(self.ctx, self.portal.encode(), self.lun) != 0:
            sys.stderr.write(f"login failed: {self.lib.iscsi_get_error(self.ctx).decode()}\n")
            sys.exit(2)

    def _check(self, task, what):
        if not task:
            raise SystemExit(f"{what} failed: {self.lib.iscsi_get_error(self.ctx).decode()}")
        status = ctypes.c_int.from_address(task).value
        self.lib.scsi_free_scsi_task(task)
        if status != 0:
            raise SystemExit(f"{what} failed with SCSI status {status}: {self.lib.iscsi_get_error(self.ctx).decode()}")

    def write(self, offset, data):
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        task = self.lib.iscsi_write16_sync(
            self.ctx, self.lun, offset // BLOCK, ctypes.addressof(buf), len(data), BLOCK, 0, 0, 0, 0, 0
        )
        self._check(task, "WRITE(16)")

    def read_into(self, offset, buf, length):
        iov = Iovec(ctypes.addressof(buf), length)
        task = self.lib.iscsi_read16_iov_sync(
            self.ctx, self.lun, offset // BLOCK, length, BLOCK, 0, 0, 0, 0, 0, ctypes.byref(iov), 1
        )
        self._check(task, "READ(16)")

    def read(self, offset, length):
        buf = ctypes.create_string_buffer(length)
        self.read_into(offset, buf, length)
        return buf.raw

    def close(self):
        self.lib.iscsi_logout_sync(self.ctx)
        self.lib.iscsi_destroy_context(self.ctx)


def aligned(n, what):
    if n % BLOCK:
        raise SystemExit(f"{what} must be a multiple of {BLOCK}, got {n}")
    return n


def bench(lun, path, mib):
    """MiB/s and IOPS of the same four patterns, through the LUN and on the file itself."""
    span = mib * 1024 * 1024
    seq_size, rand_size = 256 * 1024, 4096
    rng = random.Random(7)
    rand_offsets = [rng.randrange(0, span // rand_size) * rand_size for _ in range(20000)]
    payload = os.urandom(seq_size)
    seq_buf = ctypes.create_string_buffer(seq_size)
    rand_buf = ctypes.create_string_buffer(rand_size)

    def timed(fn):
        start = time.perf_counter()
        n = fn()
        return n, time.perf_counter() - start

    def lun_patterns():
        return {
            "seq_write": timed(lambda: sum(lun.write(o, payload) or seq_size for o in range(0, span, seq_size))),
            "seq_read": timed(lambda: sum(lun.read_into(o, seq_buf, seq_size) or seq_size for o in range(0, span, seq_size))),
            "rand_write": timed(lambda: sum(lun.write(o, payload[:rand_size]) or rand_size for o in rand_offsets)),
            "rand_read": timed(lambda: sum(lun.read_into(o, rand_buf, rand_size) or rand_size for o in rand_offsets)),
        }

    def file_patterns():
        fd = os.open(path, os.O_RDWR)
        try:
            return {
                "seq_write": timed(lambda: sum(os.pwrite(fd, payload, o) for o in range(0, span, seq_size))),
                "seq_read": timed(lambda: sum(len(os.pread(fd, seq_size, o)) for o in range(0, span, seq_size))),
                "rand_write": timed(lambda: sum(os.pwrite(fd, payload[:rand_size], o) for o in rand_offsets)),
                "rand_read": timed(lambda: sum(len(os.pread(fd, rand_size, o)) for o in rand_offsets)),
            }
        finally:
            os.close(fd)

    direct = file_patterns()
    through = lun_patterns()
    out = {}
    for name in direct:
        (nb_f, t_f), (nb_l, t_l) = direct[name], through[name]
        size = seq_size if name.startswith("seq") else rand_size
        out[name] = {
            "ioSize": size,
            "file": {"mibPerS": nb_f / t_f / 2**20, "iops": nb_f / size / t_f},
            "lun": {"mibPerS": nb_l / t_l / 2**20, "iops": nb_l / size / t_l},
            "ratio": (nb_l / t_l) / (nb_f / t_f),
        }
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["write", "read", "time", "bench"])
    p.add_argument("url")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("-i", "--initiator", default="iqn.2026-01.io.blockplane:host")
    args = p.parse_args()
    lun = Lun(args.url, args.initiator)
    try:
        if args.command == "write":
            data = bytes.fromhex(args.b)
            lun.write(aligned(int(args.a), "the offset"), data + bytes(-len(data) % BLOCK))
        elif args.command == "read":
            print(lun.read(aligned(int(args.a), "the offset"), aligned(int(args.b), "the length")).hex())
        elif args.command == "time":
            buf = ctypes.create_string_buffer(4096)
            start = time.perf_counter()
            for _ in range(int(args.b)):
                lun.read_into(aligned(int(args.a), "the offset"), buf, 4096)
            print(f"{time.perf_counter() - start:.6f}")
        else:
            print(json.dumps(bench(lun, args.a, int(args.b))))
    finally:
        lun.close()


if __name__ == "__main__":
    main()
