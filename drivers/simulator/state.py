"""What the simulated modem knows: the world it sees (SIM, radio, counters) and its settings.

`validate_changes` is the single gate for state keys and events, shared by scenario files,
the control socket and `SimulatedModem.apply`, so all three accept exactly the same objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from drivers.records import field, fields, record, replace

# 27.007 +CREG <stat> values by the names SPEC.md uses; "searching" is 2, "roaming" 5.
REGISTRATION_NAMES: dict[str, int] = {
    "not_registered": 0,
    "home": 1,
    "searching": 2,
    "denied": 3,
    "unknown": 4,
    "roaming": 5,
}
SIM_STATES = ("ready", "absent", "locked")
RATS = ("gsm", "umts", "lte", "nr5g")
EVENTS = ("reset", "unplug", "replug", "hang", "garbage", "urc", "sms")

# Share of `traffic_bps` counted as received; a POS terminal mostly downloads.
RX_SHARE = 0.8


class EventError(ValueError):
    """A state key or event has a bad name or value; `key` names the offending key."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


@record(frozen=False)
class ModemState:
    """The modem's view of the world. Scenario and control keys map onto these fields."""

    iccid: str = "89860025128306012474"
    imsi: str = "460023210226023"
    imei: str = "869955065336336"
    sim: str = "ready"
    pin: str = "1234"
    csq: int = 20
    cesq: tuple[int, int, int, int, int, int] = (99, 99, 255, 255, 20, 43)
    sinr: float = 10.0  # dB, for vendor commands that report it
    registration: int = 1
    operator: str = "CHINA MOBILE"
    operator_short: str = "CMCC"
    mcc: str = "460"
    mnc: str = "00"
    lac: int = 0x1A2B  # LAC (GSM/UMTS) or TAC (LTE/NR)
    cell_id: int = 0x80D413D
    rat: str = "lte"
    apn: str = "cmnet"
    rx_bytes: int = 0
    tx_bytes: int = 0
    traffic_bps: float = 0.0  # bytes per second, split RX_SHARE received / rest sent
    latency: float = 0.0  # seconds before each answer
    manufacturer: str | None = None  # None: the profile's value
    model: str | None = None
    revision: str | None = None
    # The network's answer to any USSD request (AT+CUSD); "" answers +CUSD: 4 (not supported).
    ussd_reply: str = "尊敬的客户，您的账户余额：12.50元。"
    # Messages on the SIM/ME, each {sender, text, time} or {pdu}; see profiles/messaging.py.
    sms: tuple[dict[str, Any], ...] = ()
    # What the host sent with AT+CMGS, each {to, text, parts}; concatenated parts joined.
    sent_sms: tuple[dict[str, Any], ...] = ()


@record(frozen=False)
class Settings:
    """Volatile per-boot configuration set by AT commands; a power cycle restores defaults."""

    echo: bool = True
    cmee: int = 0
    cscs: str = "GSM"
    cops_format: int = 0
    reg_urc: dict[str, int] = field(default_factory=lambda: {"CREG": 0, "CGREG": 0, "CEREG": 0})
    cfun: int = 1
    qsimstat_urc: bool = False
    cmgf: int = 0  # 27.005 §3.2.3: 0 PDU mode (Quectel's default, QAT 15.1)
    # Parts of a concatenated AT+CMGS message still waiting for the rest: (to, ref) → parts.
    sms_parts: dict[tuple[str, int], dict[int, Any]] = field(default_factory=dict)


@record(frozen=False)
class Nvm:
    """What the module keeps across power cycles (vendor dependent)."""

    saved_rx: int = 0
    saved_tx: int = 0
    autosave_interval: int = 0  # Quectel AT+QAUGDCNT, seconds; 0 = off


STATE_FIELDS = frozenset(f.name for f in fields(ModemState))  # ModemState's own keys
STATE_KEYS = STATE_FIELDS | {"tac", "echo", "cmee"}
EVENT_KEYS = frozenset({"event", "garbage", "urc", "bytes", "line", "message"})


def registration_stat(value: object) -> int:
    """A registration given as a 27.007 <stat> number or a SPEC.md name → <stat>."""
    if isinstance(value, bool):
        raise EventError("registration", f"expected a number 0..11 or a name, got {value!r}")
    if isinstance(value, int):
        if 0 <= value <= 11:
            return value
        raise EventError("registration", f"<stat> must be 0..11, got {value}")
    if isinstance(value, str) and value in REGISTRATION_NAMES:
        return REGISTRATION_NAMES[value]
    names = ", ".join(REGISTRATION_NAMES)
    raise EventError("registration", f"expected a number 0..11 or one of {names}, got {value!r}")


def _int(key: str, value: object, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventError(key, f"expected an integer, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise EventError(key, f"must be {bounds}, got {value}")
    return value


def _number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EventError(key, f"expected a number, got {value!r}")
    if value < 0:
        raise EventError(key, f"must not be negative, got {value}")
    return float(value)


def _digits(key: str, value: object, allow_hex: bool = False) -> str:
    # YAML reads an unquoted ICCID/IMSI as an int; a number of digits is still what was meant.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise EventError(key, f"expected a string of digits, got {value!r}")
    allowed = set("0123456789ABCDEFabcdef" if allow_hex else "0123456789")
    if not set(value) <= allowed:
        raise EventError(key, f"unexpected characters in {value!r}")
    return value.upper()


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise EventError(key, f"expected a string, got {value!r} (quote it)")
    return value


def _choice(key: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise EventError(key, f"expected one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _state_value(key: str, value: Any) -> Any:
    """Check and normalise one state key's value."""
    if key in ("iccid",):
        return _digits(key, value, allow_hex=True)
    if key in ("imsi", "imei", "pin"):
        return _digits(key, value)
    if key in ("mcc", "mnc"):
        text = _text(key, value)
        if not text.isdigit() or not (2 if key == "mnc" else 3) <= len(text) <= 3:
            raise EventError(key, f"expected {'2-3' if key == 'mnc' else '3'} digits, got {text!r}")
        return text
    if key == "sim":
        return _choice(key, value, SIM_STATES)
    if key == "rat":
        return _choice(key, value, RATS)
    if key == "csq":
        v = _int(key, value, 0, 99)
        if 31 < v < 99:
            raise EventError(key, f"must be 0..31 or 99, got {v}")
        return v
    if key == "cesq":
        if not isinstance(value, (list, tuple)) or len(value) != 6:
            raise EventError(key, f"expected a list of 6 integers, got {value!r}")
        return tuple(_int(key, v, 0, 255) for v in value)
    if key == "registration":
        return registration_stat(value)
    if key in ("operator", "operator_short", "apn", "manufacturer", "model", "revision"):
        return _text(key, value)
    if key in ("lac", "tac", "cell_id", "rx_bytes", "tx_bytes"):
        return _int(key, value, 0)
    if key in ("traffic_bps", "latency"):
        return _number(key, value)
    if key == "sinr":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise EventError(key, f"expected a number, got {value!r}")
        return float(value)
    if key == "echo":
        if not isinstance(value, bool):
            raise EventError(key, f"expected true or false, got {value!r}")
        return value
    if key == "cmee":
        return _int(key, value, 0, 2)
    if key == "ussd_reply":
        return _text(key, value)
    if key in ("sms", "sent_sms"):
        if not isinstance(value, (list, tuple)):
            raise EventError(key, f"expected a list of messages, got {value!r}")
        check = sms_message if key == "sms" else _sent_message
        return tuple(check(key, item) for item in value)
    raise EventError(key, "unknown key")  # pragma: no cover - guarded by STATE_KEYS


def sms_message(key: str, value: object) -> dict[str, Any]:
    """One stored/incoming message: ``{sender, text[, time]}`` or ``{pdu}`` (an SMS-DELIVER
    in hex with its SMSC prefix, as +CMGL shows it). ``time`` is ISO 8601."""
    if not isinstance(value, Mapping):
        raise EventError(key, f"expected a message {{sender, text, time}}, got {value!r}")
    unknown = set(value) - {"sender", "text", "time", "pdu"}
    if unknown:
        raise EventError(key, f"unknown message key {sorted(unknown)[0]!r}")
    if "pdu" in value:
        pdu = _text(key, value["pdu"])
        if set(value) != {"pdu"} or len(pdu) % 2 or not set(pdu) <= set("0123456789ABCDEFabcdef"):
            raise EventError(key, "a pdu message is one even-length hex string and nothing else")
        return {"pdu": pdu.upper()}
    sender = _text(key, value.get("sender"))
    text = _text(key, value.get("text"))
    if not sender:
        raise EventError(key, "a message needs a sender")
    message: dict[str, Any] = {"sender": sender, "text": text}
    if value.get("time") is not None:
        try:
            message["time"] = datetime.fromisoformat(_text(key, value["time"])).isoformat()
        except ValueError as err:
            raise EventError(key, f"time: not ISO 8601: {value['time']!r}") from err
    return message


def _sent_message(key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not {"to", "text"} <= set(value):
        raise EventError(key, f"expected {{to, text}}, got {value!r}")
    return {"to": _text(key, value["to"]), "text": _text(key, value["text"]), "parts": 1} | {
        k: v for k, v in value.items() if k == "parts"
    }


def validate_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check a scenario event / control object (without `at`) and return it normalised.

    Accepted event forms: ``event: reset|unplug|replug|hang``, ``garbage: N`` (or
    ``event: garbage`` with ``bytes: N``), ``urc: LINE`` (or ``event: urc`` with ``line:``),
    ``sms: {sender, text, time}`` (one incoming message; a list sets the stored ones).
    The result uses ``event``, ``bytes`` and ``line``; ``tac`` becomes ``lac``.
    """
    if not isinstance(changes, Mapping):
        raise EventError(None, f"expected a mapping of keys to values, got {changes!r}")
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in EVENT_KEYS or (key == "sms" and isinstance(value, Mapping)):
            continue  # one incoming message {"sms": {...}} is an event, below
        if key not in STATE_KEYS:
            raise EventError(key, "unknown key")
        out["lac" if key == "tac" else key] = _state_value(key, value)
    event = changes.get("event")
    if "garbage" in changes:
        if event not in (None, "garbage"):
            raise EventError("garbage", f"cannot be combined with event {event!r}")
        event = "garbage"
        out["bytes"] = _int("garbage", changes["garbage"], 0, 1 << 20)
    if "urc" in changes:
        if event not in (None, "urc"):
            raise EventError("urc", f"cannot be combined with event {event!r}")
        event = "urc"
        out["line"] = changes["urc"]
    if isinstance(changes.get("sms"), Mapping):
        if event not in (None, "sms"):
            raise EventError("sms", f"cannot be combined with event {event!r}")
        event = "sms"
        out["message"] = sms_message("sms", changes["sms"])
    if event is None:
        for key in ("bytes", "line", "message"):
            if key in changes:
                raise EventError(key, "only meaningful with an event")
        return out
    out["event"] = _choice("event", event, EVENTS)
    if out["event"] == "garbage":
        out.setdefault("bytes", _int("bytes", changes.get("bytes", 16), 0, 1 << 20))
    elif "bytes" in changes:
        raise EventError("bytes", "only meaningful with event garbage")
    if out["event"] == "urc":
        line = out.get("line", changes.get("line"))
        if not isinstance(line, str) or not line or "\r" in line or "\n" in line:
            raise EventError("urc", f"expected one line of text, got {line!r}")
        out["line"] = line
    elif "line" in changes:
        raise EventError("line", "only meaningful with event urc")
    if out["event"] == "sms" and "message" not in out:
        out["message"] = sms_message("message", changes.get("message"))
    elif out["event"] != "sms" and "message" in changes:
        raise EventError("message", "only meaningful with event sms")
    return out


def apply_state(state: ModemState, changes: Mapping[str, Any]) -> ModemState:
    """A new state with the (validated) state keys of `changes` applied; events are ignored."""
    values = {k: v for k, v in changes.items() if k in STATE_FIELDS}
    return replace(state, **values)


def swap_iccid(iccid: str) -> str:
    """The EF_ICCID content as +CRSM shows it: BCD nibbles swapped, padded with F to 20."""
    padded = iccid.ljust(20, "F")
    return "".join(padded[i + 1] + padded[i] for i in range(0, 20, 2))
