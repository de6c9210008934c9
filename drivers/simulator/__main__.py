"""``python -m drivers.simulator``: the same simulator `posagent simulate` starts."""

from __future__ import annotations

import argparse
import sys

from drivers.simulator.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.simulator",
        description="Serve a simulated cellular modem on a new pseudo-terminal or TCP socket.",
    )
    parser.add_argument("--vendor", default="generic", help="modem profile (default: generic)")
    parser.add_argument("--scenario", metavar="FILE", help="scenario YAML: state and timeline")
    parser.add_argument("--link", metavar="PATH", help="also make a symlink to the pty here")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="serve on TCP instead of a pty")
    parser.add_argument("--control", metavar="SOCKET", help="UNIX socket taking JSON changes")
    args = parser.parse_args(argv)
    return serve(args.vendor, args.scenario, args.link, args.tcp, args.control)


if __name__ == "__main__":
    sys.exit(main())
