"""The `check --json` / `status --json` object (SPEC.md) and its human summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.findings import Finding, overall_status
from drivers.types import Snapshot

PLAN_KEYS = (
    "name",
    "quota_bytes",
    "used_bytes",
    "remaining_bytes",
    "cycle_start",
    "cycle_end",
    "expires",
    "days_to_expiry",
    "forecast_exhausted",
)


def _value(v: Any) -> Any:
    return v.value if hasattr(v, "value") else v


def empty_plan() -> dict[str, Any]:
    return dict.fromkeys(PLAN_KEYS)


def status_object(
    *,
    now: datetime,
    snapshot: Snapshot | None,
    port: str | None,
    findings: list[Finding],
    plan: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """One JSON-ready dict; unknown values are None, never missing keys."""
    s = snapshot
    ident = s.identity if s else None
    sim = s.sim if s else None
    sig = s.signal if s else None
    reg = s.registration if s else None
    cnt = s.counters if s else None
    obj: dict[str, Any] = {
        "status": overall_status(findings).value,
        "time": now.isoformat(timespec="seconds"),
        "modem": {
            "port": s.port if s else port,
            "driver": s.driver if s else None,
            "manufacturer": ident.manufacturer if ident else None,
            "model": ident.model if ident else None,
            "revision": ident.revision if ident else None,
            "imei": ident.imei if ident else None,
        },
        "sim": {
            "state": _value(sim.state) if sim else None,
            "iccid": sim.iccid if sim else None,
            "imsi": sim.imsi if sim else None,
        },
        "signal": {
            "rat": _value(sig.rat) if sig else None,
            "rssi_dbm": sig.rssi_dbm if sig else None,
            "ber": sig.ber if sig else None,
            "rsrp_dbm": sig.rsrp_dbm if sig else None,
            "rsrq_db": sig.rsrq_db if sig else None,
            "sinr_db": sig.sinr_db if sig else None,
            "bars": sig.bars if sig else None,
        },
        "registration": {
            "state": _value(reg.state) if reg else None,
            "operator": reg.operator if reg else None,
            "mcc": reg.mcc if reg else None,
            "mnc": reg.mnc if reg else None,
            "area_code": reg.area_code if reg else None,
            "cell_id": reg.cell_id if reg else None,
        },
        "counters": {
            "source": _value(cnt.source) if cnt else None,
            "rx_bytes": cnt.rx_bytes if cnt else None,
            "tx_bytes": cnt.tx_bytes if cnt else None,
        },
        "plan": {**empty_plan(), **(plan or {})},
        "findings": [f.to_json() for f in findings],
    }
    if error is not None:
        obj["error"] = error
    return obj


def format_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def summary_lines(obj: dict[str, Any]) -> list[str]:
    """A few readable lines for a person at a terminal."""
    m, sim, sig, reg, cnt, plan = (
        obj["modem"],
        obj["sim"],
        obj["signal"],
        obj["registration"],
        obj["counters"],
        obj["plan"],
    )
    lines = [f"status:       {obj['status'].upper()}"]
    if "error" in obj:
        lines.append(f"error:        {obj['error']}")
    lines.append(
        f"modem:        {m['manufacturer'] or '?'} {m['model'] or '?'} "
        f"(driver {m['driver'] or '?'}, port {m['port'] or '?'})"
    )
    lines.append(f"revision:     {m['revision'] or '-'}")
    lines.append(f"IMEI:         {m['imei'] or '-'}")
    lines.append(f"SIM:          {sim['state'] or '-'}")
    lines.append(f"ICCID:        {sim['iccid'] or '-'}")
    lines.append(f"IMSI:         {sim['imsi'] or '-'}")
    parts = []
    if sig["rssi_dbm"] is not None:
        parts.append(f"RSSI {sig['rssi_dbm']} dBm")
    if sig["rsrp_dbm"] is not None:
        parts.append(f"RSRP {sig['rsrp_dbm']} dBm")
    if sig["rsrq_db"] is not None:
        parts.append(f"RSRQ {sig['rsrq_db']} dB")
    if sig["sinr_db"] is not None:
        parts.append(f"SINR {sig['sinr_db']} dB")
    if sig["bars"] is not None:
        parts.append(f"{sig['bars']}/4 bars")
    rat = f" ({sig['rat']})" if sig["rat"] else ""
    lines.append(f"signal:       {', '.join(parts) or '-'}{rat}")
    where = ""
    if reg["mcc"]:
        where = f" {reg['mcc']}-{reg['mnc']}"
    if reg.get("area_code") is not None and reg.get("cell_id") is not None:
        # Hex, as the modems print them and cell maps look them up.
        where += f", area {reg['area_code']:X} cell {reg['cell_id']:X}"
    lines.append(f"registration: {reg['state'] or '-'} {reg['operator'] or ''}{where}".rstrip())
    if cnt["source"] and cnt["source"] != "none":
        lines.append(
            f"counters:     rx {format_bytes(cnt['rx_bytes'])}, tx {format_bytes(cnt['tx_bytes'])}"
            f" ({cnt['source']})"
        )
    if not plan.get("name") and sim["iccid"]:
        lines.append("plan:         none for this SIM (set default_plan or sims: in the config)")
    if plan.get("name"):
        lines.append(
            f"plan:         {plan['name']}: used {format_bytes(plan['used_bytes'])} of "
            f"{format_bytes(plan['quota_bytes'])}, {format_bytes(plan['remaining_bytes'])} left"
            f" (cycle {plan['cycle_start']} – {plan['cycle_end']})"
        )
    for finding in obj["findings"]:
        lines.append(f"{finding['severity'].upper():9}     {finding['message']}")
    return lines
