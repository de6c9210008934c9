"""Configuration: the YAML file of SPEC.md "Configuration" loaded into immutable settings.

Every problem in a file is reported at once as ``FILE:LINE: message``.

The loader (and PyYAML with it) and the plan model are imported on first use of a name
that needs them: a run without a configuration file never imports a YAML parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.config.paths import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    default_config_path,
    fallback_state_dir,
    resolve_state_dir,
)
from agent.config.problems import ConfigError, ConfigProblem
from agent.config.settings import (
    DRIVER_NAMES,
    AlertSettings,
    BalanceSettings,
    HttpSettings,
    ModemSettings,
    MqttSettings,
    ReportSettings,
    Settings,
    SignalSettings,
    SimRule,
    SmsSettings,
)

if TYPE_CHECKING:
    from agent.config.loader import load_config, parse_config_text
    from agent.plan import Addon, Plan

_LAZY = {
    "load_config": "agent.config.loader",
    "parse_config_text": "agent.config.loader",
    "Addon": "agent.plan",
    "Plan": "agent.plan",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "DRIVER_NAMES",
    "Addon",
    "AlertSettings",
    "BalanceSettings",
    "ConfigError",
    "ConfigProblem",
    "HttpSettings",
    "ModemSettings",
    "MqttSettings",
    "Plan",
    "ReportSettings",
    "Settings",
    "SignalSettings",
    "SimRule",
    "SmsSettings",
    "default_config_path",
    "fallback_state_dir",
    "load_config",
    "parse_config_text",
    "resolve_state_dir",
]
