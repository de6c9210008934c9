"""Which SIM an alert is about: after a swap, the old SIM's alerts resolve under its ICCID.

The pipeline against the in-process simulated Quectel, a real state store and the report
the sinks would send.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from agent.config import parse_config_text
from agent.poll import Pipeline
from agent.sinks import alert_report
from agent.store import StateStore
from drivers.generic import Generic3gppModem

CHINA = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=CHINA)
SIM_A = "89860025128306012474"  # the simulator's default SIM
SIM_B = "89860312345678901234"


def test_the_old_sims_alert_resolves_under_its_own_iccid(
    driver: Generic3gppModem, tmp_path: Path
) -> None:
    settings = parse_config_text(
        f"state_dir: {tmp_path / 'state'}\n"
        "modem:\n  interface: null\n"
        "default_plan: tiny\n"
        "plans:\n  tiny:\n    quota: 1MB\n    reset_day: 1\n    timezone: Asia/Shanghai\n"
    )
    modem = driver.channel.port.modem
    pipeline = Pipeline(settings, StateStore.open(tmp_path / "state"), [])
    reports = []

    def poll(minutes: int) -> None:
        at = T0 + timedelta(minutes=minutes)
        result = pipeline.after_snapshot(driver.snapshot(), wall_time=at, eval_time=at)
        current = result.status["sim"]["iccid"]
        reports.extend(alert_report(e, imei="imei", iccid=current) for e in result.events)

    try:
        poll(0)  # SIM A's baseline
        modem.apply({"rx_bytes": 1_500_000, "tx_bytes": 100_000})
        poll(1)  # 1.6 MB of 1 MB: exhausted
        modem.apply({"iccid": SIM_B, "imsi": "460031234567890"})
        poll(2)
        poll(3)  # SIM B is fresh: SIM A's alert has been gone for two polls
    finally:
        pipeline.close()

    seen = [(r.body["event"], r.body["code"], r.body["iccid"]) for r in reports]
    assert seen == [
        ("raise", "data_exhausted", SIM_A),
        ("raise", "sim_changed", SIM_B),
        ("resolve", "data_exhausted", SIM_A),  # not SIM B, which never ran out
    ]
