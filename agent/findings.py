"""Finding codes, severities and the status they add up to (SPEC.md)."""

from __future__ import annotations

import enum
from typing import Any

from drivers.records import field, record


class Severity(str, enum.Enum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        """The Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""
        return _EXIT[self]

    @property
    def rank(self) -> int:
        return _RANK[self]


_EXIT = {Severity.OK: 0, Severity.WARNING: 1, Severity.CRITICAL: 2, Severity.UNKNOWN: 3}
# UNKNOWN outranks CRITICAL as a status only when nothing else is known; a critical
# finding that is known is worse news than a modem that did not answer.
_RANK = {Severity.OK: 0, Severity.WARNING: 1, Severity.UNKNOWN: 2, Severity.CRITICAL: 3}

SEVERITY: dict[str, Severity] = {
    "data_low": Severity.WARNING,
    "data_exhausted": Severity.CRITICAL,
    "expiry_soon": Severity.WARNING,
    "expired": Severity.CRITICAL,
    "balance_low": Severity.WARNING,
    "sim_changed": Severity.WARNING,
    "sim_not_allowed": Severity.CRITICAL,
    "sim_absent": Severity.CRITICAL,
    "sim_locked": Severity.CRITICAL,
    "not_registered": Severity.CRITICAL,
    "signal_weak": Severity.WARNING,
    "counters_unavailable": Severity.WARNING,
    "modem_unresponsive": Severity.UNKNOWN,
}


@record
class Finding:
    code: str
    message: str
    facts: dict[str, Any] = field(default_factory=dict, compare=False)
    # For findings with levels (data_low at 80 then 95 %): a higher level is an escalation.
    level: int = 0

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.code]

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.value, "message": self.message}


def overall_status(findings: list[Finding]) -> Severity:
    worst = Severity.OK
    for finding in findings:
        if finding.severity.rank > worst.rank:
            worst = finding.severity
    return worst
