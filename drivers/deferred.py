"""Import a module while some of the modules it imports are loaded on first use instead;
compile a regular expression when it is first used.

Some modules import a heavy one at the top and use it only in code posagent never runs:
`structlog.stdlib` imports asyncio (and, through it, ssl) for its async log methods;
`dataclasses` imports inspect (with ast, dis and tokenize) to write a docstring for a
class that has none (and, on 3.12 and 3.13, to read annotations). On a
terminal each costs milliseconds at every start and megabytes of resident memory, so
`import_deferring` lets such a module import a stand-in that imports the real one when an
attribute of it is first used.

The stand-ins are in ``sys.modules`` only while the module imports: every other importer,
before or after, gets the real module.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import re


class _DeferredModule(types.ModuleType):
    """Stands in for a module until an attribute of it is first used, then imports it.
    Attributes given as ``answers`` are its own: using them imports nothing."""

    def __init__(self, name: str, answers: Mapping[str, Any]) -> None:
        super().__init__(name)
        self.__dict__.update(answers)

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def import_deferring(
    module: str,
    deferred: Iterable[str],
    answers: Mapping[str, Mapping[str, Any]] | None = None,
) -> types.ModuleType:
    """``import module``; each of ``deferred`` that is not imported yet is imported only
    when ``module`` first uses it, except for the attributes ``answers[name]`` gives its
    stand-in. A module imported already is returned as it is."""
    loaded = sys.modules.get(module)
    if loaded is not None:
        spec = getattr(loaded, "__spec__", None)
        if getattr(spec, "_initializing", False):
            # Another thread is importing it: wait for that import, as `import` would.
            return importlib.import_module(module)
        return loaded
    stand_ins = {}
    for name in deferred:
        if name not in sys.modules:
            stand_in = _DeferredModule(name, (answers or {}).get(name, {}))
            stand_ins[name] = sys.modules[name] = stand_in
    try:
        return importlib.import_module(module)
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


class _DeferredPattern:
    """A regular expression compiled when first used; from then on its methods are the
    compiled pattern's own, so a call costs what it would have. Equal (and hashing alike)
    to the compiled pattern; copied and pickled as one. Passing it to the module-level
    ``re`` functions is not supported: use its methods."""

    _METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split")

    def __init__(self, source: str, flags: int) -> None:
        self.pattern = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            import re

            compiled = re.compile(self.pattern, self._flags)
            for method in self._METHODS:
                setattr(self, method, getattr(compiled, method))
            self._compiled = compiled
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        # Only for what a compiled pattern has (groups, flags, groupindex, the methods);
        # dunders and this object's own fields are not looked up there (copy and pickle
        # probe for them on an instance that has no fields yet).
        if name.startswith("__") or name in ("pattern", "_flags", "_compiled"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _DeferredPattern):
            return (self.pattern, self._flags) == (other.pattern, other._flags)
        return self.compiled() == other

    def __hash__(self) -> int:
        return hash(self.compiled())

    def __reduce__(self) -> tuple[Any, ...]:
        return (deferred_regex, (self.pattern, self._flags))

    def __repr__(self) -> str:
        return f"deferred_regex({self.pattern!r}, {self._flags!r})"


def deferred_regex(source: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(source, flags)``, done when the pattern is first used.

    Compiling costs 0.1–1 ms a pattern at every start; a `posagent check` never uses many
    of them (other vendors' formats, configuration units).
    """
    pattern: Any = _DeferredPattern(source, flags)
    return pattern  # used only through what a compiled pattern has
