"""What every report sink takes: the status object each poll, and reports to deliver.

A *report* is one message for someone far away: an alert event or a heartbeat (the compact
status object, every ``report.heartbeat``). Its ``id`` is the idempotency key: a sink may
deliver a report more than once (a crash between sending and recording it as sent), never
zero times once it was accepted, and the receiver drops repeats by this key.

Sinks never raise into the poll loop for a failure of their peer or their file: they log it
and, where they queue, try again in ``pump``. A poll must not fail because a webhook is down.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from drivers.records import record

if TYPE_CHECKING:
    from agent.alerts import AlertEvent

ReportKind = Literal["alert", "heartbeat", "status"]
REPORT_KINDS: tuple[str, ...] = ("alert", "heartbeat", "status")


@record
class Report:
    """One message to deliver. ``body`` is JSON-ready; ``created`` is timezone-aware."""

    kind: ReportKind
    id: str
    created: datetime
    body: dict[str, Any]

    def __post_init__(self) -> None:
        if self.kind not in REPORT_KINDS:
            raise ValueError(f"report kind must be one of {REPORT_KINDS}, not {self.kind!r}")
        if not self.id:
            raise ValueError("a report needs an id")

    def to_json(self) -> dict[str, Any]:
        """The object a receiver gets: ``{"kind", "id", "created", "body"}``."""
        return {
            "kind": self.kind,
            "id": self.id,
            "created": self.created.isoformat(timespec="seconds"),
            "body": self.body,
        }

    def wire(self) -> bytes:
        """Compact UTF-8 JSON: terminals pay for every byte on a data plan."""
        return dumps_compact(self.to_json())


@runtime_checkable
class Sink(Protocol):
    """A place reports go. Single-threaded: the poll loop calls all four methods."""

    name: str

    def publish_status(self, status: dict[str, Any]) -> None:
        """Every poll: the full status object (SPEC.md ``check --json``)."""

    def deliver(self, report: Report) -> None:
        """Accept a report; it goes out at once if it can, else it is queued."""

    def pump(self) -> None:
        """Retry queued work that is due by the sink's own clock (time.time() unless a
        test gives it another), the one its retry times were set by."""

    def close(self) -> None:
        """Release connections and files; queued reports stay queued where durable."""


def dumps_compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def without_nulls(value: Any) -> Any:
    """A copy without None values, empty objects and empty lists, at any depth."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            kept = without_nulls(item)
            if kept is None or kept == {} or kept == []:
                continue
            out[key] = kept
        return out
    if isinstance(value, list):
        return [without_nulls(item) for item in value if item is not None]
    return value


def compact_status(status: dict[str, Any]) -> dict[str, Any]:
    """The status object with only the values that are known: what heartbeats carry."""
    result = without_nulls(status)
    assert isinstance(result, dict)
    return result


def device_ids(status: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(IMEI, ICCID) from a status object, either of them None when unknown."""
    if not status:
        return None, None
    imei = (status.get("modem") or {}).get("imei")
    iccid = (status.get("sim") or {}).get("iccid")
    return imei, iccid


def heartbeat_report(
    status: dict[str, Any], created: datetime, *, report_id: str | None = None
) -> Report:
    """A heartbeat: the compact status object. Its id, unless given, is the device (IMEI,
    else ICCID) and the second it was made; a random one when neither is known."""
    imei, iccid = device_ids(status)
    scope = imei or iccid
    if scope:
        default_id = f"{scope}/hb/{int(created.timestamp())}"
    else:
        import uuid  # uuid imports platform: paid only by a device without IMEI or ICCID

        default_id = f"hb-{uuid.uuid4().hex}"
    return Report(
        kind="heartbeat",
        id=report_id or default_id,
        created=created,
        body=compact_status(status),
    )


def alert_iccid(event: AlertEvent, current: str | None) -> str | None:
    """The SIM an alert is about: the one its finding named (plan, balance and carrier
    findings, a SIM not allowed), else the SIM in the modem now. After a swap, the alerts
    of the SIM taken out resolve under that SIM's ICCID, not the new one's."""
    own = event.facts.get("iccid")
    return own if isinstance(own, str) and own else current


def alert_report(event: AlertEvent, *, imei: str | None = None, iccid: str | None = None) -> Report:
    """An alert event as a report. The event's id is unique on one terminal only, so the
    report's id is scoped by the IMEI (else the ICCID) to stay unique at a receiver that
    hears from a whole fleet."""
    scope = imei or iccid or "unknown"
    return Report(
        kind="alert",
        id=f"{scope}/{event.id}",
        created=event.at,
        body={
            "event": event.kind,
            "code": event.code,
            "severity": getattr(event.severity, "value", event.severity),
            "message": event.message,
            "since": event.since.isoformat(timespec="seconds"),
            "iccid": alert_iccid(event, iccid),
            "imei": imei,
            "facts": event.facts,
        },
    )
