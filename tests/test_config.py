"""Configuration loading: defaults, every error as FILE:LINE, plan lookup, example files."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml

from agent.config import (
    ConfigError,
    ConfigProblem,
    Settings,
    default_config_path,
    load_config,
    parse_config_text,
    resolve_state_dir,
)
from agent.plan import Addon

REPO = Path(__file__).resolve().parent.parent
FILE = "posagent.yaml"

# ICCIDs in the shapes modems report them (sources are vendors.md keys):
ICCID_QUECTEL = "89860025128306012474"  # +QCCID answer [QAT 05 §5.7]
ICCID_CRSM_SWAPPED = "98680052213860104247"  # the same ICCID as +CRSM gives it [MM base-sim]
ICCID_HEX = "898602F9091830030220"  # CMCC card with hex digits [MM-tests iccid hex_account]
ICCID_19 = "8944200053671052499"  # 19 digits [MM-tests iccid-quoted_swap_19_digit]
ICCID_UBLOX = "8939107800023416395"  # +CCID answer [MM ublox mm-sim-ublox.c]


def parse(text: str) -> Settings:
    return parse_config_text(textwrap.dedent(text), FILE)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


# -- defaults and the SPEC.md example ----------------------------------------------------


def test_no_file_gives_the_spec_defaults() -> None:
    s = load_config(None)
    assert s == Settings()
    assert (s.modem.port, s.modem.baudrate, s.modem.driver) == ("auto", 115200, "auto")
    assert (s.modem.timeout, s.modem.interface) == (5.0, "wwan0")
    assert (s.poll_interval, s.checkpoint) == (60.0, 300.0)
    assert s.state_dir == Path("/var/lib/posagent")
    assert s.signal.weak_dbm == -105
    assert s.allowed_iccid_prefixes == ()
    assert (s.default_plan, dict(s.plans), s.sims, s.balance) == (None, {}, (), None)
    assert s.carrier_sms is None
    assert s.report.heartbeat == 24 * 3600
    assert (s.report.status_file, s.report.http, s.report.mqtt, s.report.sms) == (None,) * 4
    assert (s.alerts.remind, s.alerts.not_registered_polls, s.alerts.signal_weak_polls) == (
        86400.0,
        3,
        5,
    )
    assert s.plan_for(ICCID_QUECTEL) is None
    assert s.source is None


@pytest.mark.parametrize("text", ["", "# only comments\n", "---\n"])
def test_an_empty_file_gives_the_defaults(text: str) -> None:
    assert dataclasses.replace(parse_config_text(text, FILE), source=None) == Settings()


# SPEC.md "Configuration" as written (one comment shortened to the line length).
SPEC_EXAMPLE = r"""
modem:
  port: auto                 # path, pyserial URL or auto
  baudrate: 115200
  driver: auto               # or a vendor name from `simulate --vendor`
  timeout: 5s                # per AT command
  interface: wwan0           # Linux network interface: counter fallback
poll_interval: 60s
checkpoint: 5m               # commit readings at most this often (alerts, SIM changes, exit: now)
state_dir: /var/lib/posagent # the durable state store; if not writable (not root, no
                             # systemd StateDirectory), $XDG_STATE_HOME/posagent, said once
signal:
  weak_dbm: -105
allowed_iccid_prefixes: []   # empty: any SIM; else e.g. ["898604", "898606"]
default_plan: iot-30m
plans:
  iot-30m:
    quota: 30MB
    period: monthly          # monthly | once (one package for its whole validity)
    reset_day: 1             # monthly: day of month, clamped to the month's last day
    timezone: Asia/Shanghai
    expires: 2027-06-30      # optional: validity end of the SIM / package
    warn_at: [80, 95]        # percent of quota used
    warn_days: [30, 7, 1]    # days before expiry
    addons:                  # optional top-up packages: each a bucket with its own window;
                             # usage draws on the live bucket that expires first
      - {quota: 100MB, from: 2026-11-10, until: 2026-12-09}
sims:                        # optional: plan per SIM, by exact ICCID or prefix
  - {iccid: "89860412345678901234", plan: iot-30m}
  - {iccid_prefix: "898606", plan: iot-30m}
balance:                     # optional: prepaid balance by USSD
  ussd: "*101#"
  pattern: '余额[:：]?\s*([0-9]+(?:\.[0-9]+)?)'   # first group is the amount
  minimum: 10                # below this: balance_low
  interval: 1d
carrier_sms: false           # read carrier notices (low data, expiry, top-up) from the SIM
report:                      # every sink optional; the log always
  status_file: /run/posagent/status.json      # the status --json object, written atomically
  prometheus_textfile: /var/lib/node_exporter/textfile/posagent.prom
  heartbeat: 6h              # a full report this often; alerts go out at once
  http:
    url: https://tms.example.com/posagent     # POST, JSON body, one report per request
    token_file: /etc/posagent/token           # sent as "Authorization: Bearer …"
    ca_file: null            # extra CA bundle; verification is never off
  mqtt:                      # optional extra: pip install 'posagent[mqtt]'
    host: broker.example.com
    port: 8883
    tls: true
    topic: posagent/{imei}   # {imei} and {iccid} are filled in
    username: null
    password_file: null
  sms:                       # for when the data path is gone: critical alerts by SMS
    to: "+8613800000000"
    max_per_day: 3
alerts:
  remind: 24h                # repeat a standing alert at most this often
  not_registered_polls: 3    # sustained before it is a finding
  signal_weak_polls: 5
"""


def test_the_spec_example_loads_as_written() -> None:
    s = parse_config_text(SPEC_EXAMPLE, "spec.yaml")
    plan = s.plans["iot-30m"]
    assert (plan.quota_bytes, plan.period, plan.reset_day) == (30_000_000, "monthly", 1)
    assert (plan.timezone, plan.expires) == ("Asia/Shanghai", date(2027, 6, 30))
    assert (plan.warn_at, plan.warn_days) == ((80, 95), (30, 7, 1))
    assert plan.addons == (Addon(100_000_000, date(2026, 11, 10), date(2026, 12, 9)),)
    assert s.default_plan == "iot-30m"
    assert s.balance is not None
    assert s.balance.pattern.search("余额：12.50元").group(1) == "12.50"
    assert (s.balance.minimum, s.balance.interval) == (10.0, 86400.0)
    assert s.report.status_file == Path("/run/posagent/status.json")
    assert s.report.http is not None and s.report.http.ca_file is None
    assert s.report.mqtt is not None and s.report.mqtt.topic == "posagent/{imei}"
    assert s.report.sms is not None and s.report.sms.to == "+8613800000000"
    assert s.source == "spec.yaml"


EXAMPLES = sorted(
    [*REPO.glob("config/*.example.yaml"), *REPO.glob("config/plans/*.yaml")],
    key=lambda p: p.name,
)


def test_the_example_files_are_there() -> None:
    names = {p.name for p in EXAMPLES}
    assert "posagent.example.yaml" in names
    assert len(names) >= 6  # the example config and five plan fragments


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_file_loads_cleanly(path: Path) -> None:
    s = load_config(path)
    assert s.plans, "every example defines at least one plan"
    assert s.source == str(path)


def test_the_once_example_has_its_start() -> None:
    s = load_config(REPO / "config/plans/prepaid-12m-once.yaml")
    plan = s.plans["prepaid-12m"]
    assert (plan.period, plan.start, plan.expires) == ("once", date(2026, 7, 1), date(2027, 6, 30))


# -- every kind of error, with its exact FILE:LINE ---------------------------------------

ERRORS = [
    pytest.param(
        "modem:\n  port: auto\n  bauds: 9600\n",
        f"{FILE}:3: unknown key 'bauds' in modem; did you mean 'baudrate'?",
        id="unknown-key-suggested",
    ),
    pytest.param(
        "poll_intervall: 60s\n",
        f"{FILE}:1: unknown key 'poll_intervall'; did you mean 'poll_interval'?",
        id="unknown-top-key",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1MB\n    resetday: 3\n",
        f"{FILE}:4: unknown key 'resetday' in plans.a; did you mean 'reset_day'?",
        id="unknown-plan-key",
    ),
    pytest.param(
        "modem:\n  baudrate: fast\n",
        f"{FILE}:2: modem.baudrate must be a whole number, not a string ('fast')",
        id="wrong-type-int",
    ),
    pytest.param(
        "carrier_sms: 1\n",
        f"{FILE}:1: carrier_sms must be true or false, not a number (1)",
        id="wrong-type-bool",
    ),
    pytest.param(
        "signal: -105\n",
        f"{FILE}:1: signal must be a mapping, not a number (-105)",
        id="wrong-type-section",
    ),
    pytest.param(
        "carrier_sms:\n  patterns:\n    data_lo: ['x']\n",
        f"{FILE}:3: unknown key 'data_lo' in carrier_sms.patterns; did you mean 'data_low'?",
        id="carrier-unknown-kind",
    ),
    pytest.param(
        "carrier_sms:\n  patterns:\n    expired:\n      - ok\n      - '(unclosed'\n",
        f"{FILE}:5: carrier_sms.patterns.expired[1]: not a valid regular expression: "
        "missing ), unterminated subpattern at position 0",
        id="carrier-bad-regex",
    ),
    pytest.param(
        "carrier_sms:\n  patterns:\n    topup: paid\n",
        f"{FILE}:3: carrier_sms.patterns.topup must be a list, not a string ('paid')",
        id="carrier-pattern-not-a-list",
    ),
    pytest.param(
        "carrier_sms:\n  senders: [10086, '']\n",
        f"{FILE}:2: carrier_sms.senders[1] must be a number prefix or a sender name, not nothing",
        id="carrier-empty-sender",
    ),
    pytest.param(
        "plans:\n  a: {quota: 1MB, reset_day: 0}\n",
        f"{FILE}:2: plans.a.reset_day must be between 1 and 31, not 0",
        id="reset-day-0",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1MB\n    reset_day: 32\n",
        f"{FILE}:4: plans.a.reset_day must be between 1 and 31, not 32",
        id="reset-day-32",
    ),
    pytest.param(
        "plans:\n  iot-30m: {quota: 30MB}\ndefault_plan: iot-3m\n",
        f"{FILE}:3: default_plan: unknown plan 'iot-3m'; did you mean 'iot-30m'? (plans: iot-30m)",
        id="unknown-default-plan",
    ),
    pytest.param(
        f"plans:\n  a: {{quota: 1MB}}\nsims:\n  - {{iccid: '{ICCID_QUECTEL}', plan: b}}\n",
        f"{FILE}:4: sims[0].plan: unknown plan 'b' (plans: a)",
        id="unknown-sim-plan",
    ),
    pytest.param(
        "default_plan: x\n",
        f"{FILE}:1: default_plan: unknown plan 'x' (plans: none defined)",
        id="plan-without-plans",
    ),
    pytest.param(
        "plans:\n  a: {quota: 1MB}\nsims:\n  - iccid: '12345'\n    plan: a\n",
        f"{FILE}:4: sims[0].iccid: '12345' is not an ICCID (19-20 characters beginning 89; "
        "digits, hex A-F allowed from the 7th character)",
        id="iccid-too-short",
    ),
    pytest.param(
        "plans:\n  a: {quota: 1MB}\nsims:\n  - {iccid: '8986A025128306012474', plan: a}\n",
        f"{FILE}:4: sims[0].iccid: '8986A025128306012474' is not an ICCID (19-20 characters "
        "beginning 89; digits, hex A-F allowed from the 7th character)",
        id="iccid-hex-too-early",
    ),
    pytest.param(
        "allowed_iccid_prefixes:\n  - '898604'\n  - '8A'\n",
        f"{FILE}:3: allowed_iccid_prefixes[1]: '8A' is not an ICCID prefix (ICCIDs begin 89, "
        "at most 20 characters; digits, hex A-F allowed from the 7th character)",
        id="bad-prefix",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: -30MB\n",
        f"{FILE}:3: plans.a.quota: a size cannot be negative, got '-30MB'",
        id="negative-size",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: -5\n",
        f"{FILE}:3: plans.a.quota: a size cannot be negative, got -5",
        id="negative-bytes",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 30XB\n",
        f"{FILE}:3: plans.a.quota: '30XB': unknown size unit 'XB'; use one of "
        "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB",
        id="size-unit",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1GB\n    addons:\n"
        "      - {quota: 1GB, from: 2026-11-10, until: 2026-11-01}\n",
        f"{FILE}:5: plans.a.addons[0].until (2026-11-01) is before from (2026-11-10)",
        id="addon-until-before-from",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1GB\n    addons:\n      - quota: 1GB\n        from: 2026-11-10\n",
        f"{FILE}:5: plans.a.addons[0]: an add-on needs until (quota, from, until)",
        id="addon-incomplete",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1MB\n    warn_at: [0, 80]\n",
        f"{FILE}:4: plans.a.warn_at[0] must be between 1 and 100, not 0",
        id="warn-at-0",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1MB\n    warn_at:\n      - 80\n      - 101\n",
        f"{FILE}:6: plans.a.warn_at[1] must be between 1 and 100, not 101",
        id="warn-at-101",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1MB\n    timezone: Asia/Shanghia\n",
        f"{FILE}:4: plans.a.timezone: unknown timezone 'Asia/Shanghia' "
        "(an IANA name such as Asia/Shanghai)",
        id="unknown-timezone",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1MB\n    expires: 2026-02-30\n",
        f"{FILE}:4: plans.a.expires: invalid value '2026-02-30': day is out of range for month",
        id="impossible-date",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1MB\n    expires: 'next year'\n",
        f"{FILE}:4: plans.a.expires must be a date (YYYY-MM-DD), not a string ('next year')",
        id="not-a-date",
    ),
    pytest.param(
        "plans:\n  pkg:\n    quota: 1GB\n    period: once\n    expires: 2027-06-30\n",
        f"{FILE}:4: plans.pkg: a 'once' plan needs start: (the activation date)",
        id="once-without-start",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1GB\n    start: 2026-07-01\n    expires: 2026-06-30\n",
        f"{FILE}:5: plans.a.expires (2026-06-30) is before start (2026-07-01)",
        id="expires-before-start",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: 1GB\n    period: yearly\n",
        f"{FILE}:4: plans.a.period: unknown period 'yearly' (monthly or once)",
        id="unknown-period",
    ),
    pytest.param(
        "plans:\n  a:\n    reset_day: 1\n",
        f"{FILE}:2: plans.a: quota is required (e.g. quota: 30MB)",
        id="quota-missing",
    ),
    pytest.param(
        "modem:\n  driver: quectl\n",
        f"{FILE}:2: modem.driver: unknown driver 'quectl'; did you mean 'quectel'? (known: "
        "auto, generic, quectel, huawei, simcom, fibocom, ublox, telit, sierra, meig, neoway)",
        id="unknown-driver",
    ),
    pytest.param(
        "poll_interval: 0s\n",
        f"{FILE}:1: poll_interval must be longer than 0 seconds",
        id="zero-interval",
    ),
    pytest.param(
        "alerts:\n  remind: soon\n",
        f"{FILE}:2: alerts.remind: 'soon' is not a duration; write e.g. 30s, 5m, 1h, 1d "
        "or a number of seconds",
        id="bad-duration",
    ),
    pytest.param(
        "modem:\n  port: auto\n  port: /dev/ttyUSB2\n",
        f"{FILE}:3: duplicate key 'modem.port' (first at line 2)",
        id="duplicate-key",
    ),
    pytest.param(
        "report:\n  http:\n    token_file: /etc/posagent/token\n",
        f"{FILE}:2: report.http: url is required",
        id="required-key",
    ),
    pytest.param(
        "report:\n  http:\n    url: tms.example.com/posagent\n",
        f"{FILE}:3: report.http.url: 'tms.example.com/posagent' is not an https:// URL",
        id="bad-url",
    ),
    pytest.param(
        "report:\n  http:\n    url: http://tms.example.com/posagent\n",
        f"{FILE}:3: report.http.url: 'http://tms.example.com/posagent' is plain http; "
        "reports need https://",
        id="plain-http-url",
    ),
    pytest.param(
        "report:\n  mqtt:\n    host: broker\n    topic: pos/{serial}\n",
        f"{FILE}:4: report.mqtt.topic: unknown placeholder {{serial}}; use {{imei}} or {{iccid}}",
        id="bad-topic",
    ),
    pytest.param(
        "report:\n  sms:\n    to: +8613800000000\n",
        f'{FILE}:3: report.sms.to: quote the phone number, e.g. to: "+8613800000000"',
        id="unquoted-phone",
    ),
    pytest.param(
        "balance:\n  ussd: '*101#'\n  pattern: 'balance [0-9]+'\n",
        f"{FILE}:3: balance.pattern needs a group around the amount, e.g. ([0-9.]+)",
        id="pattern-without-group",
    ),
    pytest.param(
        "balance:\n  ussd: '*101#'\n  pattern: '([0-9]+'\n",
        f"{FILE}:3: balance.pattern: not a valid regular expression: "
        "missing ), unterminated subpattern at position 0",
        id="pattern-invalid",
    ),
    pytest.param(
        "sims:\n  - {iccid_prefix: '8986', iccid: '89860025128306012474', plan: a}\n"
        "plans: {a: {quota: 1MB}}\n",
        f"{FILE}:2: sims[0]: give exactly one of iccid or iccid_prefix",
        id="sim-rule-both",
    ),
    pytest.param(
        "modem:\n  port: auto\n  baudrate: [115200\n",
        f"{FILE}:4: invalid YAML: expected ',' or ']', but got '<stream end>'",
        id="yaml-syntax-flow",
    ),
    pytest.param(
        "modem:\n  port: auto\n baudrate: 115200\n",
        f"{FILE}:3: invalid YAML: expected <block end>, but found '<block mapping start>'",
        id="yaml-syntax-indent",
    ),
    pytest.param(
        "modem:\n\tport: auto\n",
        f"{FILE}:2: invalid YAML: found character '\\t' that cannot start any token",
        id="yaml-tab",
    ),
    pytest.param(
        "plans:\n  a:\n    quota: !!python/object:os.system echo\n",
        f"{FILE}:3: plans.a.quota: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object:os.system'",
        id="unsafe-tag",
    ),
    pytest.param(
        "- modem\n- plans\n",
        f"{FILE}:1: the configuration must be a mapping, not a list",
        id="not-a-mapping-list",
    ),
    pytest.param(
        "\n\njust some text\n",
        f"{FILE}:3: the configuration must be a mapping, not a string ('just some text')",
        id="not-a-mapping-scalar",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_each_error_with_its_file_and_line(text: str, expected: str) -> None:
    found = problems(text)
    assert expected in found, found


def test_every_error_is_reported_at_once() -> None:
    text = """\
        modem:
          bauds: 9600
          driver: quectl
        poll_intervall: 60s
        default_plan: iot-3m
        plans:
          iot-30m:
            quota: -30MB
            reset_day: 32
            warn_at: [0, 80]
            addons:
              - {quota: 1GB, from: 2026-11-10, until: 2026-11-01}
        sims:
          - {iccid: "12345", plan: iot-30m}
          - {iccid_prefix: "898606", plan: nope}
        alerts: [1]
        """
    found = problems(text)
    lines = [int(re.match(rf"{re.escape(FILE)}:(\d+):", p)[1]) for p in found]  # type: ignore[index]
    assert lines == [2, 3, 4, 5, 8, 9, 10, 12, 14, 15, 16]
    assert lines == sorted(lines)


def test_problems_name_the_real_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("modem:\n  driver: nokia\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line) == (str(path), 2)
    assert str(problem).startswith(f"{path}:2: modem.driver: unknown driver 'nokia'")


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(missing)
    assert str(info.value) == f"{missing}: cannot read: No such file or directory"
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"modem:\n  port: caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(latin1)


def test_problem_without_a_line() -> None:
    assert str(ConfigProblem("a.yaml", None, "cannot read")) == "a.yaml: cannot read"
    assert str(ConfigProblem("a.yaml", 7, "bad")) == "a.yaml:7: bad"


# -- values that are accepted --------------------------------------------------------------


def test_iccid_forms_are_normalised() -> None:
    s = parse(
        f"""\
        plans: {{a: {{quota: 1MB}}, b: {{quota: 2MB}}, c: {{quota: 3MB}}}}
        sims:
          - {{iccid: "{ICCID_CRSM_SWAPPED}", plan: a}}
          - {{iccid: "{ICCID_HEX.lower()}", plan: b}}
          - {{iccid: {ICCID_19}, plan: c}}
          - {{iccid_prefix: 893910, plan: c}}
        """
    )
    assert [(r.iccid, r.iccid_prefix) for r in s.sims] == [
        (ICCID_QUECTEL, None),
        (ICCID_HEX, None),
        (ICCID_19, None),  # unquoted: YAML read a number; its digits are the ICCID
        (None, "893910"),
    ]
    assert s.plan_name_for(ICCID_HEX) == "b"
    assert s.plan_name_for(ICCID_UBLOX) == "c"


def test_plan_for_exact_beats_prefix_and_longest_prefix_wins() -> None:
    s = parse(
        f"""\
        default_plan: fallback
        plans:
          fallback: {{quota: 30MB}}
          short: {{quota: 1GB}}
          long: {{quota: 2GB}}
          exact: {{quota: 5GB}}
        sims:
          - {{iccid_prefix: "8986", plan: short}}
          - {{iccid_prefix: "898600", plan: long}}
          - {{iccid: "{ICCID_QUECTEL}", plan: exact}}
        """
    )
    assert s.plan_name_for(ICCID_QUECTEL) == "exact"
    assert s.plan_name_for("89860099999999999999") == "long"
    assert s.plan_name_for("89860412345678901234") == "short"
    assert s.plan_name_for(ICCID_UBLOX) == "fallback"
    assert s.plan_name_for(None) == "fallback"
    plan = s.plan_for(ICCID_QUECTEL)
    assert plan is not None and (plan.name, plan.quota_bytes) == ("exact", 5_000_000_000)


def test_plan_for_without_default_is_none() -> None:
    s = parse("plans: {a: {quota: 1MB}}\nsims: [{iccid_prefix: '8986', plan: a}]\n")
    assert s.plan_for(ICCID_UBLOX) is None
    assert s.plan_for(ICCID_QUECTEL) is not None


def test_iccid_allowed() -> None:
    assert Settings().iccid_allowed(ICCID_UBLOX)
    s = parse("allowed_iccid_prefixes: ['898600', 898602]\n")
    assert s.allowed_iccid_prefixes == ("898600", "898602")
    assert s.iccid_allowed(ICCID_QUECTEL)
    assert s.iccid_allowed(ICCID_HEX.lower())
    assert not s.iccid_allowed(ICCID_UBLOX)


def test_values_in_their_other_spellings() -> None:
    s = parse(
        """\
        poll_interval: 90
        checkpoint: 0
        modem: {timeout: 1.5, interface: null}
        plans:
          pkg:
            quota: 1073741824
            period: once
            start: "2026-07-01"
            expires: 2027-06-30
            warn_at: [95, 80, 80]
            warn_days: [1, 30, 7]
            addons: null
        """
    )
    assert (s.poll_interval, s.checkpoint, s.modem.timeout, s.modem.interface) == (
        90.0,
        0.0,
        1.5,
        None,
    )
    plan = s.plans["pkg"]
    assert (plan.quota_bytes, plan.start, plan.expires) == (
        1024**3,
        date(2026, 7, 1),
        date(2027, 6, 30),
    )
    assert (plan.warn_at, plan.warn_days, plan.addons) == ((80, 95), (30, 7, 1), ())


def test_anchors_and_merge_keys() -> None:
    s = parse(
        """\
        plans:
          base: &base {quota: 1GB, timezone: Asia/Shanghai, reset_day: 15}
          bigger:
            <<: *base
            quota: 2GB
        """
    )
    bigger = s.plans["bigger"]
    assert (bigger.quota_bytes, bigger.timezone, bigger.reset_day) == (
        2_000_000_000,
        "Asia/Shanghai",
        15,
    )


def test_settings_are_immutable() -> None:
    s = parse("plans: {a: {quota: 1MB}}\n")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.poll_interval = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.plans["b"] = s.plans["a"]  # type: ignore[index]


# -- paths ---------------------------------------------------------------------------------


def test_default_config_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSAGENT_CONFIG", raising=False)
    assert default_config_path() == (Path("/etc/posagent/config.yaml"), False)
    monkeypatch.setenv("POSAGENT_CONFIG", "/tmp/pa.yaml")
    assert default_config_path() == (Path("/tmp/pa.yaml"), True)


def test_state_dir_used_when_writable(tmp_path: Path) -> None:
    wanted = tmp_path / "state" / "posagent"  # not there yet, but creatable
    s = dataclasses.replace(Settings(), state_dir=wanted)
    assert resolve_state_dir(s) == (wanted, None)


def test_state_dir_falls_back_to_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    s = dataclasses.replace(Settings(), state_dir=blocker / "posagent")  # cannot be created
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    path, note = resolve_state_dir(s)
    assert path == tmp_path / "xdg" / "posagent"
    assert note == f"state_dir {blocker / 'posagent'} is not writable; using {path}"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_state_dir(s)[0] == tmp_path / "home" / ".local" / "state" / "posagent"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert resolve_state_dir(s)[0] == tmp_path / "home" / ".local" / "state" / "posagent"


def test_mqtt_takes_an_extra_ca_file() -> None:
    s = parse_config_text(
        "report:\n  mqtt:\n    host: broker\n    ca_file: /etc/posagent/ca.pem\n", FILE
    )
    assert s.report.mqtt is not None
    assert s.report.mqtt.ca_file == Path("/etc/posagent/ca.pem")


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
@pytest.mark.parametrize(
    "path",
    [*REPO.glob("config/*.example.yaml"), *REPO.glob("config/plans/*.yaml")],
    ids=lambda p: p.name,
)
def test_libyaml_and_pure_python_parsers_load_the_same_settings(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.config import nodes

    fast = load_config(path)
    monkeypatch.setattr(nodes, "_FAST_LOADER", yaml.SafeLoader)
    assert load_config(path) == fast


def test_carrier_sms_as_a_switch_or_a_mapping() -> None:
    assert parse_config_text("carrier_sms: false\n").carrier_sms is None
    on = parse_config_text("carrier_sms: true\n").carrier_sms
    assert on is not None
    assert (on.senders, dict(on.patterns), on.builtin_patterns) == (None, {}, True)
    tuned = parse_config_text(
        textwrap.dedent(
            """\
            carrier_sms:
              senders: [10086, "Vodafone", "+4479"]
              builtin_patterns: false
              patterns:
                data_low: ['data (?:balance|allowance) (?:is )?low', '(\\d+)% of your data']
                topup: ['top-up (?:was )?successful']
            """
        )
    ).carrier_sms
    assert tuned is not None
    assert tuned.senders == ("10086", "Vodafone", "+4479")
    written = parse_config_text("carrier_sms:\n  senders: [0123, '+8610086', vodafone]\n")
    assert written.carrier_sms is not None
    # As written (not octal 83); +86 dropped as it is from the sender.
    assert written.carrier_sms.senders == ("0123", "10086", "vodafone")
    assert tuned.builtin_patterns is False
    assert [p.pattern for p in tuned.patterns["data_low"]] == [
        "data (?:balance|allowance) (?:is )?low",
        "(\\d+)% of your data",
    ]
    assert set(tuned.patterns) == {"data_low", "topup"}


def test_the_readme_configuration_examples_load() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^( *)```yaml\n(.*?)^\1```", readme, flags=re.M | re.S)
    assert blocks
    for indent, block in blocks:
        text = textwrap.dedent(block) if indent else block
        parse_config_text(text, "README.md")  # raises ConfigError with the problems
