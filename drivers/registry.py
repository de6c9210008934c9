"""Driver names, lazy loading, and detection by manufacturer string or USB vendor id.

Like python-can's backend table: name → (module, class), imported only when chosen, so a
terminal loads the one driver it uses.
"""

from __future__ import annotations

import importlib

from drivers.generic import Generic3gppModem
from drivers.names import DRIVER_NAMES

_CLASSES: dict[str, tuple[str, str]] = {
    "generic": ("drivers.generic", "Generic3gppModem"),
    "quectel": ("drivers.vendors.quectel", "QuectelModem"),
    "huawei": ("drivers.vendors.huawei", "HuaweiModem"),
    "simcom": ("drivers.vendors.simcom", "SimcomModem"),
    "fibocom": ("drivers.vendors.fibocom", "FibocomModem"),
    "ublox": ("drivers.vendors.ublox", "UbloxModem"),
    "telit": ("drivers.vendors.telit", "TelitModem"),
    "sierra": ("drivers.vendors.sierra", "SierraModem"),
    "meig": ("drivers.vendors.meig", "MeigModem"),
    "neoway": ("drivers.vendors.neoway", "NeowayModem"),
}

# Substrings of +CGMI / ATI "Manufacturer:" (lower-cased), as vendors.md §1.1 lists them.
_MANUFACTURER_HINTS: tuple[tuple[str, str], ...] = (
    ("quectel", "quectel"),
    ("huawei", "huawei"),
    ("simcom", "simcom"),
    ("fibocom", "fibocom"),
    ("u-blox", "ublox"),
    ("ublox", "ublox"),
    ("telit", "telit"),
    ("sierra", "sierra"),
    ("meig", "meig"),
    ("neoway", "neoway"),
)

# USB vendor ids (vendors.md §3): only where the id is the vendor's own.
USB_VENDOR_DRIVERS: dict[int, str] = {
    0x2C7C: "quectel",
    0x12D1: "huawei",
    0x1E0E: "simcom",
    0x2CB7: "fibocom",
    0x1546: "ublox",
    0x1BC7: "telit",
    0x1199: "sierra",
    0x2DEE: "meig",
    0x2949: "neoway",
}


def driver_class(name: str) -> type[Generic3gppModem]:
    """The class for a driver name; a vendor without a module yet gets the generic one."""
    if name not in _CLASSES:
        raise ValueError(f"unknown driver {name!r}; known: {', '.join(DRIVER_NAMES)}")
    module_name, class_name = _CLASSES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        return Generic3gppModem
    cls: type[Generic3gppModem] = getattr(module, class_name)
    return cls


def driver_for_manufacturer(manufacturer: str | None) -> str | None:
    if not manufacturer:
        return None
    lowered = manufacturer.lower()
    for hint, name in _MANUFACTURER_HINTS:
        if hint in lowered:
            return name
    return None
