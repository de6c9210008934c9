"""Generic 3GPP TS 27.007 modem: the snapshot policy and the read hooks vendors override.

`snapshot()` is the policy (what to read, in which order, what a failure means); the
`read_*` methods are the hooks. A vendor subclass overrides a hook and chains up to the
generic one when its firmware answers ERROR, the shape ModemManager's plugins have.

The driver only queries. The one write it makes is `AT+COPS=3,<format>` around a read of
`+COPS?` to get both the operator name and the numeric MCC/MNC; it sets the format of the
read-out only (not the network selection) and is put back to what it was in the same line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from drivers.at.channel import AtChannel, AtResponse
from drivers.errors import AtCommandError, CmeError, ParseError
from drivers.logs import get_logger
from drivers.parsers.common import (
    bars,
    parse_ati,
    parse_cesq,
    parse_cgsn,
    parse_cimi,
    parse_cops,
    parse_cpin,
    parse_creg,
    parse_csq,
    parse_iccid,
    parse_info_line,
    sim_state_from_cme,
)
from drivers.parsers.common_text import frozen
from drivers.parsers.radio import CounterReading, RadioInfo
from drivers.types import (
    Counters,
    CounterSource,
    Identity,
    Rat,
    Registration,
    RegState,
    Signal,
    SimInfo,
    SimState,
    Snapshot,
)

T = TypeVar("T")

log = get_logger("posagent.driver")

# CME codes that mean "this firmware does not do that" rather than a passing state.
_UNSUPPORTED_CME = frozenset({4})
_REGISTERED = (RegState.HOME, RegState.ROAMING)
# Most specific first: a 5G-capable modem answers C5GREG even while camped on LTE, so the
# first family that says "registered" wins, else the most specific one that answered.
_REG_FAMILIES = ("C5GREG", "CEREG", "CGREG", "CREG")
_REG_COMMANDS = tuple(f"AT+{family}?" for family in _REG_FAMILIES)
_NO_INTERFACE = Counters(source=CounterSource.NONE, detail="no interface configured")
# Answers that stay the same from one poll to the next for hours: SIM state, ICCID, IMSI,
# registration, operator. The last answer to each command is kept with its reading, and an
# identical answer is not parsed again. Parsers are pure and return immutable values, so
# the reading kept is the one parsing would give. Signal and counters change every poll.
_REPEATING = frozenset({parse_cpin, parse_iccid, parse_cimi, parse_creg, parse_cops})

SYSFS_NET = Path("/sys/class/net")


class Generic3gppModem:
    """A modem that answers the basic 27.007 set; every vendor driver derives from it."""

    name = "generic"
    # Vendor ICCID commands first in subclasses; the generic ones are always tried after.
    vendor_iccid_commands: tuple[str, ...] = ()
    generic_iccid_commands: tuple[str, ...] = (
        "AT+CRSM=176,12258,0,0,10",
        "AT+CCID",
        "AT+ICCID",
    )
    urc_prefixes: tuple[str, ...] = ()
    # USSD text as packed GSM-7 hex both ways (drivers.ussd); Huawei firmware wants it.
    ussd_packed = False

    def __init__(
        self,
        channel: AtChannel,
        *,
        port: str = "",
        interface: str | None = None,
        sysfs_net: Path = SYSFS_NET,
        identity: Identity | None = None,
    ) -> None:
        self.channel = channel
        self.port = port
        self.interface = interface
        self.sysfs_net = sysfs_net
        self._unsupported: set[str] = set()
        self._identity = identity  # known already when auto-detection read it
        # command -> (parser, answer text, reading) of the last _REPEATING answer
        self._last: dict[str, tuple[Callable[[str], object], str, object]] = {}
        # command -> reading, for `read_once` while a snapshot is being taken (else None)
        self._this_snapshot: dict[str, object] | None = None
        if self.urc_prefixes:
            channel.add_urc_prefixes(self.urc_prefixes)

    # -- plumbing ---------------------------------------------------------------------

    def forget(self) -> None:
        """Drop what was learnt about the modem: after a reboot its firmware may differ."""
        self._unsupported.clear()
        self._identity = None
        self._last.clear()

    def supports(self, command: str) -> bool:
        return command not in self._unsupported

    def query(self, command: str, *, timeout: float | None = None) -> AtResponse | None:
        """Send a query; None when the modem says it does not support it (remembered).

        Errors that describe a passing state (SIM absent, SIM busy, no network) are
        raised so the caller can tell them apart; timeouts and port errors always are.
        """
        if command in self._unsupported:
            return None
        try:
            return self.channel.command(command, timeout=timeout)
        except CmeError as err:
            if err.code in _UNSUPPORTED_CME:
                self._unsupported.add(command)
                return None
            raise
        except AtCommandError:
            # Plain ERROR / COMMAND NOT SUPPORT: the firmware lacks the command.
            self._unsupported.add(command)
            return None

    def read(self, command: str, parser: Callable[[str], T]) -> T | None:
        """Query and parse; None for unsupported, for a CME error and for garbled text."""
        try:
            response = self.query(command)
        except CmeError as err:
            log.debug("at_cme", command=command, code=err.code, meaning=err.meaning)
            return None
        if response is None:
            return None
        try:
            return self._parse(command, parser, response.text)
        except ParseError as err:
            log.debug("at_unparsed", command=command, text=err.text)
            return None

    def read_once(self, command: str, parser: Callable[[str], T]) -> T | None:
        """`read`, asked of the modem at most once per snapshot: a vendor report that
        feeds both the registration (cell) and the signal (levels) is sent once. Outside
        a snapshot it is `read`."""
        memo = self._this_snapshot
        if memo is None:
            return self.read(command, parser)
        if command in memo:
            return memo[command]  # type: ignore[return-value]
        value = self.read(command, parser)
        memo[command] = value
        return value

    def _parse(self, command: str, parser: Callable[[str], T], text: str) -> T:
        """``parser(text)``; for a repeating answer, the reading kept from the last poll."""
        if parser not in _REPEATING:
            return parser(text)
        last = self._last.get(command)
        if last is not None and last[0] is parser and last[1] == text:
            return last[2]  # type: ignore[return-value]
        value = parser(text)
        self._last[command] = (parser, text, value)
        return value

    # -- hooks --------------------------------------------------------------------------

    def identify(self) -> Identity:
        if self._identity is not None:
            return self._identity
        manufacturer = self.read("AT+CGMI", lambda t: parse_info_line(t, "+CGMI"))
        model = self.read("AT+CGMM", lambda t: parse_info_line(t, "+CGMM"))
        revision = self.read("AT+CGMR", lambda t: parse_info_line(t, "+CGMR"))
        imei_pair = self.read("AT+CGSN", parse_cgsn)
        if manufacturer is None or model is None:
            ati = self.read("ATI", parse_ati) or Identity()
            manufacturer = manufacturer or ati.manufacturer
            model = model or ati.model
            revision = revision or ati.revision
            if imei_pair is None and ati.imei:
                imei_pair = (ati.imei, bool(ati.imei_valid))
        imei, imei_valid = imei_pair if imei_pair else (None, None)
        self._identity = Identity(
            manufacturer=manufacturer,
            model=model,
            revision=revision,
            imei=imei,
            imei_valid=imei_valid,
        )
        return self._identity

    def read_sim_state(self) -> tuple[SimState, str | None]:
        try:
            response = self.query("AT+CPIN?")
        except CmeError as err:
            state = sim_state_from_cme(err.code, err.final)
            if state is None:  # SIM busy: still initialising after boot or a swap
                return SimState.ERROR, err.meaning
            return state, err.meaning
        if response is None:
            return SimState.ERROR, "AT+CPIN? not supported"
        try:
            return self._parse("AT+CPIN?", parse_cpin, response.text)
        except ParseError:
            return SimState.ERROR, response.text or None

    def read_iccid(self) -> str | None:
        # Vendor commands first; a generic one the vendor list already tried is not sent again.
        for command in dict.fromkeys((*self.vendor_iccid_commands, *self.generic_iccid_commands)):
            iccid = self.read(command, parse_iccid)
            if iccid:
                return iccid
        return None

    def read_imsi(self) -> str | None:
        return self.read("AT+CIMI", parse_cimi)

    def read_signal(self, registration: Registration | None = None) -> Signal:
        rssi_dbm, ber = self.read("AT+CSQ", parse_csq) or (None, None)
        cesq = self.read("AT+CESQ", parse_cesq)
        rsrp = cesq.rsrp_dbm if cesq else None
        rsrq = cesq.rsrq_db if cesq else None
        # frozen(): equal to Signal(...) at a fraction of the cost (see there); the values
        # built once per snapshot below are made the same way.
        return frozen(
            Signal,
            {
                "rat": registration.rat if registration else None,
                "rssi_dbm": rssi_dbm,
                "ber": ber,
                "rsrp_dbm": rsrp,
                "rsrq_db": rsrq,
                "sinr_db": None,
                "bars": bars(rssi_dbm, rsrp),
            },
        )

    def read_registration(self) -> Registration:
        chosen = None
        for command in _REG_COMMANDS:
            info = self.read(command, parse_creg)
            if info is None:
                continue
            if chosen is None:
                chosen = info
            if info.state in _REGISTERED:
                chosen = info
                break
        operator, mcc, mnc, cops_rat = self.read_operator()
        if chosen is None:
            return Registration(operator=operator, mcc=mcc, mnc=mnc, rat=cops_rat)
        return frozen(
            Registration,
            {
                "state": chosen.state,
                "operator": operator,
                "mcc": mcc,
                "mnc": mnc,
                "area_code": chosen.area_code,
                "cell_id": chosen.cell_id,
                "rat": chosen.rat or cops_rat,
                "family": chosen.family,
            },
        )

    def read_operator(self) -> tuple[str | None, str | None, str | None, Rat | None]:
        """(name, mcc, mnc, rat) from +COPS?, in both formats when the modem allows."""
        current = self.read("AT+COPS?", parse_cops)
        if current is None or current.format is None or current.operator is None:
            return None, None, None, current.rat if current else None
        name = current.operator if current.format != 2 else None
        mcc, mnc = current.mcc, current.mnc
        other_format = 0 if current.format == 2 else 2
        # One line: switch the read-out format, read, and switch back to what it was.
        other = self.read(f"AT+COPS=3,{other_format};+COPS?;+COPS=3,{current.format}", parse_cops)
        if other is not None and other.operator is not None:
            if other_format == 2:
                mcc, mnc = other.mcc, other.mnc
            else:
                name = other.operator
        return name, mcc, mnc, current.rat

    def read_counters(self) -> Counters:
        return self.read_interface_counters()

    # -- for the vendor drivers -----------------------------------------------------------

    def cell_from(
        self, registration: Registration, command: str, parser: Callable[[str], RadioInfo]
    ) -> Registration:
        """``registration`` with its cell from the vendor's serving-cell report, asked (once
        a snapshot) only when +CxREG? left area code or cell id unknown."""
        if knows_cell(registration):
            return registration
        return with_cell(registration, self.read_once(command, parser))

    def vendor_counters(self, command: str, parser: Callable[[str], CounterReading]) -> Counters:
        """The vendor's byte counter, else the interface counters."""
        counters = modem_counters(self.read(command, parser), command)
        return counters or self.read_interface_counters()

    def read_interface_counters(self) -> Counters:
        """Bytes of the Linux network interface that carries the modem's data."""
        if not self.interface:
            return _NO_INTERFACE
        stats = self.sysfs_net / self.interface / "statistics"
        try:
            rx = int((stats / "rx_bytes").read_text().strip())
            tx = int((stats / "tx_bytes").read_text().strip())
        except (OSError, ValueError):
            return Counters(source=CounterSource.NONE, detail=f"interface {self.interface} absent")
        return Counters(
            source=CounterSource.INTERFACE, rx_bytes=rx, tx_bytes=tx, detail=self.interface
        )

    # -- policy -------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """One full reading. Unsupported values are None; an absent or locked SIM still
        gives identity and signal. Timeouts and port errors propagate: they mean the
        modem itself is unreachable, which the caller reports."""
        self._this_snapshot = {}
        try:
            return self._snapshot()
        finally:
            self._this_snapshot = None

    def _snapshot(self) -> Snapshot:
        identity = self.identify()
        sim_state, detail = self.read_sim_state()
        iccid = imsi = None
        if sim_state is not SimState.ABSENT:
            iccid = self.read_iccid()  # EF_ICCID is readable without the PIN
        if sim_state is SimState.READY:
            imsi = self.read_imsi()
        registration = self.read_registration()
        signal = self.read_signal(registration)
        counters = self.read_counters()
        sim = frozen(SimInfo, {"state": sim_state, "iccid": iccid, "imsi": imsi, "detail": detail})
        return frozen(
            Snapshot,
            {
                "port": self.port,
                "driver": self.name,
                "identity": identity,
                "sim": sim,
                "signal": signal,
                "registration": registration,
                "counters": counters,
            },
        )


def merge_radio(signal: Signal, radio: RadioInfo | None) -> Signal:
    """A vendor's extended reading over the 27.007 one: the vendor's value wins where it
    has one, the generic one stays where it has not."""
    if radio is None:
        return signal
    rat, rssi, rsrp = radio.rat, radio.rssi_dbm, radio.rsrp_dbm
    rsrq, sinr = radio.rsrq_db, radio.sinr_db
    if rssi is None:
        rssi = signal.rssi_dbm
    if rsrp is None:
        rsrp = signal.rsrp_dbm
    return frozen(
        Signal,
        {
            "rat": signal.rat if rat is None else rat,
            "rssi_dbm": round(rssi) if isinstance(rssi, float) and rssi.is_integer() else rssi,
            "ber": signal.ber,
            "rsrp_dbm": round(rsrp) if isinstance(rsrp, float) and rsrp.is_integer() else rsrp,
            "rsrq_db": signal.rsrq_db if rsrq is None else rsrq,
            "sinr_db": signal.sinr_db if sinr is None else sinr,
            "bars": bars(
                None if rssi is None else round(rssi), None if rsrp is None else round(rsrp)
            ),
        },
    )


def with_cell(registration: Registration, radio: RadioInfo | None) -> Registration:
    """The registration with area code, cell id and RAT filled from a serving-cell report
    where the 27.007 answers left them unknown (+CxREG? has them only after AT+CxREG=2,
    a setting posagent does not make)."""
    if radio is None:
        return registration
    area_code, cell_id = registration.area_code, registration.cell_id
    return frozen(
        Registration,
        {
            **vars(registration),
            "area_code": radio.area_code if area_code is None else area_code,
            "cell_id": radio.cell_id if cell_id is None else cell_id,
            "rat": registration.rat or radio.rat,
        },
    )


def knows_cell(registration: Registration) -> bool:
    return registration.area_code is not None and registration.cell_id is not None


def modem_counters(reading: CounterReading | None, command: str) -> Counters | None:
    """Counters from a vendor's counter reading."""
    if reading is None:
        return None
    return frozen(
        Counters,
        {
            "source": CounterSource.MODEM,
            "rx_bytes": reading.rx_bytes,
            "tx_bytes": reading.tx_bytes,
            "detail": command,
        },
    )
