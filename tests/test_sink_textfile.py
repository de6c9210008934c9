"""TextfileSink: the Prometheus text exposition format node_exporter's textfile collector reads."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from agent.sinks.textfile import TextfileSink, escape_label, render_metrics

FULL = {
    "status": "warning",
    "time": "2026-11-23T08:00:00+08:00",
    "modem": {
        "port": "/dev/ttyUSB2",
        "driver": "quectel",
        "manufacturer": "Quectel",
        "model": "EC25",
        "revision": "EC25EFAR06A06M4G",
        "imei": "866123456789012",
    },
    "sim": {"state": "ready", "iccid": "89860412345678901234", "imsi": "460001234567890"},
    "signal": {
        "rat": "lte",
        "rssi_dbm": -71,
        "ber": None,
        "rsrp_dbm": -98,
        "rsrq_db": -11.5,
        "sinr_db": None,
        "bars": 3,
    },
    "registration": {"state": "home", "operator": 'CHINA "MOBILE"\\x', "mcc": "460"},
    "counters": {"source": "modem", "rx_bytes": 123456, "tx_bytes": 7890},
    "plan": {
        "name": "iot-30m",
        "quota_bytes": 30_000_000,
        "used_bytes": 24_300_000,
        "remaining_bytes": 5_700_000,
        "days_to_expiry": None,
    },
    "findings": [
        {"code": "data_low", "severity": "warning", "message": "81 % used"},
        {"code": "data_low", "severity": "warning", "message": "listed twice"},
    ],
}

_SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$')


def samples(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = value
    return out


def test_full_status_renders_valid_exposition_lines() -> None:
    text = render_metrics(FULL)
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or _SAMPLE.match(line), line
    got = samples(text)
    assert got['posagent_status{status="warning"}'] == "1"
    assert got['posagent_status{status="ok"}'] == "0"
    assert got["posagent_signal_rssi_dbm"] == "-71"
    assert got["posagent_signal_rsrp_dbm"] == "-98"
    assert got["posagent_signal_rsrq_db"] == "-11.5"
    assert got["posagent_counter_rx_bytes"] == "123456"
    assert got['posagent_plan_used_bytes{plan="iot-30m"}'] == "24300000"
    assert got['posagent_plan_remaining_bytes{plan="iot-30m"}'] == "5700000"
    assert got['posagent_finding{code="data_low",severity="warning"}'] == "1"
    assert float(got["posagent_last_poll_timestamp_seconds"]) == 1795392000.0
    # unknown values are left out, not NaN
    assert "NaN" not in text
    assert "posagent_signal_sinr_db" not in text
    assert "posagent_plan_days_to_expiry" not in text
    # one sample per label set, each family announced once
    assert text.count('posagent_finding{code="data_low"') == 1
    assert text.count("# TYPE posagent_status gauge") == 1
    info = next(k for k in got if k.startswith("posagent_info{"))
    assert 'operator="CHINA \\"MOBILE\\"\\\\x"' in info
    assert 'imei="866123456789012"' in info


def test_unknown_status_has_no_signal_or_plan_samples() -> None:
    text = render_metrics(
        {
            "status": "unknown",
            "time": "2026-11-23T08:00:00+08:00",
            "modem": {"imei": None},
            "signal": {"rssi_dbm": None},
            "plan": {"name": None, "used_bytes": None},
            "findings": [
                {"code": "modem_unresponsive", "severity": "unknown", "message": "no answer"}
            ],
        }
    )
    names = {k.split("{")[0] for k in samples(text)}
    assert names == {"posagent_status", "posagent_finding", "posagent_last_poll_timestamp_seconds"}


def test_label_escaping() -> None:
    assert escape_label('a\\b"c\nd') == 'a\\\\b\\"c\\nd'


def test_sink_writes_the_file_atomically_0644(tmp_path: Path) -> None:
    path = tmp_path / "textfile" / "posagent.prom"
    sink = TextfileSink(path)
    sink.publish_status(FULL)
    assert path.read_text() == render_metrics(FULL)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["posagent.prom"]
