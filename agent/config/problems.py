"""The errors of a configuration, free of YAML so that catching them costs no parser."""

from __future__ import annotations

from collections.abc import Iterable

from drivers.records import record


@record
class ConfigProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class ConfigError(Exception):
    """The configuration is not valid; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems: tuple[ConfigProblem, ...] = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
