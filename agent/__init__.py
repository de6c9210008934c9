"""The daemon and everything above the modem: configuration, ledger, plans, alerts, sinks, CLI."""

__version__ = "0.1.0"
