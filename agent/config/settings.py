"""The typed, immutable settings the configuration file loads into.

Defaults are those of SPEC.md "Configuration". Report sinks are all off unless configured
("every sink optional"): the example configuration shows the usual paths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from drivers.deferred import deferred_regex
from drivers.names import DRIVER_NAMES as VENDOR_DRIVERS
from drivers.records import field, record

if TYPE_CHECKING:
    from agent.plan import Plan

# The names `posagent simulate --vendor` takes, plus `auto` (detect by USB id and +CGMI).
DRIVER_NAMES: tuple[str, ...] = ("auto", *VENDOR_DRIVERS)

DEFAULT_STATE_DIR = Path("/var/lib/posagent")
DEFAULT_BALANCE_PATTERN = r"余额[:：]?\s*([0-9]+(?:\.[0-9]+)?)"


@record
class ModemSettings:
    port: str = "auto"
    baudrate: int = 115200
    driver: str = "auto"
    timeout: float = 5.0  # seconds, per AT command
    interface: str | None = "wwan0"  # network interface for the counter fallback
    # Failed polls in a row before an AT+CFUN=1,1 soft reset (at most once an hour); 0: never.
    soft_reset_after: int = 0


@record
class SignalSettings:
    weak_dbm: int = -105


@record
class SimRule:
    """Which plan a SIM is on: by exact ICCID or by ICCID prefix (exactly one is set)."""

    plan: str
    iccid: str | None = None
    iccid_prefix: str | None = None


@record
class BalanceSettings:
    ussd: str
    pattern: re.Pattern[str] = deferred_regex(DEFAULT_BALANCE_PATTERN)  # group 1: the amount
    minimum: float = 10.0
    interval: float = 86400.0


@record
class HttpSettings:
    url: str
    token_file: Path | None = None
    ca_file: Path | None = None


@record
class MqttSettings:
    host: str
    port: int = 8883
    tls: bool = True
    topic: str = "posagent/{imei}"  # {imei} and {iccid} are filled in
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None  # extra CA bundle; verification is never off


@record
class SmsSettings:
    to: str
    max_per_day: int = 3


@record
class ReportSettings:
    status_file: Path | None = None
    prometheus_textfile: Path | None = None
    heartbeat: float = 24 * 3600.0  # SPEC.md shows 6h; 24h keeps a month of reports under 100 KB
    http: HttpSettings | None = None
    mqtt: MqttSettings | None = None
    sms: SmsSettings | None = None


@record
class AlertSettings:
    remind: float = 24 * 3600.0
    not_registered_polls: int = 3
    signal_weak_polls: int = 5


def _no_plans() -> Mapping[str, Plan]:
    return MappingProxyType({})


# What a carrier notice can say (agent/carrier_sms.py recognises them).
NOTICE_KINDS = ("topup", "data_exhausted", "data_low", "expired", "expiry_soon")


def _no_patterns() -> Mapping[str, tuple[re.Pattern[str], ...]]:
    return MappingProxyType({})


@record
class CarrierSmsSettings:
    """Reading carrier notices from the SIM's messages (`carrier_sms:`)."""

    # Where a notice may come from: sender prefixes (a "+86"/"86" country code is dropped
    # from the sender first), or names such as "Vodafone"; None: the Chinese carriers'
    # service numbers; empty: any sender.
    senders: tuple[str, ...] | None = None
    # Per kind (NOTICE_KINDS), patterns added to the built-in wording.
    patterns: Mapping[str, tuple[re.Pattern[str], ...]] = field(default_factory=_no_patterns)
    builtin_patterns: bool = True  # false: only `patterns` recognise a notice


@record
class Settings:
    """Everything the configuration file says; ``source`` is the file it came from."""

    modem: ModemSettings = field(default_factory=ModemSettings)
    poll_interval: float = 60.0
    checkpoint: float = 300.0
    state_dir: Path = DEFAULT_STATE_DIR
    signal: SignalSettings = field(default_factory=SignalSettings)
    allowed_iccid_prefixes: tuple[str, ...] = ()
    default_plan: str | None = None
    plans: Mapping[str, Plan] = field(default_factory=_no_plans)
    sims: tuple[SimRule, ...] = ()
    balance: BalanceSettings | None = None
    carrier_sms: CarrierSmsSettings | None = None  # None: off
    report: ReportSettings = field(default_factory=ReportSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    source: str | None = None

    def plan_name_for(self, iccid: str | None) -> str | None:
        """The plan name for a SIM: an exact ICCID rule, else the longest matching prefix
        (the first listed among equals), else ``default_plan``."""
        if iccid:
            key = iccid.upper()
            for rule in self.sims:
                if rule.iccid == key:
                    return rule.plan
            best: SimRule | None = None
            for rule in self.sims:
                prefix = rule.iccid_prefix
                if (
                    prefix is not None
                    and key.startswith(prefix)
                    and (best is None or len(prefix) > len(best.iccid_prefix or ""))
                ):
                    best = rule
            if best is not None:
                return best.plan
        return self.default_plan

    def plan_for(self, iccid: str | None) -> Plan | None:
        name = self.plan_name_for(iccid)
        return None if name is None else self.plans.get(name)

    def iccid_allowed(self, iccid: str) -> bool:
        """Any SIM when ``allowed_iccid_prefixes`` is empty, else one matching a prefix."""
        if not self.allowed_iccid_prefixes:
            return True
        key = iccid.upper()
        return any(key.startswith(prefix) for prefix in self.allowed_iccid_prefixes)
