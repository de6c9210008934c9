"""Scenario files: validation with FILE:LINE messages, and the shipped examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.simulator.modem import SimulatedModem
from drivers.simulator.scenario import Scenario, ScenarioError, TimedEvent, load_scenario

EXAMPLES = Path(__file__).resolve().parent.parent / "drivers" / "simulator" / "scenarios"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_scenario_loads_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "iccid: 89860025128306012474\n"  # unquoted: YAML reads an int; still the digits
        "mnc: '01'\n"
        "registration: roaming\n"
        "tac: 0x550A\n"
        "timeline:\n"
        "  - {at: 9, event: reset}\n"
        "  - {at: 2, garbage: 8}\n"
        "  - at: 5\n"
        "    urc: '+CREG: 1'\n",
    )
    scenario = load_scenario(path)
    assert scenario.initial == {
        "iccid": "89860025128306012474",
        "mnc": "01",
        "registration": 5,
        "lac": 0x550A,
    }
    assert scenario.timeline == (
        TimedEvent(2.0, {"event": "garbage", "bytes": 8}),
        TimedEvent(5.0, {"event": "urc", "line": "+CREG: 1"}),
        TimedEvent(9.0, {"event": "reset"}),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("csq: 20\ncolour: red\n", ":2: unknown key 'colour'"),
        ("timeline:\n  - at: 1\n    csq: 10\n  - at: 2\n    bogus: 1\n", ":5: unknown key 'bogus'"),
        ("csq: 20\nsim: gone\n", ":2: sim: expected one of ready, absent, locked"),
        ("mnc: 1\n", ":1: mnc: expected a string"),
        ("timeline:\n  - csq: 3\n", ":2: missing key 'at'"),
        ("timeline:\n  - {at: -1, csq: 3}\n", ":2: at: expected seconds >= 0"),
        ("timeline:\n  - {at: 1, event: explode}\n", ":2: event: expected one of reset"),
        ("timeline:\n  - {at: 1}\n", ":2: the event changes nothing"),
        ("event: reset\n", ":1: unknown key 'event'"),
        ("csq: [\n", ":2: "),
        ("- 1\n- 2\n", ":1: a scenario is a mapping"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}:"), message
    assert expected in message, message


def test_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "nope.yaml")


def test_from_dict_names_the_path() -> None:
    with pytest.raises(ScenarioError, match=r"<scenario>: timeline\[0\]\.csq: csq: must be"):
        Scenario.from_dict({"timeline": [{"at": 1, "csq": 40}]})
    assert Scenario.from_dict({}).initial == {}


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_shipped_examples_load_and_run(name: str) -> None:
    scenario = load_scenario(EXAMPLES / name)
    assert scenario.timeline
    now = [0.0]
    for vendor in ("generic", "quectel"):
        modem = SimulatedModem(vendor, scenario, clock=lambda: now[0])
        now[0] = scenario.timeline[-1].at + 1
        modem.tick()
        modem.read_output()
        assert modem.next_due() is None
        now[0] = 0.0


def test_shipped_examples_exist() -> None:
    assert {"traffic.yaml", "faults.yaml"} <= {p.name for p in EXAMPLES.glob("*.yaml")}
