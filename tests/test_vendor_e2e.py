"""End to end per vendor: `posagent simulate --vendor V` on a real pty in one process,
`posagent check --json` in another, with `driver: auto` and `modem.interface: lo`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, start_simulator, stop_simulator

# Vendor → the extended signal field its own command adds over 27.007 (None: only +CESQ).
EXTENDED = {
    "generic": None,
    "quectel": "sinr_db",
    "huawei": "sinr_db",
    "simcom": "sinr_db",
    "fibocom": "sinr_db",
    "ublox": None,
    "telit": "sinr_db",
    "sierra": "sinr_db",
    "meig": None,
    "neoway": None,
}
MODEM_COUNTERS = {"quectel", "huawei", "ublox", "telit", "meig"}
RX, TX = 5_000_000_123, 4567  # beyond 2^32, to catch a 32-bit path anywhere
LO = Path("/sys/class/net/lo/statistics/rx_bytes")


@pytest.mark.skipif(not LO.exists(), reason="no /sys/class/net/lo on this system")
@pytest.mark.parametrize("vendor", sorted(EXTENDED))
def test_check_json_per_vendor(vendor: str, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"state_dir: {tmp_path / 'state'}\nmodem:\n  interface: lo\n", encoding="utf-8"
    )
    sim = start_simulator(tmp_path, vendor)
    try:
        assert sim.control_send({"rx_bytes": RX, "tx_bytes": TX, "sinr": 12.0}) == "ok"
        result = run_cli(
            "check", "--json", "--port", sim.port, env={"POSAGENT_CONFIG": str(config)}
        )
    finally:
        stop_simulator(sim)
    assert result.returncode in (0, 1), result.stderr
    obj = json.loads(result.stdout)
    assert obj["modem"]["driver"] == vendor
    assert obj["sim"]["iccid"] == "89860025128306012474"
    assert obj["registration"]["state"] == "home"
    signal = obj["signal"]
    assert signal["rat"] == "lte"
    assert signal["rssi_dbm"] == -73 and signal["rsrp_dbm"] == -98
    field = EXTENDED[vendor]
    if field is not None:
        assert signal[field] == pytest.approx(12.0)
    else:
        assert signal["sinr_db"] is None
    counters = obj["counters"]
    if vendor in MODEM_COUNTERS:
        assert counters["source"] == "modem"
        assert (counters["rx_bytes"], counters["tx_bytes"]) == (RX, TX)
    else:
        assert counters["source"] == "interface"
        assert isinstance(counters["rx_bytes"], int) and counters["rx_bytes"] != RX
    assert "counters_unavailable" not in [f["code"] for f in obj["findings"]]


@pytest.mark.parametrize("vendor", ["telit", "huawei"])
def test_usage_is_exact_across_a_reboot_that_keeps_the_totals(vendor: str, tmp_path: Path) -> None:
    # These modules keep their counter totals across a power cycle: the reading after the
    # reboot continues the one before, and nothing is booked twice or lost.
    config = tmp_path / "config.yaml"
    config.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    env = {"POSAGENT_CONFIG": str(config)}
    sim = start_simulator(tmp_path, vendor)
    try:

        def check() -> None:
            result = run_cli("check", "--json", "--port", sim.port, env=env)
            assert result.returncode in (0, 1), result.stderr
            assert json.loads(result.stdout)["counters"]["source"] == "modem"

        assert sim.control_send({"rx_bytes": 1_000_000, "tx_bytes": 200_000}) == "ok"
        check()  # the baseline
        assert sim.control_send({"rx_bytes": 3_000_000, "tx_bytes": 300_000}) == "ok"
        check()  # +2 MB rx, +0.1 MB tx
        assert sim.control_send({"event": "reset"}) == "ok"
        check()  # the same totals after the reboot: +0
        assert sim.control_send({"rx_bytes": 3_500_000, "tx_bytes": 350_000}) == "ok"
        check()  # +0.5 MB rx, +0.05 MB tx
    finally:
        stop_simulator(sim)
    result = run_cli("usage", "--json", env=env)
    assert result.returncode == 0, result.stderr
    cycle = json.loads(result.stdout)["sims"][0]["cycles"][0]
    assert (cycle["rx_bytes"], cycle["tx_bytes"]) == (2_500_000, 150_000)
