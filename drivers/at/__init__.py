"""The AT layer: opening a port, framing lines, final result codes and the AT channel."""

from __future__ import annotations

from drivers.at.channel import AtChannel, AtResponse
from drivers.at.finals import Final, FinalKind, classify
from drivers.at.transport import open_port
from drivers.at.urc import DEFAULT_URC_PREFIXES

__all__ = [
    "DEFAULT_URC_PREFIXES",
    "AtChannel",
    "AtResponse",
    "Final",
    "FinalKind",
    "classify",
    "open_port",
]
