"""Alert scenarios end to end: the daemon on a simulated clock and the simulated modem, with
every sink talking to a real peer (HTTPS webhook, mosquitto, a file read concurrently).

The story (Asia/Shanghai, a poll every 12 h at 08:00 and 20:00, a 30 MB monthly plan that
expires on 20 Dec, a 100 MB add-on valid from 12 Dec): SIM A is used up in November
(80 %, 95 %, exhausted), the cycle renews on 1 Dec, SIM B is in the terminal for a day,
SIM A comes back and is used up again, the top-up ends the shortage, the expiry is
announced 7 days ahead and then reached. Every sink (the log, the status file, the webhook,
MQTT) must show exactly the alert sequence of ``TIMELINE``. A second run loses its webhook
for twelve days and the agent is restarted in the middle of that: the webhook must still
get every report exactly once, in order. Last, `posagent check` as a separate process on a
pty: its exit status is the worst finding.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trustme
from conftest import RunningSimulator, run_cli, start_simulator, stop_simulator
from mosquitto import Broker, broker
from scenario_kit import (
    AlertSubscriber,
    FileWatcher,
    Poll,
    Rig,
    Step,
    Webhook,
    alert_log,
    captured_log,
    wait_until,
)

from agent.config import AlertSettings, ModemSettings, Settings
from agent.config.settings import HttpSettings, MqttSettings, ReportSettings
from agent.daemon import Daemon
from agent.outbox import Outbox
from agent.plan import Addon, Plan
from agent.poll import Pipeline
from agent.sinks import HTTP_OUTBOX, MQTT_OUTBOX
from agent.sinks.http import HttpSink
from agent.sinks.mqtt import MqttSink
from agent.sinks.statusfile import StatusFileSink
from agent.store import StateStore

TZ = ZoneInfo("Asia/Shanghai")
MB = 1_000_000
HOUR = 3600.0
DAY = 24 * HOUR
TOKEN = "tms-7f3a9c-bearer"
IMEI = "869955065336336"  # the simulator's default
SIM_A = "89860025128306012474"  # the simulator's default SIM
SIM_B = "89860312345678901234"


def at(month: int, day: int, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


START = at(11, 1)
END = at(12, 22)

PLAN = Plan(
    name="iot-30m",
    quota_bytes=30 * MB,
    period="monthly",
    reset_day=1,
    timezone="Asia/Shanghai",
    expires=date(2026, 12, 20),
    warn_at=(80, 95),
    warn_days=(7,),
    addons=(Addon(quota_bytes=100 * MB, start=date(2026, 12, 12), until=date(2027, 1, 11)),),
)


def counters(total: int) -> dict[str, int]:
    """The modem's cumulative counters at ``total`` bytes, mostly received (a POS terminal
    downloads more than it sends)."""
    rx = total * 4 // 5
    return {"rx_bytes": rx, "tx_bytes": total - rx}


def script() -> list[Step]:
    """What happens to the terminal. The counters are the modem's (per modem, not per SIM):
    SIM B's 0.4 MB is on SIM B's ledger, and SIM A re-baselines when it comes back."""
    return [
        Step(at(11, 10), counters(24_300_000), note="SIM A at 81 % of 30 MB"),
        Step(at(11, 15, 20), counters(28_800_000), note="96 %"),
        Step(at(11, 17), counters(30_600_000), note="102 %: exhausted"),
        # 1 Dec: the cycle renews, nothing changes on the modem.
        Step(at(12, 5), {"iccid": SIM_B, "imsi": "460031234567890"}, note="SIM B put in"),
        Step(at(12, 5, 20), counters(31_000_000), note="SIM B uses 0.4 MB"),
        Step(at(12, 6), {"iccid": SIM_A, "imsi": "460023210226023"}, note="SIM A is back"),
        Step(at(12, 8), counters(55_600_000), note="SIM A: 24.6 MB this cycle, 82 %"),
        Step(at(12, 10), counters(61_300_000), note="30.3 MB: exhausted again"),
        # 12 Dec: the 100 MB add-on's window opens; 13 Dec: 7 days to expiry; 21 Dec: expired.
    ]


# (poll time, kind, code): every alert event, and the heartbeats (every 10 days) among them.
TIMELINE: list[tuple[datetime, str, str | None]] = [
    (at(11, 1), "heartbeat", None),
    (at(11, 10), "raise", "data_low"),  # 81 % ≥ 80
    (at(11, 11), "heartbeat", None),
    (at(11, 14), "remind", "data_low"),  # 4 days after the raise
    (at(11, 15, 20), "escalate", "data_low"),  # 96 % ≥ 95
    (at(11, 17), "escalate", "data_exhausted"),
    (at(11, 21), "remind", "data_exhausted"),
    (at(11, 21), "heartbeat", None),  # a poll's alerts go before its heartbeat
    (at(11, 25), "remind", "data_exhausted"),
    (at(11, 29), "remind", "data_exhausted"),
    (at(12, 1), "heartbeat", None),
    (at(12, 1, 20), "resolve", "data_exhausted"),  # new cycle: gone for 2 polls
    (at(12, 5), "raise", "sim_changed"),
    (at(12, 6, 20), "resolve", "sim_changed"),  # the SIM it replaced is back
    (at(12, 8), "raise", "data_low"),
    (at(12, 10), "escalate", "data_exhausted"),
    (at(12, 11), "heartbeat", None),
    (at(12, 12, 20), "resolve", "data_exhausted"),  # the top-up since 12 Dec 00:00
    (at(12, 13), "raise", "expiry_soon"),  # 7 days left
    (at(12, 17), "remind", "expiry_soon"),
    (at(12, 21), "escalate", "expired"),  # the remind due then gives way to the escalation
    (at(12, 21), "heartbeat", None),
]
ALERTS = [(when, kind, code) for when, kind, code in TIMELINE if kind != "heartbeat"]


# The overall status the status file goes through, consecutive repeats taken out.
STATUS_WALK = [
    "ok",
    "warning",  # 10 Nov, data_low
    "critical",  # 17 Nov, exhausted
    "ok",  # 1 Dec, new cycle
    "warning",  # 5 Dec, sim_changed
    "ok",  # 6 Dec, SIM A back (the alert resolves a poll later, the finding is gone now)
    "warning",  # 8 Dec, data_low
    "critical",  # 10 Dec, exhausted
    "ok",  # 12 Dec, topped up
    "warning",  # 13 Dec, expiry_soon
    "critical",  # 21 Dec, expired
]


# -- the agent -----------------------------------------------------------------------------


@dataclass
class Agent:
    daemon: Daemon
    http: HttpSink
    mqtt: MqttSink | None

    def shutdown(self) -> None:
        self.daemon.shutdown()


def scenario_settings(
    tmp_path: Path, webhook: Webhook, ca_file: Path, mqtt_port: int | None
) -> Settings:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    return Settings(
        modem=ModemSettings(port="sim://quectel", driver="quectel", timeout=2.0, interface=None),
        poll_interval=12 * HOUR,
        checkpoint=300.0,
        state_dir=tmp_path / "state",
        default_plan=PLAN.name,
        plans=MappingProxyType({PLAN.name: PLAN}),
        report=ReportSettings(
            status_file=tmp_path / "run" / "status.json",
            heartbeat=10 * DAY,
            http=HttpSettings(url=webhook.url, token_file=token_file, ca_file=ca_file),
            mqtt=None
            if mqtt_port is None
            else MqttSettings(host="127.0.0.1", port=mqtt_port, tls=False),
        ),
        alerts=AlertSettings(remind=4 * DAY),
        source="<scenario>",
    )


def start_agent(rig: Rig, settings: Settings) -> Agent:
    """The daemon with the sinks ``sinks_from_settings`` would build, on the scenario's
    clock (agent.sinks builds them with ``time.time``), over ``settings.state_dir``."""
    report, state_dir, epoch = settings.report, settings.state_dir, rig.clock.epoch
    assert report.status_file is not None and report.http is not None
    store = StateStore.open(state_dir, clock=epoch, checkpoint=settings.checkpoint)
    http = HttpSink(
        report.http,
        Outbox.in_dir(state_dir, name=HTTP_OUTBOX),
        clock=epoch,
        random=random.Random(5).random,
    )
    sinks: list[Any] = [StatusFileSink(report.status_file), http]
    mqtt = None
    if report.mqtt is not None:
        mqtt = MqttSink(
            report.mqtt,
            outbox=Outbox.in_dir(state_dir, name=MQTT_OUTBOX),
            clock=epoch,
        )
        sinks.append(mqtt)
    pipeline = Pipeline(settings, store, sinks)
    daemon = Daemon(settings, clock=rig.clock, connector=rig.connector, pipeline=pipeline)
    return Agent(daemon, http, mqtt)


# -- reading what the sinks got -------------------------------------------------------------


def report_line(report: dict[str, Any]) -> tuple[datetime, str, str | None]:
    """(created, kind, code) of a report as the webhook or the broker got it."""
    created = datetime.fromisoformat(report["created"])
    if report["kind"] == "heartbeat":
        return created, "heartbeat", None
    return created, report["body"]["event"], report["body"]["code"]


def without_times(lines: list[tuple[datetime, str, str | None]]) -> list[tuple[str, str | None]]:
    return [(kind, code) for _, kind, code in lines]


def deduped(values: list[str]) -> list[str]:
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def webhook(ca: trustme.CA) -> Iterator[Webhook]:
    hook = Webhook(ca)
    hook.up()
    yield hook
    hook.down()


@pytest.fixture
def mqtt_broker(tmp_path: Path) -> Iterator[Broker]:
    pytest.importorskip("paho.mqtt.client", reason="paho-mqtt is not installed")
    with broker(tmp_path) as running:
        yield running


# -- scenario 1: every sink tells the same story ----------------------------------------------


@pytest.mark.timeout(30)
def test_every_sink_gets_exactly_the_alert_sequence(
    tmp_path: Path, webhook: Webhook, ca_file: Path, mqtt_broker: Broker
) -> None:
    settings = scenario_settings(tmp_path, webhook, ca_file, mqtt_broker.port)
    status_path = settings.report.status_file
    assert status_path is not None
    alert_topic = f"posagent/{IMEI}/alert"
    subscriber = AlertSubscriber(mqtt_broker.port, alert_topic)
    rig = Rig(START, script())
    file_statuses: list[str] = []

    with captured_log() as entries, FileWatcher(status_path) as watcher:
        agent = start_agent(rig, settings)
        assert agent.mqtt is not None

        def after_poll(poll: Poll) -> None:
            # The status file is the poll's status object, whole, at every poll.
            on_disk = json.loads(status_path.read_text(encoding="utf-8"))
            assert on_disk == poll.result.status, poll.at
            file_statuses.append(on_disk["status"])
            if len(rig.polls) == 1:  # the broker connection is made in paho's thread
                assert wait_until(lambda: agent.mqtt.client.is_connected()), "no MQTT"

        try:
            rig.drive(agent.daemon, END, after_poll)
            # Alerts leave the MQTT outbox one PUBACK at a time; give the last ones a moment.
            produced = sum(len(p.result.events) for p in rig.polls)
            assert wait_until(
                lambda: len(agent.mqtt.outbox) == 0 and len(subscriber.on(alert_topic)) >= produced
            )
        finally:
            agent.shutdown()
    subscriber.stop()

    # The pipeline's own account: each event at the poll it belongs to.
    assert [(p.at, e.kind, e.code) for p in rig.polls for e in p.result.events] == ALERTS
    assert rig.polls[-1].at == END

    # The log: one event per raise/escalate/remind/resolve, in order, with the facts as keys.
    logged = alert_log(entries)
    assert [(e["event"].removeprefix("alert_"), e["code"]) for e in logged] == without_times(ALERTS)
    # The swap's facts: the SIM that left, and the one in the terminal (not the other way).
    change = next(e for e in logged if e["code"] == "sim_changed")
    assert (change["previous"], change["iccid"]) == (SIM_A, SIM_B)
    escalations = [e for e in logged if e["event"] == "alert_escalate"]
    assert [(e["code"], e.get("threshold")) for e in escalations] == [
        ("data_low", 95),
        ("data_exhausted", None),
        ("data_exhausted", None),
        ("expired", None),
    ]
    assert not any(TOKEN in repr(e) for e in entries), "the bearer token reached the log"

    # The webhook: every report once, in order, authenticated, keyed for idempotency.
    arrivals = webhook.accepted()
    reports = [a.json() for a in arrivals]
    assert [report_line(r) for r in reports] == TIMELINE
    for arrival, report in zip(arrivals, reports, strict=True):
        assert arrival.path == "/posagent/reports"
        assert arrival.headers["authorization"] == f"Bearer {TOKEN}"
        assert arrival.headers["idempotency-key"] == report["id"]
        assert arrival.headers["content-type"] == "application/json"
    assert len({r["id"] for r in reports}) == len(reports)
    alert_ids = [r["id"] for r in reports if r["kind"] == "alert"]
    assert alert_ids == [f"{IMEI}/{e['alert_id']}" for e in logged]
    final_heartbeat = reports[-1]["body"]
    assert final_heartbeat["status"] == "critical"
    assert [f["code"] for f in final_heartbeat["findings"]] == ["expired"]

    # MQTT: the alert topic carries the same alerts, in order, once each.
    on_alert_topic = [json.loads(m.payload) for m in subscriber.on(alert_topic)]
    assert [report_line(r) for r in on_alert_topic] == ALERTS
    assert [r["id"] for r in on_alert_topic] == alert_ids
    # ... and a late subscriber finds the last status retained, and the agent offline.
    late = AlertSubscriber(mqtt_broker.port, f"posagent/{IMEI}/#")
    try:
        assert wait_until(lambda: late.on(f"posagent/{IMEI}/status") != [])
        retained = late.on(f"posagent/{IMEI}/status")[-1]
        assert retained.retain
        status = json.loads(retained.payload)
        assert status["status"] == "critical"
        assert [f["code"] for f in status["findings"]] == ["expired"]
        assert status["sim"]["iccid"] == SIM_A
        assert wait_until(lambda: late.on(f"posagent/{IMEI}/online") != [])
        assert late.on(f"posagent/{IMEI}/online")[-1].payload == b"0"
    finally:
        late.stop()

    # The status file: written atomically (never torn for a concurrent reader), walking
    # through the states, and the last poll's status at the end.
    assert watcher.reads > 0
    assert watcher.torn == []
    assert deduped(file_statuses) == STATUS_WALK
    final = json.loads(status_path.read_text(encoding="utf-8"))
    assert final == rig.polls[-1].result.status
    assert final["status"] == "critical"
    assert [f["code"] for f in final["findings"]] == ["expired"]
    assert final["plan"]["days_to_expiry"] == -2
    assert final["sim"]["iccid"] == SIM_A


# -- scenario 2: the webhook is down and the agent restarts in the middle ----------------------

OUTAGE_START = at(11, 14, 12)  # after the 14 Nov reminder went out
RESTART = at(11, 19)  # after this poll the agent stops; it is back a minute later
OUTAGE_END = at(11, 26, 12)


@pytest.mark.timeout(30)
def test_reports_survive_an_outage_and_a_restart_exactly_once_in_order(
    tmp_path: Path, webhook: Webhook, ca_file: Path
) -> None:
    settings = scenario_settings(tmp_path, webhook, ca_file, mqtt_port=None)
    steps = [
        *script(),
        Step(OUTAGE_START, action=webhook.down, note="the receiver goes down"),
        Step(OUTAGE_END, action=webhook.up, note="the receiver is back"),
    ]
    rig = Rig(START, steps)

    with captured_log() as entries:
        first = start_agent(rig, settings)
        try:
            rig.drive(first.daemon, RESTART)
            assert not webhook.is_up
            held = len(first.http.outbox)
            arrived_before_restart = len(webhook.accepted())
        finally:
            first.shutdown()  # a clean stop: SIGTERM
        rig.clock.advance(60)
        second = start_agent(rig, settings)
        try:
            rig.drive(second.daemon, END)
        finally:
            second.shutdown()

    # The outage was real: reports waited in the outbox across the restart.
    assert held == 2  # the 15 Nov and 17 Nov escalations
    assert arrived_before_restart == 4
    failures = [e for e in entries if e["event"] == "report_delivery_failed"]
    assert failures, "the webhook was never found down"

    # Every report arrived exactly once (raw arrivals, no dedupe at the receiver), in order.
    reports = [a.json() for a in webhook.accepted()]
    assert without_times([report_line(r) for r in reports]) == without_times(TIMELINE)
    assert len({r["id"] for r in reports}) == len(reports)
    created = [datetime.fromisoformat(r["created"]) for r in reports]
    assert created == sorted(created)
    outbox = Outbox.in_dir(settings.state_dir, name=HTTP_OUTBOX)
    try:
        assert len(outbox) == 0
    finally:
        outbox.close()

    # The restart neither repeated nor forgot an alert.
    logged = [(e["event"].removeprefix("alert_"), e["code"]) for e in alert_log(entries)]
    assert logged == without_times(ALERTS)


# -- posagent check: the exit status is the worst finding ------------------------------------


@dataclass(frozen=True)
class Check:
    """Before one `posagent check`: simulator control events; then the expected outcome."""

    controls: tuple[dict[str, Any], ...]
    exit: int
    codes: tuple[str, ...]
    past_expiry: bool = False  # --now two days after the plan's expiry
    exact: bool = True  # False: ``codes`` must be among the findings, others may be too


BASE = 1 * MB  # the counters at the first check: that reading is the baseline, counted 0
FIRST = Check((counters(BASE),), 0, ())
HANG = {"event": "hang"}

CHECK_CASES = [
    pytest.param(
        [
            FIRST,
            Check((counters(BASE + 2 * MB),), 0, ()),
            Check((counters(BASE + 25 * MB),), 1, ("data_low",)),  # 83 %
            Check((counters(BASE + 31 * MB),), 2, ("data_exhausted",)),
            # The modem stops answering: what the store knows still counts, and a known
            # critical finding outranks the unknown.
            Check((HANG,), 2, ("modem_unresponsive", "data_exhausted")),
        ],
        id="ok-warning-critical",
    ),
    pytest.param(
        # An expired monthly plan has no live quota left either, so data_exhausted may
        # come with it; expired is what must be there.
        [FIRST, Check((counters(BASE + MB),), 2, ("expired",), past_expiry=True, exact=False)],
        id="expired",
    ),
    pytest.param([FIRST, Check((HANG,), 3, ("modem_unresponsive",))], id="unknown"),
]


def check_config(tmp_path: Path, expires: date) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""state_dir: {tmp_path / "state"}
modem:
  interface: null
  timeout: 0.5s
default_plan: iot-30m
plans:
  iot-30m:
    quota: 30MB
    period: monthly
    reset_day: 1
    timezone: Asia/Shanghai
    expires: {expires.isoformat()}
    warn_at: [80, 95]
    warn_days: [7]
""",
        encoding="utf-8",
    )
    return config


@pytest.fixture
def pty_simulator(tmp_path: Path) -> Iterator[RunningSimulator]:
    sim = start_simulator(tmp_path, "quectel")
    yield sim
    stop_simulator(sim)


@pytest.mark.timeout(40)
@pytest.mark.parametrize("checks", CHECK_CASES)
def test_check_exit_status_follows_the_worst_finding(
    checks: list[Check], tmp_path: Path, pty_simulator: RunningSimulator
) -> None:
    # The plan is valid for a year from today (the ledger books readings at the real time),
    # so only --now can put the evaluation past its expiry.
    expires = datetime.now(TZ).date() + timedelta(days=365)
    env = {"POSAGENT_CONFIG": str(check_config(tmp_path, expires))}
    past_expiry = datetime.combine(expires + timedelta(days=2), datetime.min.time(), TZ)
    for n, check in enumerate(checks):
        for control in check.controls:
            assert pty_simulator.control_send(control) == "ok"
        args = ["check", "--json", "--port", pty_simulator.port]
        if check.past_expiry:
            args += ["--now", past_expiry.replace(hour=12).isoformat()]
        result = run_cli(*args, env=env)
        obj = json.loads(result.stdout)
        codes = tuple(f["code"] for f in obj["findings"])
        if not check.exact:
            assert set(check.codes) <= set(codes), (n, codes)
            codes = check.codes
        assert (result.returncode, codes) == (check.exit, check.codes), (n, result.stderr)
        assert obj["status"] == ("ok", "warning", "critical", "unknown")[check.exit]
