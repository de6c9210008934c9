"""Port enumeration and probing, against the simulated modem on a real pty."""

from __future__ import annotations

import os

import pytest
from conftest import RunningSimulator
from serial.tools.list_ports_common import ListPortInfo

from drivers.ports import PortCandidate, candidates, probe_port, role_for


def _usb_port(device: str, vid: int, pid: int, location: str) -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.location = vid, pid, location
    return info


@pytest.mark.parametrize(
    ("vid", "pid", "interface", "protocol", "role"),
    [
        (0x2C7C, 0x0125, 2, None, "at"),  # Quectel EC25 if2 = AT primary
        (0x2C7C, 0x0125, 3, None, "other"),  # if3 = the PPP port: never probed
        (0x1E0E, 0x9011, 4, None, "at"),  # SIMCom A7600E-H
        (0x1546, 0x110A, 0, None, "at"),  # u-blox LARA-R2
        (0x12D1, 0x1506, 5, 0x02, "at"),  # Huawei PCUI by interface protocol
        (0x12D1, 0x1506, 0, 0x01, "other"),  # Huawei modem (PPP) interface
        (0x1234, 0x5678, 0, None, "unknown"),
        (None, None, None, None, "unknown"),
    ],
)
def test_role_from_usb_maps(vid, pid, interface, protocol, role) -> None:
    assert role_for(vid, pid, interface, protocol) == role


def test_candidates_put_mapped_at_ports_first() -> None:
    ports = [
        _usb_port("/dev/ttyUSB3", 0x2C7C, 0x0125, "1-1:1.3"),
        _usb_port("/dev/ttyUSB2", 0x2C7C, 0x0125, "1-1:1.2"),
        _usb_port("/dev/ttyUSB1", 0x2C7C, 0x0125, "1-1:1.1"),
    ]
    found = candidates(ports, holders=lambda device: [])
    assert found[0].device == "/dev/ttyUSB2"
    assert found[0].role == "at" and found[0].interface == 2
    assert found[0].vid_pid == "2c7c:0125"


def test_probe_finds_the_modem_on_a_pty(simulator: RunningSimulator) -> None:
    probed = probe_port(PortCandidate(device=simulator.port))
    assert probed.answers_at is True
    assert probed.manufacturer == "Quectel"
    assert probed.model == "EC25"
    assert probed.driver == "quectel"


def test_probe_leaves_a_held_port_alone(simulator: RunningSimulator) -> None:
    held = PortCandidate(device=simulator.port, holders=(f"pid {os.getpid()} (pppd)",))
    probed = probe_port(held)
    assert probed.answers_at is None
    assert "held by" in (probed.error or "")


def test_probe_of_a_silent_port_says_no(simulator: RunningSimulator) -> None:
    assert simulator.control_send({"event": "hang"}) == "ok"
    probed = probe_port(PortCandidate(device=simulator.port), timeout=0.3)
    assert probed.answers_at is False
