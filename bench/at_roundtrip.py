"""Round-trip cost of AtChannel.command() against a raw pyserial loop, on one pty.

A responder thread answers ``AT+CSQ\\r`` with ``\\r\\n+CSQ: 20,99\\r\\n\\r\\nOK\\r\\n``. Blocks
of raw and engine round trips alternate so drift on a noisy machine hits both alike.
Commands go back to back, so the engine skips its look for input that arrived while it
was idle (BACK_TO_BACK in drivers/at/channel.py); after an idle gap that look costs one
more in_waiting call per command.

    .venv/bin/python bench/at_roundtrip.py [--n N] [--block B] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import statistics
import sys
import threading
import time
import tty
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import serial

from drivers.at.channel import AtChannel

COMMAND = b"AT+CSQ\r"
REPLY = b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
FINAL = b"OK\r\n"


class Responder(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="bench-responder", daemon=True)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self._stop_r, self._stop_w = os.pipe()

    def run(self) -> None:
        pending = b""
        while True:
            ready, _, _ = select.select([self.master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            pending += os.read(self.master, 4096)
            while b"\r" in pending:
                cmd, pending = pending.split(b"\r", 1)
                os.write(self.master, REPLY if cmd == COMMAND[:-1] else b"\r\nERROR\r\n")

    def stop(self) -> None:
        os.write(self._stop_w, b"x")
        self.join(timeout=5)
        for fd in (self.master, self.slave, self._stop_r, self._stop_w):
            with contextlib.suppress(OSError):
                os.close(fd)


def raw_roundtrip(port: serial.Serial) -> float:
    """The leanest correct pyserial loop: write, then read what is there until OK."""
    start = time.perf_counter()
    port.write(COMMAND)
    buf = b""
    while not buf.endswith(FINAL):
        waiting = port.in_waiting
        chunk = port.read(waiting) if waiting else port.read(1)
        if not chunk:
            raise TimeoutError("no reply")
        buf += chunk
    return time.perf_counter() - start


def engine_roundtrip(channel: AtChannel) -> float:
    start = time.perf_counter()
    response = channel.command("AT+CSQ")
    elapsed = time.perf_counter() - start
    if response.lines != ("+CSQ: 20,99",):
        raise AssertionError(f"unexpected response {response!r}")
    return elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="round trips of each kind")
    parser.add_argument("--block", type=int, default=50, help="round trips per block")
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = parser.parse_args(argv)
    if args.n < 1 or args.block < 1:
        parser.error("--n and --block must be positive")

    # Production runs at INFO; the debug event per exchange is then filtered out.
    from agent.logsetup import configure_logging

    configure_logging("json", verbose=0, stream=sys.stderr)

    responder = Responder()
    responder.start()
    port = serial.Serial(responder.path, 115200, timeout=0.05)
    channel = AtChannel(port, timeout=2.0, name="bench")
    raw: list[float] = []
    engine: list[float] = []
    pairs: list[float] = []  # engine/raw of the medians of two neighbouring blocks
    try:
        for _ in range(50):  # warm up both paths (caches, branch predictors, the pty)
            raw_roundtrip(port)
            engine_roundtrip(channel)
        done = 0
        while done < args.n:
            block = min(args.block, args.n - done)
            first, second = (raw, engine) if (done // args.block) % 2 == 0 else (engine, raw)
            for samples in (first, second):
                if samples is raw:
                    samples.extend(raw_roundtrip(port) for _ in range(block))
                else:
                    samples.extend(engine_roundtrip(channel) for _ in range(block))
            pairs.append(statistics.median(engine[-block:]) / statistics.median(raw[-block:]))
            done += block
    finally:
        port.close()
        responder.stop()

    raw_med = statistics.median(raw) * 1e6
    eng_med = statistics.median(engine) * 1e6
    result = {
        "n": len(engine),
        "raw_median_us": round(raw_med, 1),
        "raw_p90_us": round(percentile(raw, 0.9) * 1e6, 1),
        "engine_median_us": round(eng_med, 1),
        "engine_p90_us": round(percentile(engine, 0.9) * 1e6, 1),
        "ratio": round(eng_med / raw_med, 3),
        # The machine can change speed within a run (a CPU leaving idle states, other
        # load); each pair of blocks ran under the same conditions, so the median of the
        # per-pair ratios stays put where the ratio of the medians of two mixed
        # distributions jumps.
        "paired_ratio": round(statistics.median(pairs), 3),
    }
    print(f"round trips: {result['n']} of each, alternating blocks of {args.block}")
    print(
        f"raw pyserial : median {result['raw_median_us']:8.1f} µs  p90 {result['raw_p90_us']:8.1f}"
    )
    print(
        f"AtChannel    : median {result['engine_median_us']:8.1f} µs"
        f"  p90 {result['engine_p90_us']:8.1f}"
    )
    print(f"ratio engine/raw (median): {result['ratio']:.3f}  (target <= 1.15)")
    print(f"median of per-block-pair ratios: {result['paired_ratio']:.3f}")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
