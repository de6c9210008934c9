"""drivers.deferred: modules and regular expressions loaded on first use."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from drivers.deferred import deferred_regex


def test_a_deferred_regex_compiles_on_first_use_and_then_is_the_compiled_pattern() -> None:
    pattern = deferred_regex(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
    assert "match" not in vars(pattern)
    real = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
    text = "12 MB, 7 kb and 3x"
    assert pattern.match(text).groups() == real.match(text).groups()  # type: ignore[union-attr]
    assert vars(pattern)["search"].__self__ is real  # re's own cache: the same object
    assert [m.group(0) for m in pattern.finditer(text)] == ["12 MB", "7 kb", "3x"]
    assert pattern.findall(text) == real.findall(text)
    assert pattern.sub("#", text) == real.sub("#", text)
    assert pattern.split(text) == real.split(text)
    assert pattern.fullmatch("5 GB") is not None
    assert pattern.groups == 2  # anything else is the compiled pattern's


def run_script(script: str, folder: Path) -> str:
    """``script`` in a fresh Python (so that nothing is imported yet) with ``folder`` on
    its path; what it printed."""
    result = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_deferring_hands_the_module_a_stand_in_only_while_it_imports(
    tmp_path: Path,
) -> None:
    script = """
import sys, types
sys.path.insert(0, sys.argv[1])
from drivers.deferred import import_deferring
module = import_deferring("uses_json", ("json",))
print("json" in sys.modules, isinstance(module.json, types.ModuleType))
print(module.dump({"a": 1}), "json" in sys.modules)
import json
print(sys.modules["json"] is json, json.dumps is module.json.dumps)
print(import_deferring("uses_json", ("json",)) is module)
answered = import_deferring("uses_csv", ("csv",), answers={"csv": {"QUOTE_ALL": "mine"}})
print(answered.quoting(), "csv" in sys.modules)
"""
    (tmp_path / "uses_json.py").write_text(
        "import json\n\ndef dump(value):\n    return json.dumps(value)\n", encoding="utf-8"
    )
    (tmp_path / "uses_csv.py").write_text(
        "import csv\n\ndef quoting():\n    return csv.QUOTE_ALL\n", encoding="utf-8"
    )
    assert run_script(script, tmp_path).split("\n")[:5] == [
        "False True",
        '{"a": 1} True',
        "True True",
        "True",
        "mine False",  # an answered attribute imports nothing
    ]


def test_a_deferred_regex_copies_pickles_and_compares_as_the_compiled_one() -> None:
    import copy
    import pickle

    pattern = deferred_regex(r"(\d+)x", re.IGNORECASE)
    real = re.compile(r"(\d+)x", re.IGNORECASE)
    assert copy.copy(pattern) == pattern and copy.deepcopy(pattern) == real
    assert pickle.loads(pickle.dumps(pattern)) == real
    assert pattern == real and real == pattern and hash(pattern) == hash(real)
    assert pattern != deferred_regex(r"(\d+)y", re.IGNORECASE)
    assert (pattern.flags, pattern.groups) == (real.flags, real.groups)


def test_a_module_another_thread_is_importing_is_waited_for(tmp_path: Path) -> None:
    script = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
from drivers.deferred import import_deferring
results = []
first = threading.Thread(target=lambda: results.append(import_deferring("slow", ())))
first.start()
time.sleep(0.1)  # the first import is under way
second = import_deferring("slow", ())
first.join()
print(second.READY, results[0] is second)
"""
    (tmp_path / "slow.py").write_text("import time\ntime.sleep(0.4)\nREADY = True\n")
    assert run_script(script, tmp_path).split() == ["True", "True"]
