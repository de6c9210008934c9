"""Where the configuration file and the state store live (no YAML needed to find out)."""

from __future__ import annotations

import os
from pathlib import Path

from agent.config.settings import Settings

DEFAULT_CONFIG_PATH = Path("/etc/posagent/config.yaml")
CONFIG_ENV = "POSAGENT_CONFIG"


def default_config_path() -> tuple[Path, bool]:
    """``$POSAGENT_CONFIG`` if set (True: chosen explicitly), else /etc/posagent/config.yaml."""
    env = os.environ.get(CONFIG_ENV, "").strip()
    if env:
        return Path(env), True
    return DEFAULT_CONFIG_PATH, False


def fallback_state_dir() -> Path:
    """``$XDG_STATE_HOME/posagent``, else ``~/.local/state/posagent``."""
    xdg = os.environ.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative value is invalid and is to be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "posagent"
    return Path.home() / ".local" / "state" / "posagent"


def _writable(directory: Path) -> bool:
    """True if ``directory`` is writable, or does not exist and could be created."""
    probe = directory
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def resolve_state_dir(settings: Settings) -> tuple[Path, str | None]:
    """The state directory to use, and a note to say once when it is not the configured
    one (not root and no systemd StateDirectory= gives an unwritable /var/lib/posagent)."""
    wanted = settings.state_dir.expanduser()
    if _writable(wanted):
        return wanted, None
    fallback = fallback_state_dir()
    return fallback, f"state_dir {wanted} is not writable; using {fallback}"
