"""The status object as a JSON file for the POS application on the same terminal.

Written every poll, whole and atomically, so that its ``time`` tells the reader how fresh it
is (a stale file means the agent is not polling). The default path is on /run, a tmpfs: a
write per minute costs no flash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.atomic import write_atomic
from agent.sinks.base import Report
from drivers.logs import get_logger

log = get_logger("posagent.sinks.statusfile")


def render_status(status: dict[str, Any]) -> bytes:
    return (json.dumps(status, indent=2, ensure_ascii=False, default=str) + "\n").encode()


class StatusFileSink:
    name = "status_file"

    def __init__(self, path: str | Path, *, mode: int = 0o644) -> None:
        self.path = Path(path)
        self._mode = mode
        self._failing = False

    def publish_status(self, status: dict[str, Any]) -> None:
        try:
            write_atomic(self.path, render_status(status), mode=self._mode)
        except OSError as err:
            # Said once per outage, not every poll; said again when it works again.
            if not self._failing:
                log.error("status_file_write_failed", path=str(self.path), error=str(err))
            self._failing = True
            return
        if self._failing:
            log.info("status_file_write_recovered", path=str(self.path))
        self._failing = False

    def deliver(self, report: Report) -> None:
        """Reports are for remote receivers; the file always holds the latest status."""

    def pump(self) -> None:
        """Nothing queues here."""

    def close(self) -> None:
        """The file stays: it is the last status the agent saw."""
