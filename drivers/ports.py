"""Finding the modem's AT port: pyserial's enumeration, the USB interface maps of
vendors.md §3, and a probe with `AT` on the ports that remain.

Never writes to a port another process holds (the payment application's PPP port, or
ModemManager's): such a port is listed as busy and left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from drivers.at.channel import AtChannel
from drivers.at.transport import find_holders, open_port
from drivers.errors import ModemError, ParseError
from drivers.parsers.common import parse_info_line
from drivers.records import record, replace
from drivers.registry import USB_VENDOR_DRIVERS, driver_for_manufacturer

# (VID, PID) → the USB interface number of the primary AT port (vendors.md §3, from
# ModemManager's udev port-type rules). Huawei is matched by interface protocol instead.
AT_INTERFACE: dict[tuple[int, int], int] = {
    # Quectel EC25/EG25, EC21, EG91, EG95, BG96, EG06, RM500, RM520N: if2; EM060K-GL: if5
    (0x2C7C, 0x0125): 2,
    (0x2C7C, 0x0121): 2,
    (0x2C7C, 0x0191): 2,
    (0x2C7C, 0x0195): 2,
    (0x2C7C, 0x0296): 2,
    (0x2C7C, 0x0306): 2,
    (0x2C7C, 0x0800): 2,
    (0x2C7C, 0x0801): 2,
    (0x2C7C, 0x0128): 5,
    # SIMCom SIM7000/SIM7100/SIM7600: if2; SIM7070/80/90: if2; A7600E-H/A7602E-H: if4
    (0x1E0E, 0x9001): 2,
    (0x1E0E, 0x9205): 2,
    (0x1E0E, 0x9206): 2,
    (0x1E0E, 0x9011): 4,
    # Fibocom NL668-AM: if2; NL668-EAU: if1; FM150: if1; L610: if0 / if2 (ECM); L850-GL: if2
    (0x2CB7, 0x01A0): 2,
    (0x1508, 0x1001): 1,
    (0x2CB7, 0x0104): 1,
    (0x1782, 0x4D10): 0,
    (0x1782, 0x4D11): 2,
    (0x2CB7, 0x0007): 2,
    # u-blox LARA-R2: if0; TOBY-L4: if6
    (0x1546, 0x110A): 0,
    (0x1546, 0x1010): 6,
    # Telit LE910C1: if4; LE910C1 MBIM: if5; LE910C1-EUX: if1; LE922/LM9x0: if4; LN920: if4
    (0x1BC7, 0x1201): 4,
    (0x1BC7, 0x1204): 5,
    (0x1BC7, 0x1031): 1,
    (0x1BC7, 0x1033): 1,
    (0x1BC7, 0x1040): 4,
    (0x1BC7, 0x1060): 4,
    # Sierra EM7455, MC74xx, MC7304 class: if3
    (0x1199, 0x9079): 3,
    (0x1199, 0x9071): 3,
    (0x1199, 0x68C0): 3,
    # ZTE MF sticks: if2 (0016/0017/0117), if4 (0118)
    (0x19D2, 0x0016): 2,
    (0x19D2, 0x0017): 2,
    (0x19D2, 0x0117): 2,
    (0x19D2, 0x0118): 4,
}
HUAWEI_VID = 0x12D1
HUAWEI_PCUI_PROTOCOL = 0x02  # class ff, protocol 02 = PCUI = the AT port (vendors.md §3.3)

_SERIAL_NAME = re.compile(r"tty(USB|ACM)\d+$")


@record
class PortCandidate:
    device: str
    vid: int | None = None
    pid: int | None = None
    interface: int | None = None
    interface_protocol: int | None = None
    description: str | None = None
    role: str = "unknown"  # "at" (from the USB maps), "other" (a known non-AT port), "unknown"
    holders: tuple[str, ...] = ()
    answers_at: bool | None = None
    manufacturer: str | None = None
    model: str | None = None
    driver: str | None = None
    error: str | None = None

    @property
    def vid_pid(self) -> str | None:
        if self.vid is None or self.pid is None:
            return None
        return f"{self.vid:04x}:{self.pid:04x}"


def _read_hex(path: Path) -> int | None:
    try:
        return int(path.read_text().strip(), 16)
    except (OSError, ValueError):
        return None


def _interface_of(info: ListPortInfo) -> tuple[int | None, int | None]:
    """(bInterfaceNumber, bInterfaceProtocol) from sysfs, else from the location string."""
    path = getattr(info, "usb_interface_path", None)
    if path:
        base = Path(path)
        return _read_hex(base / "bInterfaceNumber"), _read_hex(base / "bInterfaceProtocol")
    location = info.location or ""  # "1-1.2:1.3" → interface 3
    if ":" in location:
        try:
            return int(location.rsplit(".", 1)[-1]), None
        except ValueError:
            pass
    return None, None


def role_for(vid: int | None, pid: int | None, interface: int | None, protocol: int | None) -> str:
    if vid is None or interface is None:
        return "unknown"
    if vid == HUAWEI_VID:
        if protocol is None:
            return "unknown"
        return "at" if protocol == HUAWEI_PCUI_PROTOCOL else "other"
    expected = AT_INTERFACE.get((vid, pid or 0))
    if expected is None:
        return "unknown"
    return "at" if interface == expected else "other"


def candidates(
    ports: Iterable[ListPortInfo] | None = None,
    holders: Callable[[str], list[tuple[int, str]]] = find_holders,
) -> list[PortCandidate]:
    """Serial ports that may be a modem's, USB AT ports first."""
    found = []
    for info in ports if ports is not None else list_ports.comports():
        if not _SERIAL_NAME.search(info.device) and info.vid is None:
            continue
        interface, protocol = _interface_of(info)
        held = tuple(f"pid {pid} ({name})" for pid, name in holders(info.device))
        found.append(
            PortCandidate(
                device=info.device,
                vid=info.vid,
                pid=info.pid,
                interface=interface,
                interface_protocol=protocol,
                description=info.description,
                role=role_for(info.vid, info.pid, interface, protocol),
                holders=held,
            )
        )
    order = {"at": 0, "unknown": 1, "other": 2}
    return sorted(found, key=lambda c: (order[c.role], c.device))


def probe_port(candidate: PortCandidate, *, timeout: float = 1.0) -> PortCandidate:
    """Ask a free port `AT`, then who made the modem. A held port is not touched."""
    if candidate.holders:
        return replace(candidate, answers_at=None, error="held by " + ", ".join(candidate.holders))
    if candidate.role == "other":
        return replace(candidate, answers_at=None, error="not an AT interface")
    try:
        port = open_port(candidate.device)
    except ModemError as err:
        return replace(candidate, answers_at=False, error=str(err))
    channel = AtChannel(port, timeout=timeout, name=candidate.device)
    try:
        if not channel.resync(attempts=2):
            return replace(candidate, answers_at=False)
        manufacturer = model = None
        try:
            manufacturer = parse_info_line(channel.command("AT+CGMI").text, "+CGMI")
            model = parse_info_line(channel.command("AT+CGMM").text, "+CGMM")
        except (ModemError, ParseError):
            pass
        driver = driver_for_manufacturer(manufacturer)
        if driver is None and candidate.vid is not None:
            driver = USB_VENDOR_DRIVERS.get(candidate.vid)
        return replace(
            candidate,
            answers_at=True,
            manufacturer=manufacturer,
            model=model,
            driver=driver or "generic",
        )
    except ModemError as err:
        return replace(candidate, answers_at=False, error=str(err))
    finally:
        channel.close()


def probe(
    ports: Iterable[ListPortInfo] | None = None, *, timeout: float = 1.0
) -> list[PortCandidate]:
    return [probe_port(c, timeout=timeout) for c in candidates(ports)]


def find_at_port(*, timeout: float = 1.0) -> PortCandidate | None:
    """The first port that answers AT, mapped AT interfaces before unknown ones."""
    for candidate in candidates():
        probed = probe_port(candidate, timeout=timeout)
        if probed.answers_at:
            return probed
    return None
