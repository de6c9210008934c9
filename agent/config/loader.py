"""YAML text → Settings, reporting every problem at once as ``FILE:LINE: message``."""

from __future__ import annotations

import os
import string
from collections.abc import Callable
from types import MappingProxyType
from typing import Any
from urllib.parse import urlparse

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from agent.config import values as v
from agent.config.nodes import (
    BAD,
    ConfigError,
    ConfigProblem,
    Reader,
    is_null,
    suggest,
)
from agent.config.paths import CONFIG_ENV as CONFIG_ENV
from agent.config.paths import DEFAULT_CONFIG_PATH as DEFAULT_CONFIG_PATH
from agent.config.paths import default_config_path as default_config_path
from agent.config.settings import (
    DRIVER_NAMES,
    NOTICE_KINDS,
    AlertSettings,
    BalanceSettings,
    CarrierSmsSettings,
    HttpSettings,
    ModemSettings,
    MqttSettings,
    ReportSettings,
    Settings,
    SignalSettings,
    SimRule,
    SmsSettings,
)
from drivers.records import MISSING, fields

_Entries = dict[str, tuple[Node, Node]]


def load_config(path: str | os.PathLike[str] | None) -> Settings:
    """Settings from a file; None gives the built-in defaults. Raises ConfigError."""
    if path is None:
        return Settings()
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as err:
        raise ConfigError([ConfigProblem(name, None, f"not UTF-8 text: {err.reason}")]) from err
    except OSError as err:
        reason = err.strerror or str(err)
        raise ConfigError([ConfigProblem(name, None, f"cannot read: {reason}")]) from err
    return parse_config_text(text, name)


def parse_config_text(text: str, filename: str = "<config>") -> Settings:
    """Settings from YAML text; ``filename`` is what problems are reported against."""
    r = Reader(filename)
    root = r.compose(text)
    settings = Settings(source=filename) if root is None else _settings(r, root, filename)
    if r.problems:
        raise ConfigError(r.sorted_problems())
    return settings


# -- sections ----------------------------------------------------------------------------

_TOP_KEYS = (
    "modem",
    "poll_interval",
    "checkpoint",
    "state_dir",
    "signal",
    "allowed_iccid_prefixes",
    "default_plan",
    "plans",
    "sims",
    "balance",
    "carrier_sms",
    "report",
    "alerts",
)


def _settings(r: Reader, root: Node, filename: str) -> Settings:
    if is_null(root):
        return Settings(source=filename)
    top = r.mapping(root, "", _TOP_KEYS)
    if top is BAD:
        return Settings(source=filename)
    base = Settings()
    out: dict[str, Any] = {"source": filename}

    def take(key: str, convert: Callable[[Node, str], Any]) -> None:
        if key in top:
            value = convert(top[key][1], key)
            if value is not BAD:
                out[key] = value

    take("modem", lambda n, p: _modem(r, n, p))
    take("poll_interval", lambda n, p: v.duration(r, n, p))
    take("checkpoint", lambda n, p: v.duration(r, n, p, positive=False))
    take("state_dir", lambda n, p: v.path_value(r, n, p, nullable=False))
    take("signal", lambda n, p: _signal(r, n, p))
    take("allowed_iccid_prefixes", lambda n, p: _prefix_list(r, n, p))
    take("plans", lambda n, p: _plans(r, n, p))
    take("carrier_sms", lambda n, p: _carrier_sms(r, n, p))
    take("balance", lambda n, p: None if is_null(n) else _balance(r, n, p))
    take("report", lambda n, p: _report(r, n, p))
    take("alerts", lambda n, p: _alerts(r, n, p))

    # References are checked against every plan named, even one that failed to load, so
    # that its own problems are not repeated as "unknown plan" elsewhere.
    names = _plan_names(top["plans"][1]) if "plans" in top else frozenset(base.plans)
    take("default_plan", lambda n, p: _plan_ref(r, n, p, names, nullable=True))
    take("sims", lambda n, p: _sims(r, n, p, names))
    return Settings(**out)


def _section(
    r: Reader, node: Node, path: str, cls: type, converters: dict[str, Callable[[Node, str], Any]]
) -> Any:
    """A mapping read into ``cls``: keys are its fields; missing keys keep their defaults;
    a key with no default is required."""
    entries = r.mapping(node, path, converters)
    if entries is BAD:
        return BAD
    kwargs: dict[str, Any] = {}
    ok = True
    for name, (_, value_node) in entries.items():
        value = converters[name](value_node, f"{path}.{name}")
        if value is BAD:
            ok = False
        else:
            kwargs[name] = value
    required = [
        f.name
        for f in fields(cls)
        if f.default is MISSING and f.default_factory is MISSING and f.name in converters
    ]
    for name in required:
        if name not in entries:
            r.problem(r.owner(node), f"{path}: {name} is required")
            ok = False
    return cls(**kwargs) if ok else BAD


def _modem(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        ModemSettings,
        {
            "port": lambda n, p: v.text(r, n, p),
            "baudrate": lambda n, p: v.integer(r, n, p, lo=300, hi=4_000_000),
            "driver": lambda n, p: _driver(r, n, p),
            "timeout": lambda n, p: v.duration(r, n, p),
            "interface": lambda n, p: v.text(r, n, p, nullable=True),
            "soft_reset_after": lambda n, p: v.integer(r, n, p, lo=0, hi=1000),
        },
    )


def _driver(r: Reader, node: Node, path: str) -> Any:
    value = v.text(r, node, path)
    if value is BAD or value in DRIVER_NAMES:
        return value
    return r.problem(
        node,
        f"{path}: unknown driver {value!r}{suggest(value, DRIVER_NAMES)} "
        f"(known: {', '.join(DRIVER_NAMES)})",
    )


def _signal(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        SignalSettings,
        {"weak_dbm": lambda n, p: v.integer(r, n, p, lo=-150, hi=-30)},
    )


def _prefix_list(r: Reader, node: Node, path: str) -> Any:
    items = r.sequence(node, path)
    if items is BAD:
        return BAD
    prefixes = [v.iccid_prefix(r, item, f"{path}[{i}]") for i, item in enumerate(items)]
    return BAD if BAD in prefixes else tuple(prefixes)


def _alerts(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        AlertSettings,
        {
            "remind": lambda n, p: v.duration(r, n, p),
            "not_registered_polls": lambda n, p: v.integer(r, n, p, lo=1),
            "signal_weak_polls": lambda n, p: v.integer(r, n, p, lo=1),
        },
    )


def _balance(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        BalanceSettings,
        {
            "ussd": lambda n, p: v.text(r, n, p),
            "pattern": lambda n, p: v.regex(r, n, p, amount_group=True),
            "minimum": lambda n, p: v.number(r, n, p, lo=0),
            "interval": lambda n, p: v.duration(r, n, p),
        },
    )


def _carrier_sms(r: Reader, node: Node, path: str) -> Any:
    """``true`` / ``false`` as SPEC.md has it, or a mapping that adapts the recognition."""
    if isinstance(node, ScalarNode):
        on = v.boolean(r, node, path)
        return on if on is BAD else CarrierSmsSettings() if on else None
    return _section(
        r,
        node,
        path,
        CarrierSmsSettings,
        {
            "senders": lambda n, p: _senders(r, n, p),
            "patterns": lambda n, p: _notice_patterns(r, n, p),
            "builtin_patterns": lambda n, p: v.boolean(r, n, p),
        },
    )


def _senders(r: Reader, node: Node, path: str) -> Any:
    items = r.sequence(node, path)
    if items is BAD:
        return BAD
    senders = []
    for i, item in enumerate(items):
        # The text as written: YAML would read 10086 as a number and 0123 as octal 83.
        text = str(item.value).strip() if isinstance(item, ScalarNode) and not is_null(item) else ""
        if not text:
            kind = "a list" if isinstance(item, SequenceNode) else "a mapping"
            what = "nothing" if isinstance(item, ScalarNode) else kind
            senders.append(
                r.problem(item, f"{path}[{i}] must be a number prefix or a sender name, not {what}")
            )
            continue
        # The sender's +86 is dropped before comparing (agent/carrier_sms.py), so here too.
        senders.append(text.removeprefix("+86") or text)
    return BAD if BAD in senders else tuple(senders)


def _notice_patterns(r: Reader, node: Node, path: str) -> Any:
    entries = r.mapping(node, path, NOTICE_KINDS)
    if entries is BAD:
        return BAD
    patterns: dict[str, tuple[Any, ...]] = {}
    for kind, (_, value_node) in entries.items():
        where = f"{path}.{kind}"
        items = r.sequence(value_node, where)
        if items is BAD:
            continue
        compiled = [v.regex(r, item, f"{where}[{i}]") for i, item in enumerate(items)]
        if BAD not in compiled:
            patterns[kind] = tuple(compiled)
    if len(patterns) < len(entries):
        return BAD
    return MappingProxyType(patterns)


def _report(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        ReportSettings,
        {
            "status_file": lambda n, p: v.path_value(r, n, p),
            "prometheus_textfile": lambda n, p: v.path_value(r, n, p),
            "heartbeat": lambda n, p: v.duration(r, n, p),
            "http": lambda n, p: None if is_null(n) else _http(r, n, p),
            "mqtt": lambda n, p: None if is_null(n) else _mqtt(r, n, p),
            "sms": lambda n, p: None if is_null(n) else _sms(r, n, p),
        },
    )


def _http(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        HttpSettings,
        {
            "url": lambda n, p: _url(r, n, p),
            "token_file": lambda n, p: v.path_value(r, n, p),
            "ca_file": lambda n, p: v.path_value(r, n, p),
        },
    )


def _url(r: Reader, node: Node, path: str) -> Any:
    value = v.text(r, node, path)
    if value is BAD:
        return BAD
    parsed = urlparse(value)
    if parsed.scheme == "http" and parsed.netloc:
        # The report carries the bearer token: it never goes out unencrypted.
        return r.problem(node, f"{path}: {value!r} is plain http; reports need https://")
    if parsed.scheme != "https" or not parsed.netloc:
        return r.problem(node, f"{path}: {value!r} is not an https:// URL")
    return value


def _mqtt(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        MqttSettings,
        {
            "host": lambda n, p: v.text(r, n, p),
            "port": lambda n, p: v.integer(r, n, p, lo=1, hi=65535),
            "tls": lambda n, p: v.boolean(r, n, p),
            "topic": lambda n, p: _topic(r, n, p),
            "username": lambda n, p: v.text(r, n, p, nullable=True),
            "password_file": lambda n, p: v.path_value(r, n, p),
            "ca_file": lambda n, p: v.path_value(r, n, p),
        },
    )


_TOPIC_FIELDS = ("imei", "iccid")


def _topic(r: Reader, node: Node, path: str) -> Any:
    value = v.text(r, node, path)
    if value is BAD:
        return BAD
    try:
        names = [f[1] for f in string.Formatter().parse(value) if f[1] is not None]
    except ValueError as err:
        return r.problem(node, f"{path}: {err} (write {{imei}} or {{iccid}})")
    unknown = [n for n in names if n not in _TOPIC_FIELDS]
    if unknown:
        return r.problem(
            node, f"{path}: unknown placeholder {{{unknown[0]}}}; use {{imei}} or {{iccid}}"
        )
    return value


def _sms(r: Reader, node: Node, path: str) -> Any:
    return _section(
        r,
        node,
        path,
        SmsSettings,
        {
            "to": lambda n, p: _phone(r, n, p),
            "max_per_day": lambda n, p: v.integer(r, n, p, lo=0),
        },
    )


def _phone(r: Reader, node: Node, path: str) -> Any:
    value = r.value(node, path)
    if value is BAD:
        return BAD
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads +8613800000000 unquoted as a number and drops the "+".
        return r.problem(node, f'{path}: quote the phone number, e.g. to: "+{value}"')
    number = value.replace(" ", "") if isinstance(value, str) else ""
    digits = number.removeprefix("+")
    if not (digits.isdigit() and 3 <= len(digits) <= 20):
        return r.problem(node, f"{path}: {value!r} is not a phone number such as +8613800000000")
    return number


# -- plans and SIMs ----------------------------------------------------------------------

_PLAN_KEYS = (
    "quota",
    "period",
    "reset_day",
    "timezone",
    "start",
    "expires",
    "warn_at",
    "warn_days",
    "addons",
)


def _plans(r: Reader, node: Node, path: str) -> Any:
    if is_null(node):
        return MappingProxyType({})
    entries = r.mapping(node, path, None)
    if entries is BAD:
        return BAD
    plans = {}
    ok = True
    for name, (key_node, value_node) in entries.items():
        if not name.strip():
            r.problem(key_node, f"{path}: a plan needs a name")
            ok = False
            continue
        plan = _plan(r, value_node, f"{path}.{name}", name)
        if plan is BAD:
            ok = False
        else:
            plans[name] = plan
    return MappingProxyType(plans) if ok else BAD


def _plan(r: Reader, node: Node, path: str, name: str) -> Any:
    entries: _Entries | Any = r.mapping(node, path, _PLAN_KEYS)
    if entries is BAD:
        return BAD

    def get(key: str, convert: Callable[[Node, str], Any], default: Any) -> Any:
        if key not in entries:
            return default
        return convert(entries[key][1], f"{path}.{key}")

    quota = get("quota", lambda n, p: v.size(r, n, p), BAD)
    if "quota" not in entries:
        r.problem(r.owner(node), f"{path}: quota is required (e.g. quota: 30MB)")
    period = get("period", lambda n, p: _period(r, n, p), "monthly")
    reset_day = get("reset_day", lambda n, p: v.integer(r, n, p, lo=1, hi=31), 1)
    timezone = get("timezone", lambda n, p: v.zone(r, n, p), "UTC")
    start = get("start", lambda n, p: v.day(r, n, p, nullable=True), None)
    expires = get("expires", lambda n, p: v.day(r, n, p, nullable=True), None)
    warn_at = get("warn_at", lambda n, p: _sorted(v.int_list(r, n, p, lo=1, hi=100)), (80, 95))
    warn_days = get(
        "warn_days", lambda n, p: _sorted(v.int_list(r, n, p, lo=0), reverse=True), (30, 7, 1)
    )
    addons = get("addons", lambda n, p: _addons(r, n, p), ())

    values = (quota, period, reset_day, timezone, start, expires, warn_at, warn_days, addons)
    ok = BAD not in values
    if period == "once":
        for key, value in (("start", start), ("expires", expires)):
            if value is None:
                what = "the activation date" if key == "start" else "the last valid day"
                r.problem(entries["period"][1], f"{path}: a 'once' plan needs {key}: ({what})")
                ok = False
    if start not in (None, BAD) and expires not in (None, BAD) and expires < start:
        r.problem(entries["expires"][1], f"{path}.expires ({expires}) is before start ({start})")
        ok = False
    if not ok:
        return BAD
    from agent.plan import Plan  # the plan model only for a file that has plans

    return Plan(
        name=name,
        quota_bytes=quota,
        period=period,
        reset_day=reset_day,
        timezone=timezone,
        start=start,
        expires=expires,
        warn_at=warn_at,
        warn_days=warn_days,
        addons=addons,
    )


def _sorted(values: Any, *, reverse: bool = False) -> Any:
    return BAD if values is BAD else tuple(sorted(set(values), reverse=reverse))


def _period(r: Reader, node: Node, path: str) -> Any:
    from agent.plan import PERIODS

    value = v.text(r, node, path)
    if value is BAD or value in PERIODS:
        return value
    return r.problem(
        node, f"{path}: unknown period {value!r}{suggest(value, PERIODS)} (monthly or once)"
    )


def _addons(r: Reader, node: Node, path: str) -> Any:
    if is_null(node):
        return ()
    items = r.sequence(node, path)
    if items is BAD:
        return BAD
    addons = [_addon(r, item, f"{path}[{i}]") for i, item in enumerate(items)]
    return BAD if BAD in addons else tuple(addons)


def _addon(r: Reader, node: Node, path: str) -> Any:
    entries = r.mapping(node, path, ("quota", "from", "until"))
    if entries is BAD:
        return BAD
    missing = [k for k in ("quota", "from", "until") if k not in entries]
    if missing:
        r.problem(node, f"{path}: an add-on needs {', '.join(missing)} (quota, from, until)")
    quota = v.size(r, entries["quota"][1], f"{path}.quota") if "quota" in entries else BAD
    start = v.day(r, entries["from"][1], f"{path}.from") if "from" in entries else BAD
    until = v.day(r, entries["until"][1], f"{path}.until") if "until" in entries else BAD
    if BAD in (quota, start, until):
        return BAD
    if until < start:
        return r.problem(entries["until"][1], f"{path}.until ({until}) is before from ({start})")
    from agent.plan import Addon

    return Addon(quota_bytes=quota, start=start, until=until)


def _plan_names(node: Node) -> frozenset[str]:
    if not isinstance(node, MappingNode):
        return frozenset()
    return frozenset(str(k.value) for k, _ in node.value if isinstance(k, ScalarNode))


def _plan_ref(
    r: Reader, node: Node, path: str, plans: frozenset[str], *, nullable: bool = False
) -> Any:
    if nullable and is_null(node):
        return None
    value = v.text(r, node, path)
    if value is BAD or value in plans:
        return value
    known = ", ".join(sorted(plans)) or "none defined"
    return r.problem(
        node, f"{path}: unknown plan {value!r}{suggest(value, plans)} (plans: {known})"
    )


def _sims(r: Reader, node: Node, path: str, plans: frozenset[str]) -> Any:
    if is_null(node):
        return ()
    items = r.sequence(node, path)
    if items is BAD:
        return BAD
    rules: list[SimRule] = []
    first_seen: dict[tuple[str, str], int] = {}
    ok = True
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        entries = r.mapping(item, where, ("iccid", "iccid_prefix", "plan"))
        if entries is BAD:
            ok = False
            continue
        chosen = [k for k in ("iccid", "iccid_prefix") if k in entries]
        if len(chosen) != 1:
            r.problem(item, f"{where}: give exactly one of iccid or iccid_prefix")
            ok = False
            continue
        if "plan" not in entries:
            r.problem(item, f"{where}: plan is required")
            ok = False
            continue
        kind = chosen[0]
        convert = v.iccid if kind == "iccid" else v.iccid_prefix
        match = convert(r, entries[kind][1], f"{where}.{kind}")
        plan = _plan_ref(r, entries["plan"][1], f"{where}.plan", plans)
        if BAD in (match, plan):
            ok = False
            continue
        seen = first_seen.setdefault((kind, match), i)
        if seen != i:
            r.problem(item, f"{where}: {kind} {match} is already mapped in {path}[{seen}]")
            ok = False
            continue
        rules.append(SimRule(plan=plan, **{kind: match}))
    return tuple(rules) if ok else BAD
