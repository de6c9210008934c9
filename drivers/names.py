"""The driver names, one per supported vendor family: what `modem.driver` and
`posagent simulate --vendor` accept. Kept apart so that naming a driver imports none."""

DRIVER_NAMES: tuple[str, ...] = (
    "generic",
    "quectel",
    "huawei",
    "simcom",
    "fibocom",
    "ublox",
    "telit",
    "sierra",
    "meig",
    "neoway",
)
