"""`posagent` command line (SPEC.md "Command line").

Logs go to stderr; stdout carries only the command's own output.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from agent import __version__, process
from agent.logsetup import configure_logging

Handler = Callable[[argparse.Namespace], int]


def _parse_now(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {value!r}") from err
    if when.tzinfo is None:
        when = when.astimezone()  # a naive time is the terminal's local time
    return when


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (which brings zlib,
    bz2 and lzma into every run only to size the help text)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns or 80


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own formatter at the width argparse would choose (terminal width - 2)."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


_Parser = functools.partial(argparse.ArgumentParser, formatter_class=_HelpFormatter)


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Global options are accepted before and after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default, help="configuration file")
    parser.add_argument(
        "--log-format", choices=("console", "json"), default=default, help="log format on stderr"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS if suppress else 0
    )
    parser.add_argument(
        "--now",
        type=_parse_now,
        default=default,
        metavar="ISO-8601",
        help="evaluate the plan as if it were this time",
    )


def build_parser() -> argparse.ArgumentParser:
    from agent import commands

    parser = _Parser(
        prog="posagent",
        description="Watches a POS terminal's cellular modem, SIM and data plan.",
    )
    parser.add_argument("--version", action="version", version=f"posagent {__version__}")
    _global_options(parser, suppress=False)
    common = _Parser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    p = sub.add_parser("simulate", parents=[common], help="run a simulated modem")
    p.add_argument("--vendor", default="quectel")
    p.add_argument("--scenario", metavar="FILE")
    p.add_argument("--link", metavar="PATH", help="also make a symlink to the pty")
    p.add_argument("--tcp", metavar="HOST:PORT", help="serve on a TCP socket instead of a pty")
    p.add_argument("--control", metavar="SOCKET", help="UNIX socket taking JSON events")
    p.set_defaults(handler=commands.cmd_simulate)

    p = sub.add_parser("probe", parents=[common], help="find modems on the serial ports")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=commands.cmd_probe)

    p = sub.add_parser("at", parents=[common], help="send raw AT commands")
    p.add_argument("--port", metavar="P")
    p.add_argument("--timeout", type=float, metavar="S")
    p.add_argument("at_commands", nargs="+", metavar="CMD")
    p.set_defaults(handler=commands.cmd_at)

    p = sub.add_parser("check", parents=[common], help="one poll: read, account, evaluate")
    p.add_argument("--port", metavar="P")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-report", action="store_true", help="deliver nothing to the sinks")
    p.set_defaults(handler=commands.cmd_check)

    p = sub.add_parser("run", parents=[common], help="the daemon: poll, listen, report")
    p.add_argument("--port", metavar="P")
    p.set_defaults(handler=commands.cmd_run)

    p = sub.add_parser("demo", parents=[common], help="see posagent at work in a minute")
    p.add_argument(
        "--speed", type=float, default=1.5, metavar="DAYS", help="simulated days per second"
    )
    p.set_defaults(handler=commands.cmd_demo)

    p = sub.add_parser("status", parents=[common], help="the last known state, modem untouched")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=commands.cmd_status)

    p = sub.add_parser("usage", parents=[common], help="usage per SIM per billing cycle")
    p.add_argument("--json", action="store_true")
    p.add_argument("--iccid", metavar="X")
    p.add_argument(
        "--set-used", metavar="SIZE", help="what the carrier says this cycle has used so far"
    )
    p.set_defaults(handler=commands.cmd_usage)

    p = sub.add_parser("config", parents=[common], help="configuration")
    config_sub = p.add_subparsers(
        dest="config_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    c = config_sub.add_parser("check", parents=[common], help="validate the configuration")
    c.set_defaults(handler=commands.cmd_config_check)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_format, verbose=args.verbose)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def entry() -> int:
    """`posagent` and `python -m agent`: `main` in a process of its own (see agent.process)."""
    process.start_command()
    try:
        return main()
    finally:
        process.end_command()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(entry())
