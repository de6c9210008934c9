"""Project-wide rules: the import direction between the layers, and ruff."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_drivers_never_import_agent() -> None:
    offenders = [
        str(p.relative_to(REPO)) for p in (REPO / "drivers").rglob("*.py") if "agent" in _imports(p)
    ]
    assert offenders == []


def test_only_the_simulator_reads_yaml_in_drivers() -> None:
    """Scenario files are YAML; the code a terminal runs to read its modem is not."""
    offenders = [
        str(p.relative_to(REPO))
        for p in (REPO / "drivers").rglob("*.py")
        if "yaml" in _imports(p) and "simulator" not in p.parts
    ]
    assert offenders == []


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.fail("ruff is part of the test extra and must be installed")
    result = subprocess.run(
        [ruff, "check", "agent", "drivers", "tests", "bench"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
