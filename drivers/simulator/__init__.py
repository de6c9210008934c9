"""The simulated modem: vendor profiles, scenario timeline, pty/TCP servers and the in-process
``sim://`` pyserial port.

``register()`` makes ``serial.serial_for_url("sim://quectel")`` work in this process.
"""

from __future__ import annotations

PACKAGE = "drivers.simulator"


def register() -> None:
    """Let pyserial's `serial_for_url` find the ``sim://`` handler (idempotent)."""
    import serial

    if PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(PACKAGE)
