"""Vendor profiles of the simulated modem: one module a vendor, each exporting `PROFILE`.

Adding a vendor: copy `quectel.py`, start from `generic.HANDLERS`, and add its name here.
"""

from __future__ import annotations

import importlib

from drivers.simulator.profiles.base import AtError, Handler, ModemContext, Profile

__all__ = ["PROFILE_MODULES", "AtError", "Handler", "ModemContext", "Profile", "get_profile"]

# name → module under drivers.simulator.profiles, imported on first use; in the order
# SPEC.md lists `simulate --vendor` names.
PROFILE_MODULES: dict[str, str] = {
    "generic": "generic",
    "quectel": "quectel",
    "huawei": "huawei",
    "simcom": "simcom",
    "fibocom": "fibocom",
    "ublox": "ublox",
    "telit": "telit",
    "sierra": "sierra",
    "meig": "meig",
    "neoway": "neoway",
}


def known_profiles() -> list[str]:
    return list(PROFILE_MODULES)


def get_profile(name: str) -> Profile:
    """The profile called `name`; ValueError naming the known ones otherwise."""
    module = PROFILE_MODULES.get(name.lower())
    if module is None:
        raise ValueError(f"unknown vendor {name!r}; known: {', '.join(known_profiles())}")
    profile: Profile = importlib.import_module(f"{__name__}.{module}").PROFILE
    return profile
