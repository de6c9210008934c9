"""End to end: `posagent` as a separate process, the modem simulated on a real pty."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from conftest import RunningSimulator, run_cli


def test_check_in_process_simulator_prints_identity(cli_env: dict[str, str]) -> None:
    result = run_cli("check", "--port", "sim://quectel", env=cli_env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ICCID:        89860025128306012474" in out
    assert "IMSI:         460023210226023" in out
    assert "IMEI:         869955065336336" in out
    assert "RSSI -73 dBm" in out
    assert "registration: home CHINA MOBILE 460-00, area 1A2B cell 80D413D" in out
    assert "plan:         none for this SIM" in out  # no configuration: say how to get one


def test_check_json_over_a_pty(simulator: RunningSimulator, cli_env: dict[str, str]) -> None:
    result = run_cli("check", "--json", "--port", simulator.port, env=cli_env)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["status"] == "ok"
    assert obj["modem"]["driver"] == "quectel"
    assert obj["modem"]["port"] == simulator.port
    assert obj["sim"] == {
        "state": "ready",
        "iccid": "89860025128306012474",
        "imsi": "460023210226023",
    }
    assert obj["signal"]["rssi_dbm"] == -73
    assert obj["registration"]["state"] == "home"
    assert obj["registration"]["mcc"] == "460"
    assert obj["counters"]["source"] == "modem"
    for key in ("modem", "sim", "signal", "registration", "counters", "plan", "findings"):
        assert key in obj


def test_check_generic_modem_without_vendor_commands(
    generic_simulator: RunningSimulator, cli_env: dict[str, str]
) -> None:
    result = run_cli("check", "--json", "--port", generic_simulator.port, env=cli_env)
    obj = json.loads(result.stdout)
    assert obj["modem"]["driver"] == "generic"
    assert obj["sim"]["iccid"] == "89860025128306012474"  # from +CRSM, nibble-swapped
    assert obj["signal"]["rsrp_dbm"] is not None  # from +CESQ
    # no counter anywhere (interface: null): a warning, so exit 1
    assert [f["code"] for f in obj["findings"]] == ["counters_unavailable"]
    assert result.returncode == 1


def test_check_sim_absent_is_critical(simulator: RunningSimulator, cli_env: dict[str, str]) -> None:
    assert simulator.control_send({"sim": "absent"}) == "ok"
    result = run_cli("check", "--json", "--port", simulator.port, env=cli_env)
    obj = json.loads(result.stdout)
    assert result.returncode == 2
    assert obj["status"] == "critical"
    assert obj["sim"]["state"] == "absent"
    assert obj["sim"]["iccid"] is None
    assert obj["modem"]["imei"] == "869955065336336"  # identity still read
    assert "sim_absent" in [f["code"] for f in obj["findings"]]


def test_check_unreachable_modem_is_unknown(tmp_path: Path, cli_env: dict[str, str]) -> None:
    result = run_cli("check", "--json", "--port", str(tmp_path / "ttyUSB9"), env=cli_env)
    assert result.returncode == 3
    obj = json.loads(result.stdout)
    assert obj["status"] == "unknown"
    assert obj["findings"][0]["code"] == "modem_unresponsive"
    lines = [line for line in result.stderr.splitlines() if line.startswith("posagent:")]
    assert len(lines) == 1 and "ttyUSB9" in lines[0]
    assert "Traceback" not in result.stderr


def test_at_prints_raw_response(simulator: RunningSimulator, cli_env: dict[str, str]) -> None:
    result = run_cli("at", "--port", simulator.port, "AT+CSQ", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["+CSQ: 20,99", "OK"]


def test_at_unknown_command_exits_1(simulator: RunningSimulator, cli_env: dict[str, str]) -> None:
    result = run_cli("at", "--port", simulator.port, "AT+CSQ", "AT+NOPE", env=cli_env)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["+CSQ: 20,99", "OK", "ERROR"]


def test_at_cme_error_exits_1(simulator: RunningSimulator, cli_env: dict[str, str]) -> None:
    assert simulator.control_send({"sim": "absent"}) == "ok"
    result = run_cli("at", "--port", simulator.port, "AT+CIMI", env=cli_env)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["+CME ERROR: 10"]


def test_at_missing_port_exits_2_with_one_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    result = run_cli("at", "--port", str(tmp_path / "nope"), "AT", env=cli_env)
    assert result.returncode == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("posagent:")]
    assert len(errors) == 1 and "nope" in errors[0]
    assert "Traceback" not in result.stderr


def test_at_hanging_modem_exits_2(simulator: RunningSimulator, cli_env: dict[str, str]) -> None:
    assert simulator.control_send({"event": "hang"}) == "ok"
    result = run_cli("at", "--port", simulator.port, "--timeout", "0.5", "AT+CSQ", env=cli_env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_config_check_valid_and_invalid(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("modem:\n  port: /dev/ttyUSB2\n  timeout: 3s\n", encoding="utf-8")
    result = run_cli("--config", str(good), "config", "check")
    assert result.returncode == 0, result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("modem:\n  port: /dev/ttyUSB2\n  baudrat: 9600\n  timeout: soon\n")
    result = run_cli("config", "check", "--config", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"{bad}:3: ") and "baudrat" in lines[0]
    assert lines[1].startswith(f"{bad}:4: ")


def test_usage_counts_exactly_the_bytes_moved(
    simulator: RunningSimulator, cli_env: dict[str, str]
) -> None:
    def check() -> None:
        result = run_cli("check", "--json", "--port", simulator.port, env=cli_env)
        assert result.returncode in (0, 1), result.stderr

    assert simulator.control_send({"rx_bytes": 1_000_000, "tx_bytes": 200_000}) == "ok"
    check()  # first reading ever: the baseline, counts 0
    assert simulator.control_send({"rx_bytes": 6_000_000, "tx_bytes": 700_000}) == "ok"
    check()  # +5 MB rx, +0.5 MB tx
    assert simulator.control_send({"event": "reset"}) == "ok"  # counters back to zero
    assert simulator.control_send({"rx_bytes": 300_000, "tx_bytes": 50_000}) == "ok"
    check()  # a modem counter that went back re-baselines: counts 0 (it may be a saved value)
    assert simulator.control_send({"rx_bytes": 350_000, "tx_bytes": 60_000}) == "ok"
    check()  # counting goes on from there: +0.05 MB rx, +0.01 MB tx
    assert simulator.control_send({"iccid": "89860312345678901234"}) == "ok"
    check()  # another SIM: its own baseline
    assert simulator.control_send({"rx_bytes": 450_000, "tx_bytes": 70_000}) == "ok"
    check()  # +0.1 MB rx, +0.01 MB tx for the second SIM

    result = run_cli("usage", "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    sims = {s["iccid"]: s for s in json.loads(result.stdout)["sims"]}
    first = sims["89860025128306012474"]["cycles"][0]
    assert (first["rx_bytes"], first["tx_bytes"]) == (5_050_000, 510_000)
    assert first["used_bytes"] == 5_560_000
    second = sims["89860312345678901234"]["cycles"][0]
    assert (second["rx_bytes"], second["tx_bytes"]) == (100_000, 10_000)


def test_status_reads_the_store_without_the_modem(
    simulator: RunningSimulator, cli_env: dict[str, str]
) -> None:
    assert run_cli("status", "--json", env=cli_env).returncode == 3  # nothing recorded yet
    run_cli("check", "--port", simulator.port, env=cli_env)
    simulator.control_send({"event": "hang"})  # the modem is of no help now
    result = run_cli("status", "--json", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sim"]["iccid"] == "89860025128306012474"


def test_probe_json_is_one_document(cli_env: dict[str, str]) -> None:
    result = run_cli("probe", "--json", env=cli_env)
    assert result.returncode in (0, 1)
    assert "ports" in json.loads(result.stdout)


def test_without_a_configuration_file_one_notice_says_where_the_state_goes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agent.commands import load_settings
    from agent.config import resolve_state_dir

    monkeypatch.setenv("POSAGENT_CONFIG", "")  # unset: /etc/posagent/config.yaml, absent here
    settings = load_settings(argparse.Namespace(config=None))
    state_dir, _ = resolve_state_dir(settings)
    assert capsys.readouterr().err == (
        "posagent: no configuration at /etc/posagent/config.yaml; using built-in defaults "
        f"(state in {state_dir})\n"
    )
