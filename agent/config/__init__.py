"""Configuration: the YAML file of SPEC.md "Configuration" loaded into immutable settings.

Every problem in a file is reported at once as ``FILE:LINE: message``.
"""

from __future__ import annotations

from agent.config.loader import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    default_config_path,
    load_config,
    parse_config_text,
)
from agent.config.nodes import ConfigError, ConfigProblem
from agent.config.paths import fallback_state_dir, resolve_state_dir
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
from agent.plan import Addon, Plan

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
