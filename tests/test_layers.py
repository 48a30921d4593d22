"""The core runs headless: domain, store, reports and printing never import Qt (or the UI)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "station_app"
HEADLESS = ("domain", "store", "reports", "printing")
FORBIDDEN = ("PySide6", "shiboken6", "station_app.ui")


def imported_modules(source: str, path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in ``source``, read as the module at ``path``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's own package
                package = ".".join(
                    path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                )
                if node.module:
                    found.append((node.lineno, f"{package}.{node.module}"))
                else:
                    found += [(node.lineno, f"{package}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module or ""))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def forbidden_imports(source: str, path: Path) -> list[str]:
    return [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for line, name in imported_modules(source, path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]


def headless_files() -> list[Path]:
    return sorted(p for layer in HEADLESS for p in (PACKAGE / layer).rglob("*.py"))


def test_there_are_headless_modules_to_check():
    assert len(headless_files()) >= 10


@pytest.mark.parametrize("path", headless_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_headless_module_does_not_import_qt(path):
    assert forbidden_imports(path.read_text(encoding="utf-8"), path) == []


@pytest.mark.parametrize(
    "source",
    [
        "import PySide6.QtCore\n",
        "from PySide6 import QtWidgets\n",
        "def f():\n    from PySide6.QtGui import QFont\n",
        "from ..ui import app\n",
        "from .. import ui\n",
        "from station_app.ui.dialogs import ask\n",
        "import importlib\nimportlib.import_module('PySide6.QtPdf')\n",
    ],
)
def test_the_checker_sees_qt_imports(source):
    pretend = PACKAGE / "domain" / "probe.py"
    assert len(forbidden_imports(source, pretend)) == 1


def test_the_checker_allows_the_core():
    pretend = PACKAGE / "store" / "probe.py"
    source = (
        "import sqlite3\nfrom station_app.domain import text\nfrom . import errors\n"
        "from ..i18n import tr\n"
    )
    assert forbidden_imports(source, pretend) == []
