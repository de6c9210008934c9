"""Pure evaluation of one reading: snapshot (and what is known about the past) → findings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from agent.findings import Finding
from drivers.records import record
from drivers.types import CounterSource, RegState, SimState, Snapshot


@record
class ModemRules:
    weak_dbm: int = -105
    not_registered_polls: int = 3
    signal_weak_polls: int = 5
    # Which SIMs may be used; None allows any.
    iccid_allowed: Callable[[str], bool] | None = None


@record
class Streaks:
    """How many polls in a row a condition has held, counting the current one."""

    not_registered: int = 0
    signal_weak: int = 0


def short_iccid(iccid: str | None) -> str:
    if not iccid:
        return "?"
    return f"{iccid[:4]}…{iccid[-4:]}"


def is_weak(snapshot: Snapshot, weak_dbm: int) -> bool:
    sig = snapshot.signal
    level = sig.rsrp_dbm if sig.rsrp_dbm is not None else sig.rssi_dbm
    return level is not None and level < weak_dbm


def is_unregistered(snapshot: Snapshot) -> bool:
    return snapshot.registration.state not in (RegState.HOME, RegState.ROAMING)


def next_streaks(previous: Streaks, snapshot: Snapshot, rules: ModemRules) -> Streaks:
    return Streaks(
        not_registered=previous.not_registered + 1 if is_unregistered(snapshot) else 0,
        signal_weak=previous.signal_weak + 1 if is_weak(snapshot, rules.weak_dbm) else 0,
    )


def modem_findings(snapshot: Snapshot, rules: ModemRules, streaks: Streaks) -> list[Finding]:
    findings: list[Finding] = []
    sim = snapshot.sim
    if sim.state is SimState.ABSENT:
        findings.append(Finding("sim_absent", "No SIM card in the terminal's modem."))
    elif sim.state is SimState.LOCKED:
        findings.append(
            Finding(
                "sim_locked",
                f"SIM {short_iccid(sim.iccid)} is locked ({sim.detail or 'PIN required'}).",
            )
        )
    if sim.iccid and rules.iccid_allowed is not None and not rules.iccid_allowed(sim.iccid):
        findings.append(
            Finding(
                "sim_not_allowed",
                f"SIM {short_iccid(sim.iccid)} is not one of the SIMs allowed in this terminal.",
                {"iccid": sim.iccid},
            )
        )
    if sim.state is SimState.READY and streaks.not_registered >= rules.not_registered_polls:
        state = snapshot.registration.state.value.replace("_", " ")
        findings.append(
            Finding(
                "not_registered",
                f"The modem is not registered on the mobile network ({state}) "
                f"for {streaks.not_registered} polls in a row.",
            )
        )
    if streaks.signal_weak >= rules.signal_weak_polls:
        sig = snapshot.signal
        level = (
            f"RSRP {sig.rsrp_dbm} dBm" if sig.rsrp_dbm is not None else f"RSSI {sig.rssi_dbm} dBm"
        )
        findings.append(
            Finding(
                "signal_weak",
                f"Weak signal ({level}, below {rules.weak_dbm} dBm) "
                f"for {streaks.signal_weak} polls in a row.",
            )
        )
    if sim.state is SimState.READY and snapshot.counters.source is CounterSource.NONE:
        findings.append(
            Finding(
                "counters_unavailable",
                "No data counter is available (neither the modem's nor the network "
                "interface's), so data usage cannot be tracked.",
            )
        )
    return findings


def unresponsive_finding(reason: str) -> Finding:
    return Finding("modem_unresponsive", f"The modem does not answer: {reason}")


def _short_size(n: int) -> str:
    if n >= 1_000_000_000:
        return f"{n / 1e9:.3g} GB"
    if n >= 1_000_000:
        return f"{n / 1e6:.3g} MB"
    return f"{n / 1e3:.3g} KB"


# The codes plan_findings gives: re-evaluating the plan for another time replaces them.
PLAN_CODES = frozenset({"data_low", "data_exhausted", "expiry_soon", "expired"})


def plan_findings(
    *,
    iccid: str | None,
    plan_name: str,
    quota_bytes: int,
    used_bytes: int,
    remaining_bytes: int,
    exhausted: bool,
    warn_at: tuple[int, ...],
    days_to_expiry: int | None,
    expires: date | None,
    warn_days: tuple[int, ...],
    forecast: date | None,
) -> list[Finding]:
    """data_low / data_exhausted / expiry_soon / expired from the plan's state now."""
    findings: list[Finding] = []
    sim = short_iccid(iccid)
    pct = 100.0 * used_bytes / quota_bytes if quota_bytes else (100.0 if exhausted else 0.0)
    expired = days_to_expiry is not None and days_to_expiry < 0
    if expired:
        pass  # an expired package has no quota left at all: `expired` says so, not "used all"
    elif exhausted or (quota_bytes and remaining_bytes <= 0):
        findings.append(
            Finding(
                "data_exhausted",
                f"SIM {sim} has used all of its {_short_size(quota_bytes)} ({plan_name}); "
                "card payments over mobile data will fail until it is topped up or renews.",
                {"used_pct": round(pct, 1), "quota_bytes": quota_bytes, "iccid": iccid},
                level=100,
            )
        )
    else:
        reached = [t for t in sorted(warn_at) if pct >= t]
        if reached:
            when = f"; at this rate it runs out on {forecast:%d %b}" if forecast else ""
            findings.append(
                Finding(
                    "data_low",
                    f"SIM {sim} has used {pct:.0f}% of {_short_size(quota_bytes)} "
                    f"({plan_name}){when}.",
                    {"used_pct": round(pct, 1), "threshold": reached[-1], "iccid": iccid},
                    level=reached[-1],
                )
            )
    if days_to_expiry is not None and expires is not None:
        if days_to_expiry < 0:
            findings.append(
                Finding(
                    "expired",
                    f"SIM {sim}'s package ({plan_name}) expired on {expires:%d %b %Y}.",
                    {"expires": expires.isoformat(), "iccid": iccid},
                )
            )
        else:
            crossed = [d for d in sorted(warn_days) if days_to_expiry <= d]
            if crossed:
                findings.append(
                    Finding(
                        "expiry_soon",
                        f"SIM {sim}'s package ({plan_name}) expires on {expires:%d %b %Y}, "
                        f"in {days_to_expiry} day{'s' if days_to_expiry != 1 else ''}.",
                        {
                            "days_to_expiry": days_to_expiry,
                            "threshold": crossed[0],
                            "iccid": iccid,
                        },
                        # Fewer days left is the escalation: 30 → 7 → 1.
                        level=1000 - crossed[0],
                    )
                )
    return findings
