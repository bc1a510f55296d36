#!/usr/bin/env python3
"""Soak: mosaic-nested, headless, serving real clients for a while.

weston-simple-shm and weston-simple-damage draw all along; meanwhile a bare
client connects, binds the registry, waits for a wl_display.sync and
disconnects, 1000 times spread over the run (--connects). Every 10 s
(--interval) the RSS and open fds of mosaic-nested are sampled and printed
as a table.

The bound, checked at the end: from the first sample after the warm-up
(--warmup, 30 s) to the last one, RSS may grow by at most --rss-slack-kib
(8192) and the fd count by at most --fd-slack (2); mosaic-nested and both
clients must still be running, and every connection must have completed.
Exit status 1 when a bound is broken, 77 when a weston client is missing.

    bench/soak.py --minutes 3 [--renderer pixman] [--nested build/examples/nested/mosaic-nested]
"""
import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def connect_once(path, timeout=5.0):
    """Registry + sync round trip on the raw wire protocol; True when done came back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        # wl_display(1).get_registry(new_id 2), wl_display(1).sync(new_id 3)
        msg = struct.pack("<III", 1, (12 << 16) | 1, 2) + struct.pack("<III", 1, (12 << 16) | 0, 3)
        s.sendall(msg)
        buf = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                return False
            buf += chunk
            while len(buf) >= 8:
                obj, word = struct.unpack_from("<II", buf)
                size = word >> 16
                if size < 8 or len(buf) < size:
                    break
                if obj == 3 and (word & 0xFFFF) == 0:
                    return True
                buf = buf[size:]
        return False
    except OSError:
        return False
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--connects", type=int, default=1000)
    ap.add_argument("--warmup", type=float, default=30.0, help="seconds before the baseline")
    ap.add_argument("--rss-slack-kib", type=int, default=8192)
    ap.add_argument("--fd-slack", type=int, default=2)
    ap.add_argument("--renderer", default="pixman")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--nested",
                    default=os.path.join(HERE, "..", "build", "examples", "nested", "mosaic-nested"))
    args = ap.parse_args()

    clients = ["weston-simple-shm", "weston-simple-damage"]
    for c in clients:
        if shutil.which(c) is None:
            print(f"{c} is not installed")
            return 77
    if not os.access(args.nested, os.X_OK):
        print(f"no mosaic-nested at {args.nested} (build it, or pass --nested)")
        return 1

    runtime = tempfile.mkdtemp(prefix="mosaic-soak-")
    os.chmod(runtime, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, WAYLAND_DISPLAY="soak-0")
    env.pop("DISPLAY", None)
    sock = os.path.join(runtime, "soak-0")
    log = open(os.path.join(runtime, "nested.log"), "w")
    nested = subprocess.Popen([args.nested, "--headless", "--renderer", args.renderer,
                               "--size", args.size, "--socket", "soak-0"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    procs = []
    failed = []
    try:
        for _ in range(500):
            if os.path.exists(sock) or nested.poll() is not None:
                break
            time.sleep(0.01)
        if not os.path.exists(sock):
            print("mosaic-nested did not start; its log:")
            log.flush()
            print(open(log.name).read())
            return 1
        for c in clients:
            procs.append(subprocess.Popen([c], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))

        duration = args.minutes * 60.0
        start = time.monotonic()
        gap = duration / max(args.connects, 1)
        next_connect = start
        next_sample = start
        connects = ok_connects = 0
        rows = []
        print(f"mosaic-nested {args.renderer} {args.size}, {clients[0]} + {clients[1]}, "
              f"{args.connects} connections over {args.minutes:g} min")
        print(f"{'t (s)':>7} {'RSS (KiB)':>10} {'fds':>5} {'connects':>9}")
        while True:
            now = time.monotonic()
            if nested.poll() is not None:
                failed.append(f"mosaic-nested exited with status {nested.returncode}")
                break
            if now >= next_sample:
                row = (now - start, rss_kib(nested.pid), fd_count(nested.pid), connects)
                rows.append(row)
                print(f"{row[0]:7.0f} {row[1]:10d} {row[2]:5d} {row[3]:9d}", flush=True)
                next_sample += args.interval
                if now - start >= duration:
                    break
            if connects < args.connects and now >= next_connect:
                connects += 1
                ok_connects += connect_once(sock)
                next_connect += gap
                continue
            time.sleep(max(0.0, min(next_sample, next_connect if connects < args.connects
                                    else next_sample) - time.monotonic()))

        for c, p in zip(clients, procs):
            if p.poll() is not None:
                failed.append(f"{c} exited with status {p.returncode}")
        if ok_connects != connects or connects != args.connects:
            failed.append(f"{ok_connects} of {connects} connections completed "
                          f"({args.connects} planned)")
        base = next((r for r in rows if r[0] >= args.warmup), None)
        if base is not None and len(rows) >= 2 and rows[-1] is not base:
            last = rows[-1]
            drss, dfd = last[1] - base[1], last[2] - base[2]
            print(f"from t={base[0]:.0f} s to t={last[0]:.0f} s: RSS {drss:+d} KiB "
                  f"(bound {args.rss_slack_kib}), fds {dfd:+d} (bound {args.fd_slack})")
            if drss > args.rss_slack_kib:
                failed.append(f"RSS grew by {drss} KiB")
            if dfd > args.fd_slack:
                failed.append(f"fds grew by {dfd}")
        else:
            failed.append("the run is too short for a baseline after the warm-up")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        nested.terminate()
        try:
            nested.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nested.kill()
            failed.append("mosaic-nested did not exit on SIGTERM")
        log.close()
    for f in failed:
        print(f"FAIL: {f}")
    if failed:
        print(f"mosaic-nested's log: {log.name}")
        return 1
    shutil.rmtree(runtime, ignore_errors=True)
    print("within bounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
