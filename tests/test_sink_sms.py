"""agent/sinks/sms.py: critical alerts sent by the (simulated) modem, once each, within a
daily limit that holds across restarts; and through the poll pipeline."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, start_simulator, stop_simulator

from agent.config import SmsSettings, parse_config_text
from agent.poll import Pipeline, build_sinks
from agent.sinks.base import Report
from agent.sinks.sms import SmsSink, wanted
from agent.store import StateStore
from drivers.errors import AtTimeout
from drivers.generic import Generic3gppModem

CHINA = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)
TO = "+8613800000000"
MESSAGE = "SIM 8986…2474 has used all of its 30 MB data plan; card payments may fail."


def alert(
    event: str = "raise", severity: str = "critical", report_id: str = "imei/data:1:raise:1"
) -> Report:
    body = {"event": event, "code": "data", "severity": severity, "message": MESSAGE}
    return Report(kind="alert", id=report_id, created=T0, body=body)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def sent(driver: Generic3gppModem) -> list[dict[str, Any]]:
    return list(driver.channel.port.modem.state.sent_sms)


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (alert("raise", "critical"), True),
        (alert("escalate", "critical"), True),
        (alert("remind", "critical"), False),  # the recipient has it already
        (alert("resolve", "critical"), False),
        (alert("raise", "warning"), False),
        (Report(kind="heartbeat", id="hb/1", created=T0, body={"status": "critical"}), False),
    ],
)
def test_only_critical_raises_and_escalations(report: Report, expected: bool) -> None:
    assert wanted(report) is expected


def test_critical_alert_sent_once_with_its_message(
    driver: Generic3gppModem, tmp_path: Path
) -> None:
    store = StateStore.open(tmp_path / "state")
    sink = SmsSink(SmsSettings(to=TO, max_per_day=3), store, clock=Clock())
    sink.attach(driver)
    sink.deliver(alert())
    sink.deliver(alert())  # the same report again (a replayed poll): not sent twice
    sink.deliver(alert("remind", report_id="imei/data:1:remind:2"))
    sink.publish_status({"status": "critical"})
    sink.pump()
    # 76 characters, not all GSM-7 ("…"): UCS2 in two concatenated parts.
    assert sent(driver) == [{"to": TO, "text": MESSAGE, "parts": 2}]
    assert sink.sent_today() == 1
    store.close()


def test_daily_limit_holds_across_restarts_and_resets_next_day(
    driver: Generic3gppModem, tmp_path: Path
) -> None:
    clock = Clock()
    settings = SmsSettings(to=TO, max_per_day=2)
    store = StateStore.open(tmp_path / "state")
    sink = SmsSink(settings, store, clock=clock)
    sink.attach(driver)
    sink.deliver(alert(report_id="a"))
    sink.deliver(alert(report_id="b"))
    store.close()

    reopened = StateStore.open(tmp_path / "state")
    restarted = SmsSink(settings, None, clock=clock)
    restarted.bind_store(reopened)  # as the pipeline does
    restarted.attach(driver)
    restarted.deliver(alert(report_id="c"))
    assert len(sent(driver)) == 2
    clock.now = T0 + timedelta(days=1)
    restarted.deliver(alert(report_id="d"))
    assert len(sent(driver)) == 3
    reopened.close()


def test_without_a_modem_nothing_is_sent_or_counted(tmp_path: Path) -> None:
    sink = SmsSink(SmsSettings(to=TO, max_per_day=1), None, clock=Clock())
    sink.deliver(alert())
    assert sink.sent_today() == 0


def test_a_failed_send_is_counted_not_retried(driver: Generic3gppModem) -> None:
    calls: list[str] = []

    def failing(channel: object, to: str, text: str) -> list[int]:
        calls.append(text)
        raise AtTimeout("AT+CMGS=20", 60.0)

    sink = SmsSink(SmsSettings(to=TO, max_per_day=5), None, clock=Clock(), sender=failing)
    sink.attach(driver)
    sink.deliver(alert())
    sink.deliver(alert())
    assert calls == [MESSAGE] and sink.sent_today() == 1


def test_zero_per_day_sends_nothing(driver: Generic3gppModem) -> None:
    sink = SmsSink(SmsSettings(to=TO, max_per_day=0), None, clock=Clock())
    sink.attach(driver)
    sink.deliver(alert())
    assert sent(driver) == []


def test_pipeline_sends_a_critical_alert_once_and_keeps_the_limit(
    driver: Generic3gppModem, tmp_path: Path
) -> None:
    settings = parse_config_text(
        f"state_dir: {tmp_path / 'state'}\n"
        "modem:\n  interface: null\n"
        'allowed_iccid_prefixes: ["898606"]\n'
        "alerts:\n  not_registered_polls: 1\n"
        f"report:\n  sms:\n    to: '{TO}'\n    max_per_day: 1\n"
    )

    def poll(pipeline: Pipeline, at: datetime) -> list[str]:
        result = pipeline.after_snapshot(
            driver.snapshot(), wall_time=at, eval_time=at, driver=driver
        )
        return [f"{e.kind}:{e.code}" for e in result.events]

    pipeline = Pipeline(settings, StateStore.open(tmp_path / "state"), build_sinks(settings))
    assert poll(pipeline, T0) == ["raise:sim_not_allowed"]
    assert poll(pipeline, T0 + timedelta(minutes=1)) == []
    pipeline.close()
    (record,) = sent(driver)
    assert record["to"] == TO
    assert record["text"] == "SIM 8986…2474 is not one of the SIMs allowed in this terminal."

    # Restarted; a second critical alert the same day is over the limit of one.
    driver.channel.port.modem.apply({"registration": "denied"})
    pipeline = Pipeline(settings, StateStore.open(tmp_path / "state"), build_sinks(settings))
    assert "raise:not_registered" in poll(pipeline, T0 + timedelta(minutes=2))
    pipeline.close()
    assert len(sent(driver)) == 1


def test_check_sends_a_critical_alert_by_sms_once_end_to_end(tmp_path: Path) -> None:
    # `posagent simulate` on a pty, `posagent check` in another process, the message read
    # back from the simulator over its control socket.
    config = tmp_path / "config.yaml"
    config.write_text(
        f"state_dir: {tmp_path / 'state'}\n"
        "modem:\n  interface: null\n"
        'allowed_iccid_prefixes: ["898606"]\n'
        f"report:\n  sms:\n    to: '{TO}'\n",
        encoding="utf-8",
    )
    env = {"POSAGENT_CONFIG": str(config)}
    sim = start_simulator(tmp_path, "quectel")
    try:
        for _ in range(2):  # the second check finds the alert standing: nothing new to send
            result = run_cli("check", "--port", sim.port, env=env)
            assert result.returncode == 2, result.stderr
        answer = json.loads(sim.control_send({"get": "sent_sms"}))
    finally:
        stop_simulator(sim)
    assert answer["sent_sms"] == [
        {
            "to": TO,
            "text": "SIM 8986…2474 is not one of the SIMs allowed in this terminal.",
            "parts": 1,
        }
    ]
