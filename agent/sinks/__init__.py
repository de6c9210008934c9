"""Report sinks: where the status and the alerts go (SPEC.md ``report:``).

Every poll the agent calls ``publish_status(status)`` on each sink, ``deliver(report)`` for
each alert event and heartbeat, and ``pump()`` to retry queued work; ``close()`` at exit.
``sinks_from_settings`` builds the configured ones.
"""

from __future__ import annotations

from pathlib import Path

from agent.config.settings import ReportSettings
from agent.sinks.base import (
    Report,
    Sink,
    alert_iccid,
    alert_report,
    compact_status,
    heartbeat_report,
)

# The concrete sinks are imported where they are built: agent.outbox imports agent.sinks.base,
# so importing them here would make importing the outbox circular.

HTTP_OUTBOX = "outbox.sqlite3"
MQTT_OUTBOX = "outbox-mqtt.sqlite3"

__all__ = [
    "Report",
    "Sink",
    "alert_iccid",
    "alert_report",
    "compact_status",
    "heartbeat_report",
    "sinks_from_settings",
]


def sinks_from_settings(report: ReportSettings, state_dir: Path) -> list[Sink]:
    """The sinks the configuration asks for, each queueing sink with its own outbox file
    in ``state_dir``. Raises MqttUnavailable when MQTT is configured without paho-mqtt."""
    # Each sink's module only when it is configured: http.client alone pulls in the email
    # package, a megabyte the daemon would carry for nothing.
    sinks: list[Sink] = []
    if report.status_file is not None:
        from agent.sinks.statusfile import StatusFileSink

        sinks.append(StatusFileSink(report.status_file))
    if report.prometheus_textfile is not None:
        from agent.sinks.textfile import TextfileSink

        sinks.append(TextfileSink(report.prometheus_textfile))
    if report.http is not None:
        from agent.outbox import Outbox
        from agent.sinks.http import HttpSink

        sinks.append(HttpSink(report.http, Outbox.in_dir(state_dir, name=HTTP_OUTBOX)))
    if report.mqtt is not None:
        from agent.outbox import Outbox
        from agent.sinks.mqtt import MqttSink

        sinks.append(
            MqttSink(
                report.mqtt,
                outbox=Outbox.in_dir(state_dir, name=MQTT_OUTBOX),
                ca_file=report.mqtt.ca_file,
            )
        )
    return sinks
