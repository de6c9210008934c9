"""Neoway N720 (Qualcomm MDM9207 [?], LTE Cat 4): the 27.007 set with `AT+CCID`.

vendors.md §3.9: standard commands only, `AT+CCID` → `+CCID: 8986…` [?]; no data counter.
"""

from __future__ import annotations

from drivers.simulator.profiles import generic
from drivers.simulator.profiles.base import Profile

PROFILE = Profile(
    name="neoway",
    manufacturer="Neoway",
    model="N720",
    revision="N720_V3.1.2",  # [?] revision string format
    handlers=dict(generic.HANDLERS),
    cmee_default=0,
    sim_commands=generic.SIM_COMMANDS,
    boot_urcs=generic.cpin_urcs,
    sim_removed_urcs=generic.sim_removed,
    sim_inserted_urcs=generic.cpin_urcs,
)
