"""Bytes on the wire for a month of webhook reports at the default settings.

A simulated month (30 days, clock injected) of a heartbeat every 24 h (the default) plus
eight alert events (data low at 80 % and 95 %, a weak-signal spell raised and resolved, a
SIM change, the data exhausted, an expiry warning and its reminder), each delivered by
HttpSink, one POST per report, to a local HTTPS receiver (http.server behind ssl,
certificates from trustme).

How bytes are counted: the sink connects to a counting TCP proxy on 127.0.0.1 that forwards
to the receiver; the proxy adds up every byte it relays in both directions. That is the TCP
payload, all of it: TLS handshakes (ClientHello, the server's certificate chain, key
exchange, session tickets), TLS record framing, HTTP headers, the JSON body and the answer,
and the TLS close_notify alerts. Not counted: IP and TCP headers (about 52 bytes a packet,
estimated separately below from the segment count at a 1400-byte MSS plus SYN/FIN/ACKs), DNS
lookups (none here: the URL names an address).

The server's chain is leaf + intermediate (ECDSA by default, as a public CA such as Let's
Encrypt issues); ``--key rsa`` shows an RSA chain, about twice as large. Each report opens a
new TLS connection (no keep-alive, so no idle traffic between reports). The month is run
twice: with TLS session resumption (the sink's default: the session ticket of the last
connection is offered, so the certificate chain is not sent again) and without.

    .venv/bin/python bench/report_bytes.py [--json] [--key ecdsa|rsa] [--heartbeat HOURS]
        [--tickets N]

With ``--json`` the last line is ``{"bytes_per_month": …, …}``. Target: ≤ 100 KB a month
(``bytes_per_month``: with resumption, TCP payload).

What it shows (OpenSSL 3.0, ECDSA chain): some 2.4 KB a report with resumption, 3.6 KB
without; the JSON body is about 870 bytes of it. The rest is fixed per connection: the
ClientHello (≈ 520 bytes, ≈ 800 with the session ticket it offers back), the server's
answer and its new session tickets (≈ 700 bytes down), HTTP headers both ways. At the
default 24 h heartbeat that is 38 reports and about 90 KB a month. A 6 h heartbeat
(``--heartbeat 6``, 128 reports) costs about 310 KB: no body format gets 128 TLS
connections under 100 KB, which is why the default is 24 h.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import socket
import ssl
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import structlog
import trustme

from agent.alerts import AlertEvent
from agent.config.settings import HttpSettings
from agent.findings import Severity
from agent.outbox import Outbox
from agent.sinks.base import Report, alert_report, heartbeat_report
from agent.sinks.http import HttpSink

TARGET = 100_000
DAYS = 30
HEARTBEAT = 24 * 3600  # Settings().report.heartbeat
MSS = 1400
HEADER_BYTES = 52  # IPv4 20 + TCP 20 + timestamps option 12
TZ = timezone(timedelta(hours=8))
START = datetime(2026, 11, 1, 0, 0, tzinfo=TZ)
IMEI = "866123456789012"
ICCID = "89860412345678901234"


# -- the simulated month ----------------------------------------------------------------


def status_at(when: datetime, day: int) -> dict[str, Any]:
    """A realistic status object (SPEC.md), usage growing through the month."""
    used = int(30_000_000 * min(1.0, (day + 1) / 28))
    findings = []
    if used >= 24_000_000:
        findings.append(
            {"code": "data_low", "severity": "warning", "message": f"{used // 300_000} % used"}
        )
    return {
        "status": "warning" if findings else "ok",
        "time": when.isoformat(timespec="seconds"),
        "modem": {
            "port": "/dev/ttyUSB2",
            "driver": "quectel",
            "manufacturer": "Quectel",
            "model": "EC25",
            "revision": "EC25EFAR06A06M4G",
            "imei": IMEI,
        },
        "sim": {"state": "ready", "iccid": ICCID, "imsi": "460001234567890"},
        "signal": {
            "rat": "lte",
            "rssi_dbm": -71,
            "ber": None,
            "rsrp_dbm": -98,
            "rsrq_db": -11,
            "sinr_db": 7.5,
            "bars": 3,
        },
        "registration": {
            "state": "home",
            "operator": "CHINA MOBILE",
            "mcc": "460",
            "mnc": "00",
            "area_code": 6715,
            "cell_id": 13828467,
        },
        "counters": {"source": "modem", "rx_bytes": used * 3 // 4, "tx_bytes": used // 4},
        "plan": {
            "name": "iot-30m",
            "quota_bytes": 30_000_000,
            "used_bytes": used,
            "remaining_bytes": 30_000_000 - used,
            "cycle_start": "2026-11-01",
            "cycle_end": "2026-11-30",
            "expires": "2026-12-20",
            "days_to_expiry": 49 - day,
            "forecast_exhausted": "2026-11-28",
        },
        "findings": findings,
    }


ALERTS = (  # (hour of the month, kind, code, message, facts)
    (
        6 * 24 + 9,
        "raise",
        "signal_weak",
        "signal weak: -109 dBm",
        {"rssi_dbm": -109, "polls": 5},
    ),
    (6 * 24 + 15, "resolve", "signal_weak", "signal back to -85 dBm", {"rssi_dbm": -85}),
    (
        12 * 24 + 10,
        "raise",
        "sim_changed",
        "SIM changed: 89860412345678901234 replaces 89860412345678900001",
        {"previous": "89860412345678900001"},
    ),
    (
        19 * 24 + 8,
        "raise",
        "expiry_soon",
        "plan iot-30m expires in 30 days (2026-12-20)",
        {"days": 30},
    ),
    (20 * 24 + 8, "remind", "expiry_soon", "plan iot-30m expires in 29 days", {"days": 29}),
    (
        22 * 24 + 14,
        "raise",
        "data_low",
        "24.1 MB of 30 MB used (80 %)",
        {"used_pct": 80.3, "level": 80},
    ),
    (
        26 * 24 + 11,
        "escalate",
        "data_low",
        "28.6 MB of 30 MB used (95 %)",
        {"used_pct": 95.2, "level": 95},
    ),
    (
        28 * 24 + 19,
        "escalate",
        "data_exhausted",
        "30 MB plan used up; payments may fail",
        {"used_pct": 100.0},
    ),
)


def month_of_reports(heartbeat: int = HEARTBEAT) -> list[tuple[float, Report]]:
    reports: list[tuple[datetime, Report]] = []
    for n in range(DAYS * 24 * 3600 // heartbeat):
        when = START + timedelta(seconds=n * heartbeat)
        day = n * heartbeat // 86400
        reports.append((when, heartbeat_report(status_at(when, day), when)))
    for seq, (hour, kind, code, message, facts) in enumerate(ALERTS, 1):
        when = START + timedelta(hours=hour)
        event = AlertEvent(
            kind=kind,  # type: ignore[arg-type]
            code=code,
            severity=Severity.CRITICAL if code == "data_exhausted" else Severity.WARNING,
            message=message,
            facts=facts,
            key=code,
            since=when - timedelta(hours=1),
            at=when,
            id=f"{code}:{int(when.timestamp() * 1000)}:{kind}:{seq}",
        )
        reports.append((when, alert_report(event, imei=IMEI, iccid=ICCID)))
    reports.sort(key=lambda item: item[0])
    return [(when.timestamp(), report) for when, report in reports]


# -- the receiver and the counting proxy ------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        reply = b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Counts:
    up: int = 0
    down: int = 0
    segments: int = 0
    connections: int = 0
    active: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    idle: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.idle = threading.Condition(self.lock)


class CountingProxy:
    """Relays TCP connections to ``target`` and counts the payload bytes either way."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.counts = Counts()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.counts.lock:
                self.counts.connections += 1
                self.counts.active += 2
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        try:
            while chunk := src.recv(65536):
                with self.counts.lock:
                    if up:
                        self.counts.up += len(chunk)
                    else:
                        self.counts.down += len(chunk)
                    self.counts.segments += math.ceil(len(chunk) / MSS)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            with self.counts.lock:
                self.counts.active -= 1
                if self.counts.active == 0:
                    src.close()
                    dst.close()
                self.counts.idle.notify_all()

    def wait_idle(self) -> None:
        with self.counts.idle:
            self.counts.idle.wait_for(lambda: self.counts.active == 0, timeout=10)

    def close(self) -> None:
        self.listener.close()


def start_receiver(ca: trustme.CA, key: trustme.KeyType, tickets: int) -> HTTPServer:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.num_tickets = tickets  # TLS 1.3 session tickets sent after each handshake
    intermediate = ca.create_child_ca(key_type=key)
    intermediate.issue_cert("127.0.0.1", key_type=key).configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


# -- one month --------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    wire: int
    up: int
    down: int
    body: int
    segments: int
    connections: int
    reports: int
    resumed: int

    @property
    def ip_estimate(self) -> int:
        # Per connection: SYN, SYN-ACK, ACK and two FIN/ACK pairs; per data segment one ACK.
        packets = 7 * self.connections + 2 * self.segments
        return self.wire + packets * HEADER_BYTES


class _Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def run_month(
    reports: list[tuple[float, Report]], ca_file: Path, receiver_port: int, resume: bool
) -> Month:
    proxy = CountingProxy(("127.0.0.1", receiver_port))
    clock = _Clock()
    resumed = 0
    with tempfile.TemporaryDirectory() as state:
        sink = HttpSink(
            HttpSettings(url=f"https://127.0.0.1:{proxy.port}/posagent", ca_file=ca_file),
            Outbox(Path(state) / "outbox.sqlite3"),
            clock=clock,
            resume_tls=resume,
        )
        body = 0
        for when, report in reports:
            clock.now = when
            attempt = sink.send(report)  # the same request deliver() makes, with its outcome
            if attempt.outcome.value != "delivered":
                raise RuntimeError(f"report {report.id} not delivered: {attempt}")
            resumed += bool(attempt.tls_resumed)
            body += len(report.wire())
            proxy.wait_idle()
        sink.close()
    proxy.close()
    c = proxy.counts
    return Month(
        c.up + c.down, c.up, c.down, body, c.segments, c.connections, len(reports), resumed
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--key", choices=("ecdsa", "rsa"), default="ecdsa")
    parser.add_argument(
        "--heartbeat", type=float, default=HEARTBEAT / 3600, help="hours between heartbeats"
    )
    parser.add_argument(
        "--tickets",
        type=int,
        default=2,
        help="session tickets the receiver sends per connection (OpenSSL's default: 2)",
    )
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))

    key = trustme.KeyType.RSA if args.key == "rsa" else trustme.KeyType.ECDSA
    ca = trustme.CA(key_type=key)
    server = start_receiver(ca, key, args.tickets)
    heartbeat = round(args.heartbeat * 3600)
    reports = month_of_reports(heartbeat)
    with tempfile.TemporaryDirectory() as tmp:
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        port = server.server_address[1]
        resumed = run_month(reports, ca_file, port, resume=True)
        full = run_month(reports, ca_file, port, resume=False)
    server.shutdown()

    n_alerts = sum(1 for _, r in reports if r.kind == "alert")
    print(
        f"{len(reports)} reports in {DAYS} days ({len(reports) - n_alerts} heartbeats every "
        f"{heartbeat / 3600:g} h, {n_alerts} alerts), one TLS connection each, {args.key} chain, "
        f"{args.tickets} session tickets a connection"
    )
    print(f"JSON bodies:                   {resumed.body:>8} B   (baseline)")
    for label, m in (("with TLS session resumption", resumed), ("full handshake every time", full)):
        print(
            f"wire, {label + ':':28} {m.wire:>8} B   ({m.wire / m.body:.1f}x body; "
            f"up {m.up}, down {m.down}; {m.wire // m.reports} B a report; "
            f"{m.resumed}/{m.reports} resumed)"
        )
        print(f"  + IP/TCP headers (estimate): {m.ip_estimate:>8} B")
    print(f"target: <= {TARGET} B a month: {'met' if resumed.wire <= TARGET else 'MISSED'}")
    if args.json:
        print(
            json.dumps(
                {
                    "bytes_per_month": resumed.wire,
                    "bytes_per_month_full_handshakes": full.wire,
                    "bytes_per_month_with_ip_estimate": resumed.ip_estimate,
                    "body_bytes_per_month": resumed.body,
                    "wire_to_body_ratio": round(resumed.wire / resumed.body, 2),
                    "bytes_per_report": resumed.wire // resumed.reports,
                    "bytes_per_report_full_handshake": full.wire // full.reports,
                    "reports": resumed.reports,
                    "heartbeat_hours": heartbeat / 3600,
                    "alerts": n_alerts,
                    "tls_resumed": resumed.resumed,
                    "key": args.key,
                    "server_tickets": args.tickets,
                    "target_bytes": TARGET,
                    "target_met": resumed.wire <= TARGET,
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
