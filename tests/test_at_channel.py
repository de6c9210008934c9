"""The AT channel (drivers/at/channel.py) through a real pty, plus framing properties.

Response strings are real; the source key (vendors.md) is given on each row:
QMT = FUjr/QModem captures, QAT = Quectel manual translation, MM-tests = ModemManager tests.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator

import pytest
import serial
import structlog
import structlog.testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from pty_responder import PtyResponder

from drivers.at.channel import BACK_TO_BACK, MAX_LINES, READ_SLICE, AtChannel, AtResponse
from drivers.at.finals import FINAL_STARTS, classify
from drivers.at.framing import LineSplitter, clean_line
from drivers.at.urc import DEFAULT_URC_PREFIXES, is_urc, solicited_names
from drivers.errors import (
    AtCommandError,
    AtTimeout,
    CmeError,
    CmsError,
    ModemError,
    PortClosed,
)

pytestmark = pytest.mark.timeout(20)

CSQ = b"\r\n+CSQ: 18,99\r\n\r\nOK\r\n"  # QMT RM500U capture (vendors.md §1.4)
OK = b"\r\nOK\r\n"

# (command, information lines, source)
RESPONSES = [
    ("AT+CSQ", ("+CSQ: 18,99",), "QMT RM500U AT+CSQ"),
    ("AT+CESQ", ("+CESQ: 99,99,255,255,19,51",), "QMT Air724UG AT+CESQ"),
    ("AT+CREG?", ('+CREG: 2,1,"D509","80D413D",7',), "MM-tests reg-*"),
    ("AT+COPS=3,2;+COPS?", ('+COPS: 0,2,"46011",11',), "QAT 06 §6.1; QMT RM500U AT+COPS?"),
    ("AT+QGDCNT?", ("+QGDCNT: 109169083,82663256",), "QMT AT_QGDCNT_-9c9fe0a0.json"),
    ("AT+QCCID", ("+QCCID: 89860025128306012474",), "QAT 05 §5.7"),
    ("AT^HCSQ?", ("^HCSQ: LTE,33,40,135,11",), "MM-tests huawei-hcsq"),
    ("ATI", ("Quectel", "EC25", "Revision: EC25EFAR06A06M4G"), "QAT 02 ATI sample"),
    ("AT+CPIN?", ("+CPIN: READY",), "QAT 05 §5.10"),
    ("AT+CMEE=1", (), "QAT 15.4"),
]

# URC lines (vendors.md §1.10)
URCS = [
    "RDY",  # QAT 15.6 #24
    "+CPIN: READY",  # QAT 15.6 #26
    "+QIND: SMS DONE",  # QAT 15.6 #27
    '+CREG: 1,"D509","80D413D",7',  # MM-tests reg-* (URC form)
    "+CGEV: ME PDN DEACT 1",  # MM-tests cgev-*; QAT 10 §10.12
    "^RSSI: 15",  # format of MM huawei rssi_regex
    "+PACSP1",  # MM mm-common-sierra.c
]


# -- helpers --------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture
def modem() -> Iterator[Callable[..., tuple[PtyResponder, AtChannel, Recorder]]]:
    made: list[tuple[PtyResponder, AtChannel]] = []

    def make(
        script: object = None, *, echo: bool = False, timeout: float = 1.0, **kw: object
    ) -> tuple[PtyResponder, AtChannel, Recorder]:
        responder = PtyResponder(script, echo=echo)  # type: ignore[arg-type]
        responder.start()
        port = serial.Serial(responder.path, 115200, timeout=0.02)
        urcs = Recorder()
        channel = AtChannel(port, timeout=timeout, on_urc=urcs, name="pty", **kw)  # type: ignore[arg-type]
        made.append((responder, channel))
        return responder, channel, urcs

    yield make
    for responder, channel in made:
        channel.close()
        responder.stop()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakePort:
    """In-memory port: after each command, the scripted chunks arrive one per read."""

    def __init__(
        self,
        clock: FakeClock,
        reply: Callable[[bytes], list[bytes]] | None = None,
        noise: Callable[[], bytes] | None = None,
    ) -> None:
        self.clock = clock
        self.reply = reply
        self.noise = noise
        self.timeout = 0.05
        self.name = "fake"
        self.chunks: deque[bytes] = deque()
        self.written: list[bytes] = []
        self._pending = b""

    @property
    def in_waiting(self) -> int:
        if not self.chunks and self.noise is not None:
            self.chunks.append(self.noise())
        return len(self.chunks[0]) if self.chunks else 0

    def read(self, size: int = 1) -> bytes:
        if not self.chunks and self.noise is not None:
            self.chunks.append(self.noise())
        if not self.chunks:
            self.clock.now += self.timeout  # a read that waits out its timeout
            return b""
        if self.noise is not None:
            self.clock.now += 0.001
        chunk = self.chunks.popleft()
        if len(chunk) > size:
            self.chunks.appendleft(chunk[size:])
            chunk = chunk[:size]
        return chunk

    def write(self, data: bytes) -> int:
        self.written.append(data)
        self._pending += data
        while b"\r" in self._pending:
            cmd, self._pending = self._pending.split(b"\r", 1)
            if self.reply is not None:
                self.chunks.extend(c for c in self.reply(cmd) if c)
        return len(data)

    def close(self) -> None:
        pass


def fake_channel(
    reply: Callable[[bytes], list[bytes]] | None = None, **kw: object
) -> tuple[AtChannel, FakePort, FakeClock, Recorder]:
    clock = FakeClock()
    port = FakePort(clock, reply)
    urcs = Recorder()
    channel = AtChannel(port, clock=clock, on_urc=urcs, name="fake", **kw)  # type: ignore[arg-type]
    return channel, port, clock, urcs


# -- framing and URC helpers (pure) ----------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "lines"),
    [
        ([b"\r\n+CSQ: 18,99\r\n\r\nOK\r\n"], ["+CSQ: 18,99", "OK"]),
        ([b"\r+CSQ: 18,99\r\rOK\r"], ["+CSQ: 18,99", "OK"]),
        ([b"\n+CSQ: 18,99\n\nOK\n"], ["+CSQ: 18,99", "OK"]),
        ([b"\r\n+CSQ: 1", b"8,99\r", b"\n\r\nO", b"K\r\n"], ["+CSQ: 18,99", "OK"]),
        ([b"\x00\xff\x1bO\x07K\r\n"], ["OK"]),
        ([b"\r\n  \t \r\n\r\n"], []),
    ],
)
def test_splitter_lines(chunks: list[bytes], lines: list[str]) -> None:
    splitter = LineSplitter(64)
    got: list[str] = []
    for chunk in chunks:
        got += splitter.feed(chunk)
    assert got == lines
    assert splitter.pending == 0


def test_splitter_discards_overlong_line_up_to_its_end() -> None:
    splitter = LineSplitter(16)
    got = splitter.feed(b"\r\n" + b"A" * 40)
    assert got == []
    assert splitter.pending == 0
    got += splitter.feed(b"B" * 40 + b"\r\nOK\r\n")
    assert got == ["OK"]


def test_splitter_stale_fragment_is_set_apart() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"garb") == []
    assert splitter.mark_stale()
    stale: list[str] = []
    assert splitter.feed(b"AT+CSQ\r\r\n+CSQ: 18,99\r\n", stale) == ["+CSQ: 18,99"]
    assert stale == ["garbAT+CSQ"]


def test_clean_line_keeps_utf8_text() -> None:
    assert clean_line('+COPS: 0,0,"中国移动"'.encode()) == '+COPS: 0,0,"中国移动"'
    assert clean_line(b"\xfe+CSQ:\x00 18,99\x7f") == "+CSQ: 18,99"


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ("AT+CREG?", ("+CREG",)),
        ("AT+CPIN?", ("+CPIN",)),
        ("AT+COPS=3,2;+COPS?", ("+COPS",)),
        ("AT+CREG=2;+CEREG?", ("+CREG", "+CEREG")),
        ("at+cgreg?", ("+CGREG",)),
        ("AT^HCSQ?", ("^HCSQ",)),
        ("AT#QSS?", ("#QSS",)),
        ("ATI", ()),
        ("ATE0", ()),
    ],
)
def test_solicited_names(command: str, names: tuple[str, ...]) -> None:
    assert solicited_names(command) == names


@pytest.mark.parametrize(
    ("line", "command", "urc"),
    [
        ('+CREG: 1,"D509","80D413D",7', "AT+CSQ", True),
        ('+CREG: 2,1,"D509","80D413D",7', "AT+CREG?", False),
        ("+CEREG: 1", "AT+CREG=2;+CEREG?", False),
        ("+CEREG: 1", "AT+CREG?", True),
        ("+CPIN: READY", "AT+CPIN?", False),
        ("+CPIN: READY", "AT+CSQ", True),
        ("+PACSP1", "AT+CSQ", True),
        ("+CSQ: 18,99", "AT+CSQ", False),
    ],
)
def test_is_urc(line: str, command: str, urc: bool) -> None:
    assert is_urc(line, DEFAULT_URC_PREFIXES, solicited_names(command)) is urc


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=24),
        st.sampled_from(
            [  # MM serial parser finals (vendors.md §1.9), with and without codes
                "OK",
                "ERROR",
                "+CME ERROR: 10",
                "+CMS ERROR: 310",
                "+CME ERROR: SIM busy",
                "NO CARRIER",
                "BUSY",
                "NO ANSWER",
                "NO DIALTONE",
                "COMMAND NOT SUPPORT",
                "CONNECT",
                "CONNECT 150000000",
                "MODEM ERROR: 3",
            ]
        ),
    )
)
def test_every_final_starts_with_a_final_start(line: str) -> None:
    # The channel skips classify() for lines that do not start with FINAL_STARTS.
    if classify(line) is not None:
        assert line.startswith(FINAL_STARTS)


# -- exchanges through a real pty ------------------------------------------------------


@pytest.mark.parametrize(("command", "lines", "source"), RESPONSES)
@pytest.mark.parametrize("echo", [False, True])
def test_response_lines(
    modem, command: str, lines: tuple[str, ...], source: str, echo: bool
) -> None:
    body = b"".join(b"\r\n" + line.encode() for line in lines)
    _, channel, urcs = modem({command.encode(): body + b"\r\n\r\nOK\r\n"}, echo=echo)
    response = channel.command(command)
    assert isinstance(response, AtResponse)
    assert response.lines == lines, source
    assert response.final == "OK"
    assert response.text == "\n".join(lines)
    assert response.command == command
    assert 0 <= response.elapsed < 1.0
    assert urcs.lines == []


@pytest.mark.parametrize(
    "reply",
    [
        b"\r+CSQ: 18,99\r\rOK\r",  # bare CR
        b"\n+CSQ: 18,99\n\nOK\n",  # bare LF
        b"\r\n\r\n\r\n+CSQ: 18,99\r\n\r\n\r\n\r\nOK\r\n\r\n",  # blank lines
        (b"\r\n+CS", 0.01, b"Q: 18", 0.01, b",99\r", 0.01, b"\n\r\nOK\r\n"),  # trickling in
        b"\x00\xff\r\n+CSQ: 18,99\r\n\xfe\x1b\r\nOK\x07\r\n",  # garbage bytes
    ],
)
def test_framing_variants(modem, reply: object) -> None:
    _, channel, _ = modem({b"AT+CSQ": reply})
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)


def test_urcs_before_between_and_in_the_middle(modem) -> None:
    reply = (
        b"\r\n+QIND: SMS DONE\r\n"  # before the answer
        b'\r\n+CREG: 2,1,"D509","80D413D",7\r\n'
        b"\r\n^RSSI: 15\r\n"  # in the middle
        b"\r\n+CEREG: 1\r\n"
        b"\r\nOK\r\n"
        b"\r\nRDY\r\n"  # right after the final, same burst
    )
    responder, channel, urcs = modem({b"AT+CREG?": reply, b"AT+CSQ": CSQ})
    responder.send(b"\r\n+CPIN: READY\r\n")  # between commands
    time.sleep(0.05)
    response = channel.command("AT+CREG?")
    assert response.lines == ('+CREG: 2,1,"D509","80D413D",7',)
    assert urcs.lines == ["+CPIN: READY", "+QIND: SMS DONE", "^RSSI: 15", "+CEREG: 1", "RDY"]
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)


def test_solicited_prefix_is_not_a_urc(modem) -> None:
    _, channel, urcs = modem({b"AT+CPIN?": b"\r\n+CPIN: READY\r\n\r\nOK\r\n"})
    assert channel.command("AT+CPIN?").lines == ("+CPIN: READY",)
    assert urcs.lines == []


def test_vendor_urc_prefixes_can_be_added(modem) -> None:
    _, channel, urcs = modem({b"AT+CSQ": b"\r\n%VENDOR: 1\r\n" + CSQ})
    channel.add_urc_prefixes(["%VENDOR:"])
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert urcs.lines == ["%VENDOR: 1"]
    assert "%VENDOR:" in channel.urc_prefixes


@pytest.mark.parametrize(
    ("final", "exc_type", "code", "meaning"),
    [
        (b"ERROR", AtCommandError, None, None),
        (b"+CME ERROR: 10", CmeError, 10, "SIM not inserted"),  # QAT 15.4
        (b"+CME ERROR: SIM busy", CmeError, 14, "SIM busy"),  # MM-tests final-error (text)
        (b"+CMS ERROR: 310", CmsError, 310, "SIM not inserted"),  # QAT 15.5
        (b"COMMAND NOT SUPPORT", AtCommandError, None, None),
        (b"NO CARRIER", AtCommandError, None, None),
        (b"BUSY", AtCommandError, None, None),
        (b"NO ANSWER", AtCommandError, None, None),
        (b"NO DIALTONE", AtCommandError, None, None),
        (b"MODEM ERROR: 3", AtCommandError, None, None),
    ],
)
def test_error_finals(
    modem, final: bytes, exc_type: type, code: int | None, meaning: str | None
) -> None:
    _, channel, _ = modem({b"AT+CPIN?": b"\r\n" + final + b"\r\n"})
    with pytest.raises(exc_type) as info:
        channel.command("AT+CPIN?")
    assert type(info.value) is exc_type
    assert info.value.final == final.decode()
    if code is not None:
        assert (info.value.code, info.value.meaning) == (code, meaning)


def test_connect_is_a_successful_final(modem) -> None:
    _, channel, _ = modem({b"ATD*99#": b"\r\nCONNECT 150000000\r\n"})
    assert channel.command("ATD*99#").final == "CONNECT 150000000"


def test_empty_cme_error_is_not_final(modem) -> None:
    _, channel, _ = modem({b"AT+CPIN?": b"\r\n+CME ERROR:\r\n\r\n+CME ERROR: 13\r\n"})
    with pytest.raises(CmeError) as info:
        channel.command("AT+CPIN?")
    assert info.value.code == 13
    assert info.value.lines == ("+CME ERROR:",)


def test_stale_partial_line_before_command_is_dropped(modem) -> None:
    responder, channel, urcs = modem({b"AT+CSQ": b"AT+CSQ\r" + CSQ})
    responder.send(b"\x02garbage without end")
    time.sleep(0.05)
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert urcs.lines == []


def test_stale_line_without_command_is_dropped(modem) -> None:
    responder, channel, urcs = modem({b"AT+CSQ": CSQ})
    responder.send(b"\r\nsomething nobody asked for\r\n\r\nRDY\r\n")
    time.sleep(0.05)
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert urcs.lines == ["RDY"]


def test_overlong_line_is_discarded(modem) -> None:
    reply = b"\r\n" + b"A" * 5000 + b"\r\n" + CSQ
    _, channel, _ = modem({b"AT+CSQ": reply}, max_line=1024)
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert channel.buffered == 0


def test_hung_modem_times_out_at_the_deadline(modem) -> None:
    _, channel, _ = modem({b"AT+CSQ": None}, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(AtTimeout) as info:
        channel.command("AT+CSQ")
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 0.3 + READ_SLICE + 0.1
    assert info.value.command == "AT+CSQ"
    assert info.value.timeout == 0.3
    assert channel.dirty


def test_timeout_keeps_partial_lines(modem) -> None:
    _, channel, _ = modem({b"AT+QGDCNT?": b"\r\n+QGDCNT: 109169083,82663256\r\n"}, timeout=0.2)
    with pytest.raises(AtTimeout) as info:
        channel.command("AT+QGDCNT?")
    assert info.value.partial == ("+QGDCNT: 109169083,82663256",)


def test_resync_after_timeout_swallows_the_late_answer(modem) -> None:
    calls = {"n": 0}

    def script(cmd: bytes) -> object:
        if cmd == b"AT+COPS=?":
            # Answers long after the channel gave up on it.
            return (0.35, b'\r\n+COPS: (1,"CHN-UNICOM","UNICOM","46001",7)\r\n\r\nOK\r\n')
        if cmd == b"AT":
            calls["n"] += 1
            return OK
        return CSQ if cmd == b"AT+CSQ" else b"\r\nERROR\r\n"

    responder, channel, _ = modem(script, timeout=0.2)
    with pytest.raises(AtTimeout):
        channel.command("AT+COPS=?")
    assert channel.dirty
    response = channel.command("AT+CSQ")
    assert response.lines == ("+CSQ: 18,99",)
    assert not channel.dirty
    assert calls["n"] >= 1
    assert responder.commands()[1] == b"AT"
    # The next exchange is not confused by the late OK either.
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)


def test_failed_resync_fails_fast_without_sending(modem) -> None:
    responder, channel, _ = modem(lambda cmd: None, timeout=0.2)
    with pytest.raises(AtTimeout):
        channel.command("AT+CSQ")
    start = time.monotonic()
    with pytest.raises(AtTimeout):
        channel.command("AT+CGSN")
    assert time.monotonic() - start < 0.2 * 2 + 0.3
    assert b"AT+CGSN" not in responder.commands()
    assert channel.dirty


def test_initialize_sends_ate0_and_cmee_and_tolerates_error(modem) -> None:
    responder, channel, _ = modem(
        {b"AT": OK, b"ATE0": OK, b"AT+CMEE=1": b"\r\nERROR\r\n"}, echo=True
    )
    channel.initialize()
    assert responder.commands()[-2:] == [b"ATE0", b"AT+CMEE=1"]


def test_initialize_on_silent_modem_raises_timeout(modem) -> None:
    _, channel, _ = modem(lambda cmd: None, timeout=0.1)
    with pytest.raises(AtTimeout):
        channel.initialize()


def test_port_disappearing_raises_port_closed(modem) -> None:
    responder, channel, _ = modem({b"AT+CSQ": CSQ}, timeout=0.5)
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    responder.close_master()
    for _ in range(3):
        with pytest.raises((PortClosed, AtTimeout)):
            channel.command("AT+CSQ")


def test_port_closed_locally_raises_port_closed(modem) -> None:
    _, channel, _ = modem({b"AT+CSQ": CSQ})
    channel.close()
    with pytest.raises(PortClosed):
        channel.command("AT+CSQ")


def test_wait_urcs_hands_urcs_over_and_drops_the_rest(modem) -> None:
    responder, channel, urcs = modem()
    responder.send(b"\r\n+CPIN: READY\r\n\r\njunk\r\n\r\n+QIND: PB DONE\r\n")
    got = channel.wait_urcs(1.0)
    deadline = time.monotonic() + 1.0
    while len(got) < 2 and time.monotonic() < deadline:
        got += channel.wait_urcs(0.2)
    assert got == ["+CPIN: READY", "+QIND: PB DONE"]
    assert urcs.lines == got


def test_wait_urcs_blocks_for_the_timeout_when_quiet(modem) -> None:
    _, channel, _ = modem()
    start = time.monotonic()
    assert channel.wait_urcs(0.25) == []
    assert 0.25 <= time.monotonic() - start < 0.25 + READ_SLICE + 0.1


def test_failing_urc_handler_does_not_break_the_exchange(modem) -> None:
    responder = PtyResponder({b"AT+CSQ": b"\r\nRDY\r\n" + CSQ})
    responder.start()
    try:
        port = serial.Serial(responder.path, timeout=0.02)

        def boom(line: str) -> None:
            raise RuntimeError("handler bug")

        channel = AtChannel(port, on_urc=boom, timeout=1.0)
        assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
        channel.close()
    finally:
        responder.stop()


# -- input between exchanges ----------------------------------------------------------


class SpyPort(FakePort):
    """FakePort that records the order of in_waiting and write calls."""

    def __init__(self, clock: FakeClock, reply: Callable[[bytes], list[bytes]]) -> None:
        super().__init__(clock, reply)
        self.ops: list[str] = []

    @property
    def in_waiting(self) -> int:
        self.ops.append("in_waiting")
        return FakePort.in_waiting.fget(self)  # type: ignore[attr-defined]

    def write(self, data: bytes) -> int:
        self.ops.append("write")
        return super().write(data)

    def checked_before_write(self) -> bool:
        """Whether the last command looked for stale input before writing; resets the log."""
        checked = self.ops.index("write") > 0
        self.ops.clear()
        return checked


def spy_channel(
    replies: dict[bytes, list[bytes]],
) -> tuple[AtChannel, SpyPort, FakeClock, Recorder]:
    clock = FakeClock()
    port = SpyPort(clock, lambda cmd: replies.get(cmd, [b"\r\nERROR\r\n"]))
    urcs = Recorder()
    channel = AtChannel(port, clock=clock, on_urc=urcs, name="spy")  # type: ignore[arg-type]
    return channel, port, clock, urcs


def test_back_to_back_commands_skip_the_stale_input_check() -> None:
    channel, port, _, _ = spy_channel({b"AT+CSQ": [CSQ], b"AT+CPIN?": [b"\r\nERROR\r\n"]})
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert port.checked_before_write()  # nothing known about the port yet
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert not port.checked_before_write()
    with pytest.raises(AtCommandError):
        channel.command("AT+CPIN?")
    assert not port.checked_before_write()
    # An error final drains the port as well as OK does.
    channel.command("AT+CSQ")
    assert not port.checked_before_write()


def test_after_an_idle_gap_a_stale_line_is_dropped() -> None:
    channel, port, clock, urcs = spy_channel({b"AT+CSQ": [CSQ]})
    channel.command("AT+CSQ")
    port.ops.clear()
    clock.now += BACK_TO_BACK * 2
    port.chunks.append(b"\r\nsomething nobody asked for\r\n\r\nRDY\r\n")
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert port.checked_before_write()
    assert urcs.lines == ["RDY"]


def test_after_a_real_idle_gap_a_stale_line_is_dropped(modem) -> None:
    responder, channel, urcs = modem({b"AT+CSQ": CSQ})
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    responder.send(b"\r\nsomething nobody asked for\r\n\r\n+CPIN: READY\r\n")
    time.sleep(0.05)
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert urcs.lines == ["+CPIN: READY"]


def test_urc_arriving_between_back_to_back_commands_is_still_a_urc() -> None:
    channel, port, _, urcs = spy_channel({b"AT+CSQ": [CSQ]})
    channel.command("AT+CSQ")
    port.ops.clear()
    port.chunks.append(b'\r\n+CREG: 1,"D509","80D413D",7\r\n')  # MM-tests reg-* (URC form)
    assert channel.command("AT+CSQ").lines == ("+CSQ: 18,99",)
    assert not port.checked_before_write()
    assert urcs.lines == ['+CREG: 1,"D509","80D413D",7']


@pytest.mark.parametrize(
    ("tail", "urcs_seen"),
    [
        (b"\r\n+CPIN: READY\r\n", ["+CPIN: READY"]),  # a URC right behind the final
        (b"\r\ngarb", []),  # an unfinished line right behind the final
    ],
)
def test_bytes_behind_the_final_keep_the_stale_input_check(
    tail: bytes, urcs_seen: list[str]
) -> None:
    replies = {b"AT+CSQ": [CSQ + tail], b"AT+CPIN?": [b"AT+CPIN?\r\r\n+CPIN: READY\r\n" + OK]}
    channel, port, _, urcs = spy_channel(replies)
    channel.command("AT+CSQ")
    port.ops.clear()
    port.chunks.append(b"age\r\n")  # the rest of whatever was under way
    response = channel.command("AT+CPIN?")
    assert port.checked_before_write()
    # The fragment did not merge into the echo, so the echo is recognised and dropped.
    assert response.lines == ("+CPIN: READY",)
    assert urcs.lines == urcs_seen


def test_wait_urcs_and_resync_keep_the_stale_input_check() -> None:
    channel, port, _, _ = spy_channel({b"AT+CSQ": [CSQ], b"AT": [OK]})
    port.timeout = 0.0  # reads that find nothing take no (fake) time
    channel.command("AT+CSQ")
    channel.wait_urcs(0.0)
    port.ops.clear()
    channel.command("AT+CSQ")
    assert port.checked_before_write()
    assert channel.resync()
    port.ops.clear()
    channel.command("AT+CSQ")
    assert port.checked_before_write()


# -- bounded memory under noise --------------------------------------------------------


def test_streaming_noise_without_line_ends_stays_bounded() -> None:
    clock = FakeClock()
    port = FakePort(clock, noise=lambda: b"\x01Z" * 2048)
    channel = AtChannel(port, clock=clock, timeout=0.5, max_line=256)  # type: ignore[arg-type]
    start = clock.now
    sizes: list[int] = []
    original = port.read

    def spy(size: int = 1) -> bytes:
        sizes.append(channel.buffered)
        return original(size)

    port.read = spy  # type: ignore[method-assign]
    with pytest.raises(AtTimeout) as info:
        channel.command("AT+CSQ")
    assert clock.now - start <= 0.5 + READ_SLICE
    assert len(sizes) > 100
    assert max(sizes) <= 256
    assert info.value.partial == ()


def test_streaming_noise_lines_keep_the_line_list_bounded() -> None:
    clock = FakeClock()
    port = FakePort(clock, noise=lambda: b"noise line\r\n" * 300)
    channel = AtChannel(port, clock=clock, timeout=0.2)  # type: ignore[arg-type]
    with pytest.raises(AtTimeout) as info:
        channel.command("AT+CSQ")
    assert len(info.value.partial) == MAX_LINES


# -- properties ------------------------------------------------------------------------

# Bytes that can never be part of a clean line: control characters other than CR/LF,
# DEL, UTF-8 continuation bytes without a lead byte, and bytes never valid in UTF-8.
NOISE_BYTES = [b for b in range(0x20) if b not in (0x0A, 0x0D)] + [0x7F]
NOISE_BYTES += list(range(0x80, 0xC0)) + list(range(0xF8, 0x100))
noise = st.binary(min_size=1, max_size=8).map(
    lambda b: bytes(NOISE_BYTES[x % len(NOISE_BYTES)] for x in b)
)

FINAL_CASES = [
    ("OK", None),
    ("ERROR", AtCommandError),
    ("+CME ERROR: 10", CmeError),
    ("+CMS ERROR: 500", CmsError),
    ("NO CARRIER", AtCommandError),
]


@st.composite
def exchanges(draw: st.DrawFn) -> tuple[str, tuple[str, ...], list[str], int, list[bytes]]:
    command, lines, _ = draw(st.sampled_from(RESPONSES))
    final_index = draw(st.integers(0, len(FINAL_CASES) - 1))
    final = FINAL_CASES[final_index][0]
    echo = draw(st.booleans())
    term = draw(st.sampled_from([b"\r\n", b"\r", b"\n"]))
    solicited = solicited_names(command)
    urc_pool = [u for u in URCS if is_urc(u, DEFAULT_URC_PREFIXES, solicited)]
    body = [line.encode() for line in (*lines, final)]
    urcs: list[str] = []
    pieces: list[bytes] = []
    for i, line in enumerate(body):
        if i < len(body) - 1 or draw(st.booleans()):
            for urc in draw(st.lists(st.sampled_from(urc_pool), max_size=2)):
                pieces.append(term + urc.encode() + term)
                urcs.append(urc)
        pieces.append(term + line + term)
    stream = bytearray((command.encode() + b"\r") if echo else b"")
    stream += b"".join(pieces)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(stream)))
        stream[at:at] = draw(noise)
    cuts = sorted(draw(st.lists(st.integers(1, max(1, len(stream) - 1)), max_size=6)))
    chunks = [bytes(stream[a:b]) for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    return command, lines, urcs, final_index, chunks


def _run(channel: AtChannel, command: str) -> tuple[AtResponse | None, ModemError | None]:
    try:
        return channel.command(command), None
    except ModemError as exc:
        return None, exc


def _check(
    result: tuple[AtResponse | None, ModemError | None],
    lines: tuple[str, ...],
    final_index: int,
) -> None:
    final, exc_type = FINAL_CASES[final_index]
    response, error = result
    if exc_type is None:
        assert error is None, error
        assert response is not None
        assert response.lines == lines
        assert response.final == final
    else:
        assert type(error) is exc_type
        assert isinstance(error, AtCommandError)
        assert error.lines == lines
        assert error.final == final


@settings(max_examples=300, deadline=None)
@given(exchanges())
def test_well_formed_streams_recover_lines_exactly(
    case: tuple[str, tuple[str, ...], list[str], int, list[bytes]],
) -> None:
    command, lines, urcs, final_index, chunks = case
    channel, port, clock, seen = fake_channel(lambda cmd: chunks, timeout=1.0)
    start = clock.now
    _check(_run(channel, command), lines, final_index)
    assert clock.now - start <= 1.0
    while port.chunks:  # URCs trailing the final, in later reads
        channel.wait_urcs(0.1)
    assert seen.lines == urcs


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=8), st.booleans())
def test_arbitrary_streams_raise_only_typed_errors_and_never_hang(
    chunks: list[bytes], add_final: bool
) -> None:
    if add_final:
        chunks = [*chunks, b"\r\nOK\r\n"]
    channel, _, clock, _ = fake_channel(lambda cmd: chunks, timeout=0.5, max_line=32)
    start = clock.now
    response, error = _run(channel, "AT+CSQ")
    assert clock.now - start <= 0.5 + READ_SLICE
    assert channel.buffered <= 32
    assert response is not None or isinstance(error, ModemError)
    # With a final appended the exchange always ends, unless noise ended it sooner.
    if add_final and error is not None:
        assert isinstance(error, AtCommandError | AtTimeout)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(exchanges())
def test_well_formed_streams_over_a_real_pty(
    modem, case: tuple[str, tuple[str, ...], list[str], int, list[bytes]]
) -> None:
    command, lines, urcs, final_index, chunks = case
    paced: list[bytes | float] = []
    for chunk in chunks:
        paced += [chunk, 0.001]
    _, channel, seen = modem({command.encode(): paced}, timeout=2.0)
    _check(_run(channel, command), lines, final_index)
    # URCs that trail the final may land after the exchange; wait for them briefly.
    deadline = time.monotonic() + 0.5
    while len(seen.lines) < len(urcs) and time.monotonic() < deadline:
        channel.wait_urcs(0.05)
    assert seen.lines == urcs


# -- logging ---------------------------------------------------------------------------


@pytest.fixture
def debug_logs() -> Iterator[list[dict[str, object]]]:
    # Other tests may have configured an INFO filter; allow debug here and restore after.
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(**saved)


def test_each_exchange_is_logged_at_debug(modem, debug_logs: list[dict[str, object]]) -> None:
    _, channel, _ = modem({b"AT+CSQ": CSQ})
    channel.command("AT+CSQ")
    events = [e for e in debug_logs if e["event"] == "at_exchange"]
    assert len(events) == 1
    event = events[0]
    assert event["log_level"] == "debug"
    assert event["command"] == "AT+CSQ"
    assert event["final"] == "OK"
    assert event["lines"] == ("+CSQ: 18,99",)
    assert event["port"] == "pty"
    assert isinstance(event["elapsed_ms"], float)


def test_collecting_urcs_sees_urcs_handed_on_in_the_block() -> None:
    """A caller can collect the URCs of one exchange; on_urc still gets every one."""
    reply = {b"AT+CUSD=1": [b'\r\nOK\r\n\r\n+CUSD: 0,"Balance 12",15\r\n']}
    channel, _, _, urcs = fake_channel(lambda cmd: reply.get(cmd, [b"\r\nOK\r\n"]))
    with channel.collecting_urcs(lambda line: line.startswith("+CUSD:")) as seen:
        channel.command("AT+CUSD=1")
        channel.wait_urcs(0.2)
    assert seen == ['+CUSD: 0,"Balance 12",15']
    channel.emit_urc("+CUSD: 2")  # after the block: only on_urc hears it
    assert seen == ['+CUSD: 0,"Balance 12",15']
    assert urcs.lines == ['+CUSD: 0,"Balance 12",15', "+CUSD: 2"]


class FailingPort(FakePort):
    """A port whose device went away: every read fails as pyserial reports it."""

    @property
    def in_waiting(self) -> int:
        raise serial.SerialException("device reports readiness to read but returned no data")


def test_a_port_failing_in_the_quick_resync_raises_port_closed() -> None:
    # initialize() on a port just opened takes the stale input first, outside command().
    channel = AtChannel(FailingPort(FakeClock()), timeout=0.5)
    with pytest.raises(PortClosed, match="read failed"):
        channel.resync(quick=True)
