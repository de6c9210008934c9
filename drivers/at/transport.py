"""Opening a serial port (device path or pyserial URL) with failures as typed errors."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import serial

from drivers.errors import PortBusy, PortError, PortNotFound, PortPermissionDenied

DIALOUT_ADVICE = (
    "add the user to the dialout group: sudo usermod -aG dialout $USER, then log in again"
)

_NOT_FOUND = frozenset({errno.ENOENT, errno.ENODEV, errno.ENXIO})
# EBUSY: TIOCEXCL held by another process; EWOULDBLOCK/EAGAIN: flock(LOCK_EX|LOCK_NB) refused.
_BUSY = frozenset({errno.EBUSY, errno.EWOULDBLOCK, errno.EAGAIN})
_DENIED = frozenset({errno.EACCES, errno.EPERM})


def is_device_path(url: str) -> bool:
    return "://" not in url


def open_port(url: str, *, baudrate: int = 115200, read_timeout: float = 0.05) -> serial.SerialBase:
    """Open a device path or any pyserial URL; raise a PortError subclass on failure."""
    try:
        port = serial.serial_for_url(
            url, baudrate=baudrate, timeout=read_timeout, write_timeout=5.0, do_not_open=True
        )
    except ValueError as exc:
        # serial_for_url raises ValueError for a scheme no handler package knows.
        if "protocol" in str(exc):
            scheme = url.split("://", 1)[0]
            raise PortNotFound(url, f"unknown URL scheme {scheme!r}") from exc
        raise PortError(url, str(exc)) from exc
    except (serial.SerialException, OSError) as exc:
        raise translate_open_error(url, exc) from exc
    if is_device_path(url) and os.name == "posix":
        # Two programs writing AT commands to one tty corrupt each other's exchanges.
        port.exclusive = True
    try:
        port.open()
    except (serial.SerialException, OSError, ValueError) as exc:
        raise translate_open_error(url, exc) from exc
    return port


def translate_open_error(url: str, exc: BaseException) -> PortError:
    """Map an exception from opening `url` to the matching PortError subclass."""
    code = _errno_of(exc)
    if code in _NOT_FOUND or (code is None and is_device_path(url) and not os.path.exists(url)):
        return PortNotFound(url, "no such device")
    if code in _DENIED:
        return PortPermissionDenied(url, f"permission denied; {DIALOUT_ADVICE}")
    if code in _BUSY or "exclusively lock" in str(exc):
        holders = find_holders(url) if is_device_path(url) else []
        if holders:
            held = ", ".join(f"pid {pid} ({name})" for pid, name in holders)
            return PortBusy(url, f"port is busy, held by {held}")
        return PortBusy(url, "port is busy (held by another process)")
    return PortError(url, str(exc) or type(exc).__name__)


def _errno_of(exc: BaseException) -> int | None:
    # pyserial builds SerialException(errno, msg), so errno survives on it; a bare
    # SerialException may still wrap an OSError as its cause.
    seen: BaseException | None = exc
    while seen is not None:
        code = getattr(seen, "errno", None)
        if isinstance(code, int):
            return code
        seen = seen.__cause__ or seen.__context__
    return None


def find_holders(device: str, proc: Path = Path("/proc")) -> list[tuple[int, str]]:
    """Processes with `device` open, as (pid, command name); best effort, [] if unknown."""
    try:
        target = os.path.realpath(device)
    except OSError:
        return []
    holders: list[tuple[int, str]] = []
    try:
        entries = list(proc.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue  # another user's process, or gone already
        for fd in fds:
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link == target:
                holders.append((int(entry.name), _comm(entry)))
                break
    return sorted(holders)


def _comm(entry: Path) -> str:
    try:
        return (entry / "comm").read_text().strip() or "?"
    except OSError:
        return "?"
