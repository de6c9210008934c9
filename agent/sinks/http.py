"""Reports to an HTTPS webhook, one JSON POST per report, through a durable outbox.

Every report goes into the outbox first and leaves it only when the receiver answered 2xx,
or when it answered with a 4xx that no retry can fix (the report is malformed for it; it is
dropped with an error in the log). 401, 408, 429, 5xx, redirects and network or TLS failures
keep the report, and the queue waits: 30 s after the first failure, doubling up to an hour,
with jitter so a fleet that lost its receiver together does not come back in lockstep. The
queue is strictly in order; the report at its head blocks the rest until it goes.

The request carries ``Idempotency-Key: <report id>``: a report may arrive twice (a crash
after the receiver accepted it and before the outbox forgot it), and the receiver drops the
repeat. ``Authorization: Bearer`` comes from ``token_file``, read at start and again on the
first attempt after a 401, so a rotated token is picked up without a restart. The token never
appears in logs, exception messages or reprs.

TLS is always verified, against the system's CAs or ``ca_file``. Each report opens its own
connection and closes it (no keep-alive: an idle connection costs keep-alive traffic and a
NAT mapping for hours between heartbeats); the TLS session is kept so the next connection
resumes it instead of a full handshake, which is most of the bytes of a small report.
"""

from __future__ import annotations

import enum
import http.client
import random as _random
import re
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from agent.config.settings import HttpSettings
from agent.outbox import Outbox
from agent.sinks.base import Report
from drivers.logs import get_logger
from drivers.records import record

log = get_logger("posagent.sinks.http")

TIMEOUT = 10.0  # seconds: connect, and each read of the answer
BACKOFF_FIRST = 30.0
BACKOFF_CAP = 3600.0
MAX_PER_PUMP = 50  # reports per pump: after a long outage, the poll loop still gets a turn
USER_AGENT = "posagent/0.1"
_RETRYABLE_4XX = {401, 408, 429}
_MAX_ANSWER = 64 * 1024  # bytes of an answer read (then the connection is closed anyway)
# Visible ASCII: what may go into a header value without breaking the request or leaking.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")

Clock = Callable[[], float]
Opener = Callable[[str, int, ssl.SSLContext, float, "ssl.SSLSession | None"], Any]


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    DROPPED = "dropped"  # the receiver will never take it
    RETRY = "retry"


@record
class Attempt:
    outcome: Outcome
    status: int | None = None  # the HTTP status, None when no answer came
    error: str | None = None
    retry_after: float | None = None
    tls_resumed: bool | None = None


class _Token:
    """A bearer token that does not show itself in reprs, tracebacks' locals or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<token redacted>"

    __str__ = __repr__


class _Connection(http.client.HTTPSConnection):
    """HTTPSConnection that offers a saved TLS session for resumption."""

    def __init__(
        self,
        host: str,
        port: int,
        context: ssl.SSLContext,
        timeout: float,
        session: ssl.SSLSession | None,
    ) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self._offer = session
        self.tls: ssl.SSLSocket | None = None

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(  # type: ignore[attr-defined]
            self.sock, server_hostname=self.host, session=self._offer
        )
        self.tls = self.sock


def default_opener(
    host: str,
    port: int,
    context: ssl.SSLContext,
    timeout: float,
    session: ssl.SSLSession | None,
) -> _Connection:
    return _Connection(host, port, context, timeout, session)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verification on, hostname checked; ``ca_file`` replaces nothing, it adds trust."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # TLS 1.2 offers only forward-secret AEAD suites: safer, and a ClientHello some 50 bytes
    # shorter on every report (TLS 1.3 suites are not affected by this list).
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    return context


class HttpSink:
    name = "http"

    def __init__(
        self,
        settings: HttpSettings,
        outbox: Outbox,
        *,
        clock: Clock = time.time,
        opener: Opener | None = None,
        random: Callable[[], float] = _random.random,
        timeout: float = TIMEOUT,
        resume_tls: bool = True,
        backoff_first: float = BACKOFF_FIRST,
        backoff_cap: float = BACKOFF_CAP,
    ) -> None:
        url = urlsplit(settings.url)
        if url.scheme != "https" or not url.hostname:
            # The bearer token and the terminal's identity would cross the network in clear.
            raise ValueError(f"report.http.url must be an https:// URL, not {settings.url!r}")
        self.settings = settings
        self.outbox = outbox
        self._host = url.hostname
        self._port = url.port or 443
        self._target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self._clock = clock
        self._opener: Opener = opener or default_opener
        self._random = random
        self._timeout = timeout
        self._resume = resume_tls
        self._first = backoff_first
        self._cap = backoff_cap
        self._context = tls_context(str(settings.ca_file) if settings.ca_file else None)
        self._session: ssl.SSLSession | None = None
        self._failures = 0  # consecutive failed attempts: the receiver's outage, not a report's
        self._token: _Token | None = None
        self._token_stale = settings.token_file is not None
        if self._token_stale:
            self._load_token()

    def __repr__(self) -> str:
        return f"HttpSink(url={self.settings.url!r}, queued={len(self.outbox)})"

    # -- the Sink protocol --------------------------------------------------------------

    def publish_status(self, status: dict[str, Any]) -> None:
        """The webhook hears heartbeats and alerts, not every poll."""

    def deliver(self, report: Report) -> None:
        """Queue the report, then send what is due, this one included unless the queue is
        waiting out a failure of the receiver (then it goes when the queue does)."""
        self.outbox.put(report)
        self.pump()

    def pump(self) -> None:
        now = self._clock()
        for _ in range(MAX_PER_PUMP):
            report = self.outbox.peek_due(now)
            if report is None:
                return
            attempt = self.send(report)
            if attempt.outcome is Outcome.RETRY:
                self._failures += 1
                wait = self._backoff(self._failures, attempt.retry_after)
                self.outbox.retry_later(report.id, now + wait)
                log.warning(
                    "report_delivery_failed",
                    id=report.id,
                    kind=report.kind,
                    status=attempt.status,
                    error=attempt.error,
                    retry_in=round(wait, 1),
                    queued=len(self.outbox),
                )
                return
            self._failures = 0
            self.outbox.done(report.id)
            if attempt.outcome is Outcome.DROPPED:
                log.error(
                    "report_dropped",
                    id=report.id,
                    kind=report.kind,
                    status=attempt.status,
                    error=attempt.error,
                )
            else:
                log.debug("report_delivered", id=report.id, kind=report.kind, status=attempt.status)

    def close(self) -> None:
        self.outbox.close()

    # -- one request --------------------------------------------------------------------

    def send(self, report: Report) -> Attempt:
        """POST one report; never raises for the network's or the receiver's failures."""
        if not _HEADER_SAFE.fullmatch(report.id):
            return Attempt(Outcome.DROPPED, error="report id is not a valid header value")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": report.id,
            "User-Agent": USER_AGENT,
            "Connection": "close",
        }
        if self.settings.token_file is not None:
            if self._token_stale:
                self._load_token()
            if self._token is None:
                return Attempt(
                    Outcome.RETRY, error=f"no usable token in {self.settings.token_file}"
                )
            headers["Authorization"] = "Bearer " + self._token.reveal()
        body = report.wire()
        conn = self._opener(
            self._host,
            self._port,
            self._context,
            self._timeout,
            self._session if self._resume else None,
        )
        try:
            # No Accept-Encoding: http.client's "identity" default says nothing, in 26 bytes.
            conn.putrequest("POST", self._target, skip_accept_encoding=True)
            for header, value in headers.items():
                conn.putheader(header, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            answer = conn.getresponse()
            # Taken before the answer is read to its end: reading the end closes the socket.
            # TLS 1.3 tickets come after the handshake, so they are in by now.
            tls = getattr(conn, "tls", None)
            resumed = tls.session_reused if tls is not None else None
            if self._resume and tls is not None:
                self._session = tls.session
            text = answer.read(_MAX_ANSWER)
            status = answer.status
            retry_after = _retry_after(answer.getheader("Retry-After"))
        except ssl.SSLCertVerificationError as err:
            self._session = None
            return Attempt(Outcome.RETRY, error=f"TLS verification failed: {err.verify_message}")
        except (OSError, http.client.HTTPException) as err:
            self._session = None
            return Attempt(Outcome.RETRY, error=self._scrub(f"{type(err).__name__}: {err}"))
        finally:
            conn.close()
        if 200 <= status < 300:
            return Attempt(Outcome.DELIVERED, status, tls_resumed=resumed)
        detail = self._scrub(text[:200].decode("utf-8", "replace").strip()) or None
        if status == 401:
            self._token_stale = self.settings.token_file is not None
        if 400 <= status < 500 and status not in _RETRYABLE_4XX:
            return Attempt(Outcome.DROPPED, status, error=detail, tls_resumed=resumed)
        # 3xx are not followed: a redirect would carry the token to another place.
        return Attempt(Outcome.RETRY, status, detail, retry_after, tls_resumed=resumed)

    def _backoff(self, failures: int, retry_after: float | None) -> float:
        wait = min(self._cap, self._first * 2 ** min(failures - 1, 30))
        wait *= 0.5 + 0.5 * self._random()  # jitter: between half and all of it
        if retry_after is not None:
            wait = max(wait, min(retry_after, self._cap))
        return wait

    def _load_token(self) -> None:
        path = self.settings.token_file
        assert path is not None
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            log.error("http_token_unreadable", path=str(path), error=type(err).__name__)
            self._token = None
            return
        if not _HEADER_SAFE.fullmatch(value):
            log.error("http_token_invalid", path=str(path))
            self._token = None
            return
        self._token = _Token(value)
        self._token_stale = False

    def _scrub(self, text: str) -> str:
        if self._token is not None and self._token.reveal() in text:
            return text.replace(self._token.reveal(), "<token redacted>")
        return text


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # the HTTP-date form: the backoff alone will do
    return seconds if seconds >= 0 else None
