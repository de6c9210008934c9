"""The status as Prometheus metrics for node_exporter's textfile collector.

node_exporter reads every ``*.prom`` file in its ``--collector.textfile.directory`` at each
scrape; the file is replaced atomically (written as a hidden ``.tmp`` first) so a scrape never
reads half of it. Unknown values are left out rather than written as NaN: an absent series is
what PromQL's ``absent()`` and alert rules expect for "not known".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from agent.sinks.filesink import FileSink

STATUSES = ("ok", "warning", "critical", "unknown")

# (metric name, section of the status object, key, help text)
_GAUGES: tuple[tuple[str, str, str, str], ...] = (
    ("posagent_signal_rssi_dbm", "signal", "rssi_dbm", "Received signal strength (dBm)."),
    ("posagent_signal_rsrp_dbm", "signal", "rsrp_dbm", "LTE reference signal power (dBm)."),
    ("posagent_signal_rsrq_db", "signal", "rsrq_db", "LTE reference signal quality (dB)."),
    ("posagent_signal_sinr_db", "signal", "sinr_db", "Signal to interference and noise (dB)."),
    ("posagent_signal_bars", "signal", "bars", "Signal bars, 0 to 4."),
    (
        "posagent_counter_rx_bytes",
        "counters",
        "rx_bytes",
        "Bytes received, as the modem or interface counts them.",
    ),
    (
        "posagent_counter_tx_bytes",
        "counters",
        "tx_bytes",
        "Bytes sent, as the modem or interface counts them.",
    ),
)
_PLAN_GAUGES: tuple[tuple[str, str, str], ...] = (
    ("posagent_plan_used_bytes", "used_bytes", "Data used in the current plan cycle (bytes)."),
    ("posagent_plan_quota_bytes", "quota_bytes", "Data quota of the current plan cycle (bytes)."),
    (
        "posagent_plan_remaining_bytes",
        "remaining_bytes",
        "Data left in the current plan cycle (bytes).",
    ),
    ("posagent_plan_days_to_expiry", "days_to_expiry", "Days until the SIM or package expires."),
)


def escape_label(value: str) -> str:
    """Label value escaping of the text exposition format: backslash, quote, newline."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value) if isinstance(value, int) else repr(value)


def _labels(labels: Mapping[str, Any]) -> str:
    parts = [f'{k}="{escape_label(str(v))}"' for k, v in labels.items() if v is not None]
    return "{" + ",".join(parts) + "}" if parts else ""


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self, name: str, help_text: str, samples: Iterable[tuple[Mapping[str, Any], Any]]
    ) -> None:
        # dict: one sample per label set, as the format requires (a finding listed twice
        # must not make node_exporter reject the whole file).
        rendered = {
            _labels(labels): num for labels, value in samples if (num := _number(value)) is not None
        }
        if not rendered:
            return
        self.lines.append(f"# HELP {name} {_escape_help(help_text)}")
        self.lines.append(f"# TYPE {name} gauge")
        self.lines.extend(f"{name}{labels} {num}" for labels, num in rendered.items())


def render_metrics(status: dict[str, Any]) -> str:
    """The text exposition format for one status object (pure)."""
    w = _Writer()
    current = status.get("status")
    w.family(
        "posagent_status",
        "1 for the agent's overall status, 0 for the others.",
        [({"status": s}, int(s == current)) for s in STATUSES] if current else [],
    )
    modem, sim = status.get("modem") or {}, status.get("sim") or {}
    reg = status.get("registration") or {}
    sig = status.get("signal") or {}
    identity = {
        "imei": modem.get("imei"),
        "iccid": sim.get("iccid"),
        "manufacturer": modem.get("manufacturer"),
        "model": modem.get("model"),
        "revision": modem.get("revision"),
        "driver": modem.get("driver"),
        "sim_state": sim.get("state"),
        "registration": reg.get("state"),
        "operator": reg.get("operator"),
        "rat": sig.get("rat"),
    }
    w.family(
        "posagent_info",
        "Identity of the modem, SIM and network; always 1.",
        [(identity, 1)] if any(v is not None for v in identity.values()) else [],
    )
    for name, section, key, help_text in _GAUGES:
        value = (status.get(section) or {}).get(key)
        w.family(name, help_text, [({}, value)])
    plan = status.get("plan") or {}
    for name, key, help_text in _PLAN_GAUGES:
        w.family(name, help_text, [({"plan": plan.get("name")}, plan.get(key))])
    w.family(
        "posagent_finding",
        "1 for each finding of the last poll.",
        [
            ({"code": f.get("code"), "severity": f.get("severity")}, 1)
            for f in status.get("findings") or []
        ],
    )
    w.family(
        "posagent_last_poll_timestamp_seconds",
        "When the last poll ran (Unix time).",
        [({}, _timestamp(status.get("time")))],
    )
    return "\n".join(w.lines) + "\n" if w.lines else ""


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None  # a naive time cannot be placed on the Unix time line
    return when.timestamp()


class TextfileSink(FileSink):
    name = "prometheus_textfile"
    event = "textfile"

    def render(self, status: dict[str, Any]) -> bytes:
        return render_metrics(status).encode()
