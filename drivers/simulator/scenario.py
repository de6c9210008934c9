"""Scenario files: the simulated modem's initial state and a timeline of events.

```yaml
iccid: "89860025128306012474"   # any state key (see state.ModemState) sets the initial state
traffic_bps: 2000               # bytes per second; counters grow 80 % rx / 20 % tx
seed: 7                         # for `garbage` bytes (default 0)
timeline:
  - {at: 10, csq: 5}            # seconds since start, then state keys ...
  - {at: 20, event: reset}      # ... or an event: reset | unplug | replug | hang
  - {at: 25, garbage: 32}       # n random bytes
  - {at: 30, urc: "+CREG: 5"}   # one unsolicited line
```
Errors name the place: ``FILE:LINE: unknown key 'x'``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.records import field, record
from drivers.simulator.state import STATE_KEYS, EventError, validate_changes

if TYPE_CHECKING:
    import yaml

META_KEYS = ("timeline", "seed", "description")
Locator = Callable[[Sequence[str | int]], str]


class ScenarioError(ValueError):
    """A scenario file or mapping is invalid; the message starts with ``FILE:LINE:``."""


@record
class TimedEvent:
    at: float  # seconds since the modem started
    changes: Mapping[str, Any]  # validated state keys and/or event, as `validate_changes` returns


@record
class Scenario:
    initial: Mapping[str, Any] = field(default_factory=dict)
    timeline: tuple[TimedEvent, ...] = ()
    seed: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
        """Validate a scenario given as a mapping (as YAML would load it)."""
        return _build(data, lambda path: _path_location(source, path))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(f"{name}: cannot read: {err.strerror or err}") from err
    import yaml  # only a scenario file needs the parser; built-in modems start without it

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 1
        raise ScenarioError(f"{name}:{line}: {err.problem or err}") from err
    except yaml.YAMLError as err:
        raise ScenarioError(f"{name}: {err}") from err
    finally:
        loader.dispose()
    return _build(data, lambda p: f"{name}:{_node_line(node, p)}")


def _path_location(source: str, path: Sequence[str | int]) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f"{source}: {parts}" if parts else source


def _node_line(node: yaml.Node | None, path: Sequence[str | int]) -> int:
    """1-based line of the key (or sequence item) at `path`; the nearest known parent's line
    if the path does not exist."""
    import yaml

    line = node.start_mark.line + 1 if node is not None else 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == step), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _validated(changes: Mapping[str, Any], where: Locator, path: tuple[str | int, ...]) -> dict:
    try:
        return validate_changes(changes)
    except EventError as err:
        at = (*path, err.key) if err.key else path
        if err.message == "unknown key":
            raise ScenarioError(f"{where(at)}: unknown key {err.key!r}") from err
        raise ScenarioError(f"{where(at)}: {err}") from err


def _build(data: Any, where: Locator) -> Scenario:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{where(())}: a scenario is a mapping of keys to values")
    for key in data:
        if key not in STATE_KEYS and key not in META_KEYS:
            raise ScenarioError(f"{where((key,))}: unknown key {key!r}")
    initial = _validated({k: v for k, v in data.items() if k not in META_KEYS}, where, ())
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ScenarioError(f"{where(('seed',))}: seed: expected an integer, got {seed!r}")
    timeline = data.get("timeline") or []
    if not isinstance(timeline, list):
        raise ScenarioError(f"{where(('timeline',))}: timeline: expected a list of events")
    events = []
    for i, item in enumerate(timeline):
        path = ("timeline", i)
        if not isinstance(item, Mapping):
            raise ScenarioError(f"{where(path)}: an event is a mapping with 'at'")
        if "at" not in item:
            raise ScenarioError(f"{where(path)}: missing key 'at'")
        at = item["at"]
        if isinstance(at, bool) or not isinstance(at, (int, float)) or at < 0:
            raise ScenarioError(f"{where((*path, 'at'))}: at: expected seconds >= 0, got {at!r}")
        changes = _validated({k: v for k, v in item.items() if k != "at"}, where, path)
        if not changes:
            raise ScenarioError(f"{where(path)}: the event changes nothing")
        events.append(TimedEvent(float(at), changes))
    events.sort(key=lambda e: e.at)  # stable: same-time events keep file order
    return Scenario(initial=initial, timeline=tuple(events), seed=seed)
