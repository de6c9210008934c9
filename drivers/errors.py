"""One small tree of typed errors for everything below the agent.

Foreign errors (OSError, serial.SerialException) are translated where they cross in,
with the original kept as ``__cause__``.
"""

from __future__ import annotations


class ModemError(Exception):
    """Base of every error raised by `drivers`."""


class PortError(ModemError):
    """The serial port could not be opened or has failed."""

    def __init__(self, port: str, reason: str) -> None:
        super().__init__(f"{port}: {reason}")
        self.port = port
        self.reason = reason


class PortNotFound(PortError):
    """No such device or URL."""


class PortBusy(PortError):
    """Another process holds the port."""


class PortPermissionDenied(PortError):
    """The user may not open the device (usually: not in the dialout group)."""


class PortClosed(PortError):
    """The port vanished or was closed while in use (USB unplugged)."""


class AtTimeout(ModemError, TimeoutError):
    """No final result code arrived within the command's timeout."""

    def __init__(self, command: str, timeout: float, partial: tuple[str, ...] = ()) -> None:
        super().__init__(f"{command}: no final result within {timeout:g} s")
        self.command = command
        self.timeout = timeout
        self.partial = partial


class AtCommandError(ModemError):
    """The modem answered with an error final result (ERROR, NO CARRIER, …)."""

    def __init__(self, command: str, final: str, lines: tuple[str, ...] = ()) -> None:
        super().__init__(f"{command}: {final}")
        self.command = command
        self.final = final
        self.lines = lines


class CmeError(AtCommandError):
    """``+CME ERROR: <n>`` (3GPP TS 27.007 §9.2). ``code`` is None for a text-only error."""

    def __init__(
        self, command: str, final: str, code: int | None, meaning: str, lines: tuple[str, ...] = ()
    ) -> None:
        super().__init__(command, final, lines)
        self.code = code
        self.meaning = meaning

    def __str__(self) -> str:
        return f"{self.command}: {self.final} ({self.meaning})"


class CmsError(CmeError):
    """``+CMS ERROR: <n>`` (3GPP TS 27.005 §3.2.5)."""


class ParseError(ModemError, ValueError):
    """A response did not have the expected shape."""

    def __init__(self, what: str, text: str) -> None:
        super().__init__(f"cannot parse {what} from {text!r}")
        self.what = what
        self.text = text


class Unsupported(ModemError, NotImplementedError):
    """The modem or its firmware does not offer this."""
