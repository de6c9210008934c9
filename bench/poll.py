"""Cost of one full `driver.snapshot()` per vendor against a raw pyserial loop, over a pty.

For each vendor profile a simulated module is served on a pseudo-terminal in this process
(`PtySimulator`). The driver polls it a few times to learn what the firmware lacks (as it
would in the daemon), then one steady-state snapshot is recorded command by command. The
same command sequence is then replayed raw — write ``cmd\\r``, read until a final result
line — so both sides pay the same modem round trips and the ratio is the driver's own
cost: AT engine, parsing, policy. Both sides use the one port object (same timeouts) and
read every response in full, up to its final result line: the same bytes each way. Blocks
of the two alternate so drift hits both alike.

    .venv/bin/python bench/poll.py [--n N] [--block B] [--vendor V ...] [--json]

The overall ratio is the sum of the driver medians over the sum of the raw medians. The
default of 200 snapshots of each kind per vendor keeps the medians steady on a shared
machine; fewer (``--n 50``) read about 5 % higher here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import serial

from drivers.at.channel import AtChannel
from drivers.generic import Generic3gppModem
from drivers.registry import driver_class
from drivers.simulator.modem import SimulatedModem
from drivers.simulator.profiles import known_profiles
from drivers.simulator.server import PtySimulator

WARMUP = 5
# The finals the AT channel ends an exchange on (drivers.at.finals), so that no response
# is cut short or waited past on the raw side.
_FINAL_LINES = (
    b"OK",
    b"ERROR",
    b"NO CARRIER",
    b"BUSY",
    b"NO ANSWER",
    b"NO DIALTONE",
    b"COMMAND NOT SUPPORT",
)
_FINAL_PREFIXES = (b"+CME ERROR:", b"+CMS ERROR:", b"CONNECT", b"MODEM ERROR:")


def record_commands(driver: Generic3gppModem) -> list[str]:
    """The commands one snapshot sends, in order (recorded around channel.command)."""
    channel = driver.channel
    sent: list[str] = []
    original = channel.command

    def recording(cmd: str, **kwargs: object):  # type: ignore[no-untyped-def]
        sent.append(cmd)
        return original(cmd, **kwargs)  # type: ignore[arg-type]

    channel.command = recording  # type: ignore[method-assign]
    try:
        driver.snapshot()
    finally:
        del channel.command  # back to the class's method
    return sent


def _is_final(buf: bytes) -> bool:
    if not buf.endswith(b"\r\n"):
        return False
    last = buf[:-2].rsplit(b"\r\n", 1)[-1]
    return last in _FINAL_LINES or last.startswith(_FINAL_PREFIXES)


def raw_exchange(port: serial.Serial, command: bytes) -> bytes:
    """The leanest correct pyserial loop: write, then read what is there until a final."""
    port.write(command)
    buf = b""
    while not _is_final(buf):
        waiting = port.in_waiting
        chunk = port.read(waiting) if waiting else port.read(1)
        if not chunk:
            raise TimeoutError(f"no final result for {command!r}")
        buf += chunk
    return buf


def raw_poll(port: serial.Serial, commands: list[bytes]) -> float:
    start = time.perf_counter()
    for command in commands:
        raw_exchange(port, command)
    return time.perf_counter() - start


def driver_poll(driver: Generic3gppModem) -> float:
    start = time.perf_counter()
    driver.snapshot()
    return time.perf_counter() - start


def bench_vendor(vendor: str, n: int, block: int) -> dict[str, float | int]:
    simulator = PtySimulator(SimulatedModem(vendor))
    path = simulator.start()
    port = serial.Serial(path, 115200, timeout=0.05)
    channel = AtChannel(port, timeout=2.0, name=path)
    try:
        channel.initialize()
        driver = driver_class(vendor)(channel, port=path)
        for _ in range(WARMUP):  # learn the unsupported commands, warm caches and the pty
            driver.snapshot()
        commands = [f"{cmd}\r".encode() for cmd in record_commands(driver)]
        for _ in range(WARMUP):
            raw_poll(port, commands)
        raw: list[float] = []
        engine: list[float] = []
        done = 0
        while done < n:
            size = min(block, n - done)
            first_raw = (done // block) % 2 == 0
            for use_raw in (first_raw, not first_raw):
                if use_raw:
                    raw.extend(raw_poll(port, commands) for _ in range(size))
                else:
                    engine.extend(driver_poll(driver) for _ in range(size))
            done += size
    finally:
        channel.close()
        simulator.stop()
    raw_med = statistics.median(raw) * 1e3
    eng_med = statistics.median(engine) * 1e3
    return {
        "commands": len(commands),
        "raw_median_ms": round(raw_med, 3),
        "driver_median_ms": round(eng_med, 3),
        "ratio": round(eng_med / raw_med, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="snapshots of each kind per vendor")
    parser.add_argument("--block", type=int, default=10, help="snapshots per block")
    parser.add_argument(
        "--vendor", action="append", choices=known_profiles(), help="repeatable; default all"
    )
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = parser.parse_args(argv)
    if args.n < 1 or args.block < 1:
        parser.error("--n and --block must be positive")

    # Production runs at INFO; the debug event per exchange is then filtered out.
    from agent.logsetup import configure_logging

    configure_logging("json", verbose=0, stream=sys.stderr)

    vendors = args.vendor or known_profiles()
    results = {vendor: bench_vendor(vendor, args.n, args.block) for vendor in vendors}
    print(f"snapshots: {args.n} of each kind per vendor, alternating blocks of {args.block}")
    print(f"{'vendor':<10}{'cmds':>5}{'raw ms':>10}{'driver ms':>11}{'ratio':>8}")
    for vendor, r in results.items():
        print(
            f"{vendor:<10}{r['commands']:>5}{r['raw_median_ms']:>10.3f}"
            f"{r['driver_median_ms']:>11.3f}{r['ratio']:>8.3f}"
        )
    raw_total = sum(float(r["raw_median_ms"]) for r in results.values())
    eng_total = sum(float(r["driver_median_ms"]) for r in results.values())
    ratio = round(eng_total / raw_total, 3)
    print(f"overall ratio driver/raw (sum of medians): {ratio:.3f}  (target <= 1.15)")
    if args.json:
        per_vendor = {vendor: r["ratio"] for vendor, r in results.items()}
        print(json.dumps({"ratio": ratio, "per_vendor": per_vendor}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
