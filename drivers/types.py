"""Typed values passed from the drivers up to the agent. All frozen; unknown is None."""

from __future__ import annotations

import enum

from drivers.records import field, record


class SimState(str, enum.Enum):
    READY = "ready"
    ABSENT = "absent"
    LOCKED = "locked"
    ERROR = "error"


class Rat(str, enum.Enum):
    """Radio access technology, as SPEC.md names it in ``signal.rat``."""

    GSM = "gsm"
    UMTS = "umts"
    LTE = "lte"
    NR5G = "nr5g"


class RegState(str, enum.Enum):
    HOME = "home"
    ROAMING = "roaming"
    SEARCHING = "searching"
    DENIED = "denied"
    NOT_REGISTERED = "not_registered"
    UNKNOWN = "unknown"


class CounterSource(str, enum.Enum):
    MODEM = "modem"
    INTERFACE = "interface"
    NONE = "none"


@record
class Identity:
    manufacturer: str | None = None
    model: str | None = None
    revision: str | None = None
    imei: str | None = None
    imei_valid: bool | None = None  # Luhn check digit; a bad one is flagged, not rejected


@record
class SimInfo:
    state: SimState = SimState.ERROR
    iccid: str | None = None
    imsi: str | None = None
    detail: str | None = None  # e.g. "SIM PIN", "SIM not inserted"


@record
class Signal:
    rat: Rat | None = None
    rssi_dbm: int | None = None
    ber: int | None = None
    rsrp_dbm: int | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    bars: int | None = None  # 0..4


@record
class Registration:
    state: RegState = RegState.UNKNOWN
    operator: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    area_code: int | None = None  # LAC or TAC
    cell_id: int | None = None
    rat: Rat | None = None
    family: str | None = None  # which command answered: "C5GREG", "CEREG", "CGREG", "CREG"


@record
class Counters:
    source: CounterSource = CounterSource.NONE
    rx_bytes: int | None = None
    tx_bytes: int | None = None
    detail: str | None = None  # e.g. the interface name or the AT command


@record
class Snapshot:
    port: str
    driver: str
    identity: Identity = field(default_factory=Identity)
    sim: SimInfo = field(default_factory=SimInfo)
    signal: Signal = field(default_factory=Signal)
    registration: Registration = field(default_factory=Registration)
    counters: Counters = field(default_factory=Counters)
