"""What each `posagent` command does; argument parsing lives in agent/cli.py."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from agent import process
from agent.config import ConfigError, Settings, default_config_path, resolve_state_dir
from drivers.errors import AtCommandError, AtTimeout, ModemError
from drivers.records import replace

EXIT_CONFIG = 2


def err(message: str) -> None:
    """One clear line on stderr for a person (logs may be JSON; this is not a log)."""
    print(f"posagent: {message}", file=sys.stderr, flush=True)


def config_path(args: argparse.Namespace) -> Path | None:
    """The configuration file in use: ``--config``, else ``$POSAGENT_CONFIG``, else the
    default path if there is a file there; None: built-in defaults."""
    if args.config:
        return Path(args.config)
    path, explicit = default_config_path()
    return path if explicit or path.exists() else None


def load_settings(args: argparse.Namespace) -> Settings:
    """The configuration the command runs with. No file at all → built-in defaults, said once."""
    path = config_path(args)
    if path is None:
        settings = Settings()
        state_dir, _ = resolve_state_dir(settings)
        err(
            f"no configuration at {default_config_path()[0]}; using built-in defaults "
            f"(state in {state_dir})"
        )
        return settings
    from agent.config import load_config  # the YAML loader, only when there is a file

    return load_config(path)


def print_problems(error: ConfigError) -> None:
    for problem in error.problems:
        print(str(problem), file=sys.stderr)


def settings_or_exit(args: argparse.Namespace) -> Settings | int:
    try:
        return load_settings(args)
    except ConfigError as error:
        print_problems(error)
        return EXIT_CONFIG


def now_of(args: argparse.Namespace) -> datetime:
    return args.now if args.now is not None else datetime.now().astimezone()


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


# -- simulate ----------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    from drivers.simulator.server import serve

    process.keep_running()

    try:
        return serve(
            vendor=args.vendor,
            scenario_path=args.scenario,
            link=args.link,
            tcp=args.tcp,
            control=args.control,
        )
    except (ValueError, OSError) as error:
        err(str(error))
        return 2


# -- probe -------------------------------------------------------------------------------


def cmd_probe(args: argparse.Namespace) -> int:
    from drivers.ports import probe

    found = probe()
    rows = [
        {
            "port": c.device,
            "vid_pid": c.vid_pid,
            "interface": c.interface,
            "role": c.role,
            "answers_at": c.answers_at,
            "manufacturer": c.manufacturer,
            "model": c.model,
            "driver": c.driver,
            "note": c.error,
        }
        for c in found
    ]
    if args.json:
        print_json({"ports": rows})
    elif not rows:
        print("no serial ports found")
    else:
        header = ("PORT", "VID:PID", "IF", "AT", "MANUFACTURER", "MODEL", "DRIVER", "NOTE")
        table = [header] + [
            (
                r["port"],
                r["vid_pid"] or "-",
                "-" if r["interface"] is None else str(r["interface"]),
                {True: "yes", False: "no", None: "-"}[r["answers_at"]],
                r["manufacturer"] or "-",
                r["model"] or "-",
                r["driver"] or "-",
                r["note"] or "",
            )
            for r in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        for row in table:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0 if any(c.answers_at for c in found) else 1


# -- at ----------------------------------------------------------------------------------


def cmd_at(args: argparse.Namespace) -> int:
    from agent.poll import modem_options
    from drivers.connect import open_channel

    settings = settings_or_exit(args)
    if isinstance(settings, int):
        return settings
    options = modem_options(settings, args.port)
    if args.timeout:
        options = replace(options, timeout=args.timeout)
    try:
        port, channel = open_channel(options)
    except ModemError as error:
        err(str(error))
        return 2
    status = 0
    try:
        for command in args.at_commands:
            try:
                response = channel.command(command)
            except AtCommandError as error:
                for line in error.lines:
                    print(line)
                print(error.final, flush=True)
                status = 1
                continue
            for line in response.lines:
                print(line)
            print(response.final, flush=True)
    except AtTimeout as error:
        err(f"{port}: {error}")
        return 2
    except ModemError as error:
        err(str(error))
        return 2
    finally:
        channel.close()
    return status


# -- check / status / usage --------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from agent.poll import check_once

    settings = settings_or_exit(args)
    if isinstance(settings, int):
        return 3
    obj, reason = check_once(
        settings,
        port=args.port,
        now=args.now,
        report=not args.no_report,
    )
    if reason is not None:
        err(reason)
    return _emit_status(obj, args.json)


def _emit_status(obj: dict[str, Any], as_json: bool) -> int:
    from agent.findings import Severity
    from agent.report import summary_lines

    if as_json:
        print_json(obj)
    else:
        print("\n".join(summary_lines(obj)), flush=True)
    return Severity(obj["status"]).exit_code


def cmd_status(args: argparse.Namespace) -> int:
    from agent.poll import last_status

    settings = settings_or_exit(args)
    if isinstance(settings, int):
        return 3
    obj = last_status(settings, now=args.now)
    if obj is None:
        err("no state recorded yet: run `posagent check` or the daemon first")
        return 3
    return _emit_status(obj, args.json)


def cmd_usage(args: argparse.Namespace) -> int:
    from agent.poll import set_used, usage_report
    from agent.units import parse_size

    settings = settings_or_exit(args)
    if isinstance(settings, int):
        return settings
    if args.set_used is not None:
        try:
            target = parse_size(args.set_used)
        except ValueError as error:
            err(f"--set-used: {error}")
            return 2
        try:
            message = set_used(settings, target, iccid=args.iccid, now=now_of(args))
        except LookupError as error:
            err(str(error))
            return 2
        print(message)
        return 0
    report = usage_report(settings, iccid=args.iccid, now=now_of(args))
    if args.json:
        print_json(report)
        return 0
    if not report["sims"]:
        print("no usage recorded yet")
    for sim in report["sims"]:
        from agent.report import format_bytes

        print(f"SIM {sim['iccid']} (plan {sim['plan'] or '-'})")
        if not sim["cycles"]:
            print("  no traffic counted yet (the first reading is the baseline)")
        for cycle in sim["cycles"]:
            quota = format_bytes(cycle["quota_bytes"]) if cycle["quota_bytes"] else "-"
            print(
                f"  {cycle['start']} – {cycle['end']}: used {format_bytes(cycle['used_bytes'])}"
                f" of {quota} (rx {format_bytes(cycle['rx_bytes'])},"
                f" tx {format_bytes(cycle['tx_bytes'])})"
            )
    return 0


# -- run ---------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from agent.daemon import Daemon

    process.keep_running()

    settings = settings_or_exit(args)
    if isinstance(settings, int):
        return settings
    path = config_path(args)  # SIGHUP reloads it
    daemon = Daemon(settings, config_path=str(path) if path else None, port=args.port)
    daemon.install_signal_handlers()
    return daemon.run_forever()


# -- demo --------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from agent.demo import run_demo
    from agent.logsetup import configure_logging

    process.keep_running()

    configure_logging(args.log_format, verbose=args.verbose, quiet=not args.verbose)
    return run_demo(speed=args.speed * 86400.0)


# -- config check ------------------------------------------------------------------------


def cmd_config_check(args: argparse.Namespace) -> int:
    path = config_path(args)
    try:
        if path is None:
            settings = Settings()  # what load_config(None) gives, without the YAML loader
        else:
            from agent.config import load_config

            settings = load_config(path)
    except ConfigError as error:
        print_problems(error)
        return EXIT_CONFIG
    where = str(path) if path else "built-in defaults (no configuration file)"
    print(f"{where}: valid ({len(settings.plans)} plan(s), modem port {settings.modem.port})")
    return 0
