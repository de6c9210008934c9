"""Reading a composed YAML tree so that every value knows its line.

``yaml.compose`` (SafeLoader) keeps the node tree with its marks; scalars are converted
one at a time with PyYAML's SafeConstructor, so YAML's own typing (ints, dates, null)
applies while each problem is recorded against the node it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Re-exported: the loader and older callers take them from here.
from agent.config.problems import ConfigError as ConfigError
from agent.config.problems import ConfigProblem as ConfigProblem

# libyaml's parser when PyYAML has it (its wheels do): twenty times faster on a commented
# configuration file (0.5 ms instead of 8 ms on the example), with the same nodes and marks.
# Its error messages say less ("found character that cannot start any token", not which),
# so a file it rejects is parsed again by the pure-Python parser for the message.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NULL_TAG = "tag:yaml.org,2002:null"
MERGE_TAG = "tag:yaml.org,2002:merge"


class _Bad:
    """The value of something that failed to convert (its problem is already recorded)."""

    _instance: _Bad | None = None

    def __new__(cls) -> _Bad:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "BAD"


BAD: Any = _Bad()


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def suggest(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or nothing."""
    import difflib  # only a problem needs a suggestion

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({value})"


class Reader:
    """Collects problems against ``filename`` while sections are read from nodes."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[ConfigProblem] = []
        self._constructor = yaml.constructor.SafeConstructor()
        self._keys: dict[int, Node] = {}  # id(value node) → its key node, for "X is missing"

    def problem(self, where: Node | int | None, message: str) -> Any:
        line = line_of(where) if isinstance(where, Node) else where
        self.problems.append(ConfigProblem(self.filename, line, message))
        return BAD

    def owner(self, node: Node) -> Node:
        """The key a value node sits under (where "required key missing" belongs)."""
        return self._keys.get(id(node), node)

    def sorted_problems(self) -> list[ConfigProblem]:
        unique = list(dict.fromkeys(self.problems))  # an aliased node is read twice
        return sorted(unique, key=lambda p: p.line or 0)

    def compose(self, text: str) -> Node | None:
        """The document's root node; None for an empty document or on a syntax error."""
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass  # parsed again below, for the pure-Python parser's clearer message
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
            what = getattr(err, "problem", None) or str(err)
            line = mark.line + 1 if mark is not None else None
            self.problem(line, f"invalid YAML: {what}")
            return None

    def value(self, node: Node, path: str) -> Any:
        """The Python value of a node (scalars, or whole lists/mappings for messages)."""
        try:
            return self._constructor.construct_document(node)
        except yaml.YAMLError as err:
            return self.problem(node, f"{path}: {getattr(err, 'problem', err)}")
        except ValueError as err:  # e.g. a date such as 2026-02-30
            return self.problem(node, f"{path}: invalid value {node.value!r}: {err}")

    def mapping(
        self, node: Node, path: str, known: Iterable[str] | None
    ) -> dict[str, tuple[Node, Node]] | Any:
        """A mapping's entries as name → (key node, value node); BAD if not a mapping.

        Unknown keys (when ``known`` is given) and duplicate keys are reported; ``<<``
        merge keys are applied the YAML way (the mapping's own keys win).
        """
        where = path or "the configuration"
        if not isinstance(node, MappingNode):
            return self.problem(node, f"{where} must be a mapping, not {self._kind(node)}")
        own = [k for k, _ in node.value if k.tag != MERGE_TAG]
        seen: dict[str, Node] = {}
        for key in own:
            if isinstance(key, ScalarNode) and key.value in seen:
                self.problem(
                    key,
                    f"duplicate key {_dotted(path, key.value)!r} "
                    f"(first at line {line_of(seen[key.value])})",
                )
            elif isinstance(key, ScalarNode):
                seen[key.value] = key
        try:
            self._constructor.flatten_mapping(node)
        except yaml.YAMLError as err:
            self.problem(node, f"{where}: {getattr(err, 'problem', err)}")
        known_set = None if known is None else tuple(known)
        entries: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or is_null(key):
                self.problem(key, f"{where}: keys must be names")
                continue
            name = str(key.value)
            if known_set is not None and name not in known_set:
                place = f" in {path}" if path else ""
                self.problem(key, f"unknown key {name!r}{place}{suggest(name, known_set)}")
                continue
            entries[name] = (key, value)
            self._keys[id(value)] = key
        return entries

    def sequence(self, node: Node, path: str) -> list[Node] | Any:
        if not isinstance(node, SequenceNode):
            return self.problem(node, f"{path} must be a list, not {self._kind(node)}")
        return list(node.value)

    def _kind(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        try:
            return describe(self._constructor.construct_document(node))
        except (yaml.YAMLError, ValueError):
            return repr(node.value)


def _dotted(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
