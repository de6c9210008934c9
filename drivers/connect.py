"""Open a port, bring the AT channel up and pick the driver: what every command needs."""

from __future__ import annotations

from collections.abc import Callable

from drivers.at.channel import AtChannel
from drivers.at.transport import open_port
from drivers.errors import PortNotFound
from drivers.generic import Generic3gppModem
from drivers.records import record
from drivers.registry import driver_class, driver_for_manufacturer


@record
class ModemOptions:
    port: str = "auto"
    baudrate: int = 115200
    driver: str = "auto"
    timeout: float = 5.0
    interface: str | None = None


def resolve_port(port: str, *, timeout: float = 1.0) -> str:
    if port != "auto":
        return port
    from drivers.ports import find_at_port  # enumeration only when asked for

    found = find_at_port(timeout=timeout)
    if found is None:
        raise PortNotFound("auto", "no serial port answered AT (see `posagent probe`)")
    return found.device


def open_channel(
    options: ModemOptions, *, on_urc: Callable[[str], None] | None = None
) -> tuple[str, AtChannel]:
    """(port, channel) with the channel initialised (ATE0, AT+CMEE=1)."""
    _register_simulator()
    port = resolve_port(options.port)
    serial_port = open_port(port, baudrate=options.baudrate)
    channel = AtChannel(serial_port, timeout=options.timeout, on_urc=on_urc, name=port)
    try:
        channel.initialize()
    except BaseException:
        channel.close()
        raise
    return port, channel


def make_driver(channel: AtChannel, options: ModemOptions, *, port: str) -> Generic3gppModem:
    """The configured driver, or with `auto` the one the manufacturer string names."""
    name = options.driver
    identity = None
    if name == "auto":
        identity = Generic3gppModem(channel, port=port).identify()
        name = driver_for_manufacturer(identity.manufacturer) or "generic"
    cls = driver_class(name)
    return cls(channel, port=port, interface=options.interface, identity=identity)


def connect(
    options: ModemOptions, *, on_urc: Callable[[str], None] | None = None
) -> Generic3gppModem:
    port, channel = open_channel(options, on_urc=on_urc)
    try:
        return make_driver(channel, options, port=port)
    except BaseException:
        channel.close()
        raise


def _register_simulator() -> None:
    """Make `sim://VENDOR` ports work through pyserial's URL handlers."""
    from drivers.simulator import register

    register()
