"""What the status file and the Prometheus textfile have in common: one file, the status
rendered into it whole at every poll, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.atomic import write_atomic
from agent.sinks.base import Report
from drivers.logs import get_logger

log = get_logger("posagent.sinks.file")


class FileSink:
    """Subclasses give ``name``, ``event`` (the prefix of their log events) and ``render``.

    A failing write is logged once per outage, not every poll, and its recovery once.
    """

    name: str
    event: str

    def __init__(self, path: str | Path, *, mode: int = 0o644) -> None:
        self.path = Path(path)
        self._mode = mode
        self._failing = False

    def render(self, status: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def publish_status(self, status: dict[str, Any]) -> None:
        try:
            write_atomic(self.path, self.render(status), mode=self._mode)
        except OSError as err:
            if not self._failing:
                log.error(f"{self.event}_write_failed", path=str(self.path), error=str(err))
            self._failing = True
            return
        if self._failing:
            log.info(f"{self.event}_write_recovered", path=str(self.path))
        self._failing = False

    def deliver(self, report: Report) -> None:
        """Reports are for remote receivers; the file always holds the latest status."""

    def pump(self) -> None:
        """Nothing queues here."""

    def close(self) -> None:
        """The file stays: its time (or timestamp metric) shows when it went stale."""
