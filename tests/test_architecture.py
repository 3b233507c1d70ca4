"""The rooms of DESIGN.md and their import rules, checked on the source and in fresh interpreters.

Every import counts, including typing-only ones and those inside functions: a circle that only
type checkers see is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ocrpad"
STDLIB = set(sys.stdlib_module_names)
MAX_LINES = 350

# The app's connectors: the only app modules that may reach the engine and the model. Everything
# else in ocrpad/app is a widget that draws what it is given.
CONNECTORS = {"main.py", "main_window.py", "worker.py", "wiring.py", "controller.py"}
ENGINE = ("ocrpad.nn", "ocrpad.model")
# What each room of the app may import from the rest of the app (besides itself).
SHELL_HELPERS = (
    "ocrpad.app.qt_numpy",
    "ocrpad.app.colormap",
    "ocrpad.app.theme",
    "ocrpad.app.words",
    "ocrpad.app.focus",
)
ROOM_MAY_IMPORT = {
    "ocrpad.app.draw": SHELL_HELPERS,
    "ocrpad.app.train": (*SHELL_HELPERS, "ocrpad.app.draw"),
    "ocrpad.app.explain": (*SHELL_HELPERS, "ocrpad.app.draw"),
}
# Packages that never import Qt (checked statically and by importing them in a fresh process).
QT_FREE = ["nn", "model", "preprocess", "reading", "data", "learning", "explain", "cli", "launch"]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by one source file (relative imports resolved; a name
    imported from a package that is itself a module counts as that module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    modules = _all_modules()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package_parts[: len(package_parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            submodules = (f"{module}.{alias.name}" for alias in node.names)
            names.update(name for name in submodules if name in modules)
    return names


def _sources(subpackage: str = "") -> list[Path]:
    root = PACKAGE / subpackage if subpackage else PACKAGE
    return sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]


def _within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_the_engine_imports_only_numpy_and_the_standard_library() -> None:
    for path in _sources("nn"):
        for name in _imports(path):
            top = name.split(".")[0]
            allowed = top in STDLIB or top == "numpy" or _within(name, "ocrpad.nn")
            assert allowed, f"{path.name} imports {name}"


@pytest.mark.parametrize("package", QT_FREE)
def test_the_core_never_imports_qt_the_app_or_the_developer_tools(package: str) -> None:
    for path in _sources(package):
        if not path.is_file():
            continue  # a room not built yet
        for name in _imports(path):
            assert not _within(name, "PySide6", "ocrpad.app"), f"{path} imports {name}"
            if package != "cli":  # ocrpad-bench prints the developer benchmarks too
                assert not _within(name, "ocrpad.devtools"), f"{path} imports {name}"


def test_only_the_entry_point_starts_the_app_and_nothing_shipped_imports_developer_tools() -> None:
    for path in _sources():
        module = _module_name(path)
        if _within(module, "ocrpad.devtools", "ocrpad.cli"):
            continue
        for name in _imports(path):
            if not _within(module, "ocrpad.app"):
                # The PyInstaller entry point starts the app lazily, inside a function.
                lazy_start = module == "ocrpad.__main__" and name == "ocrpad.app.main"
                assert lazy_start or not _within(name, "ocrpad.app"), f"{path} imports {name}"
            assert not _within(name, "ocrpad.devtools"), f"{path} ships but imports {name}"


def test_widgets_never_import_the_engine_or_the_model() -> None:
    for path in _sources("app"):
        if path.name in CONNECTORS:
            continue
        for name in _imports(path):
            assert not _within(name, *ENGINE), f"widget {path} imports {name}"


@pytest.mark.parametrize("room", sorted(ROOM_MAY_IMPORT))
def test_each_room_of_the_app_imports_only_what_its_rules_allow(room: str) -> None:
    allowed = (room, *ROOM_MAY_IMPORT[room])
    for path in _sources(room.removeprefix("ocrpad.").replace(".", "/")):
        for name in _imports(path):
            if _within(name, "ocrpad.app") and name != "ocrpad.app":
                assert _within(name, *allowed), f"{room}: {path.name} imports {name}"


def test_no_two_modules_import_each_other_even_through_others() -> None:
    modules = _all_modules()
    graph = {
        module: {n for n in _imports(path) if n in modules and n != module}
        for module, path in modules.items()
    }
    # A package's __init__ importing its own modules (re-exports) is not a circle with them:
    # importing ocrpad.data.samples runs ocrpad.data first, never the other way round.
    for module in graph:
        graph[module] = {n for n in graph[module] if not _within(module, n)}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(p.relative_to(PACKAGE.parent)): n
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_machine_learning_library_is_imported_by_the_product() -> None:
    banned = {"torch", "tensorflow", "jax", "sklearn", "keras"}
    for path in _sources():
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "torch" and path.name == "torch_twin.py":
                continue  # the optional PyTorch twin of the benchmark; the product never imports it
            assert top not in banned, f"{path} imports {name}"


def test_the_bundle_leaves_the_developer_tools_out() -> None:
    spec = (PACKAGE.parent / "build.spec").read_text(encoding="utf-8")
    assert '"ocrpad.devtools"' in spec


@pytest.mark.parametrize(
    "module",
    [
        *("ocrpad.nn", "ocrpad.model", "ocrpad.preprocess", "ocrpad.data", "ocrpad.learning"),
        *("ocrpad.explain", "ocrpad.cli.eval", "ocrpad.cli.train"),
    ],
)
def test_importing_the_core_loads_no_qt(module: str) -> None:
    code = f"import sys, {module}; print(any(m.startswith('PySide6') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def _rooms_named() -> list[str]:
    """The names in the first column of ARCHITECTURE.md's rooms table (`nn/`, `model.py`, …)."""
    text = (PACKAGE / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("## The rooms", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])]


def test_the_rooms_table_names_every_module_and_package_of_the_core_once() -> None:
    packages = [p.name + "/" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    app = PACKAGE / "app"
    packages += [f"app/{p.name}/" for p in app.iterdir() if (p / "__init__.py").is_file()]
    modules = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    named = _rooms_named()
    assert sorted(set(packages + modules) - set(named)) == []  # a new room is described
    assert [n for n in set(named) if named.count(n) > 1] == []
    gone = [n for n in named if not (PACKAGE / n.rstrip("/")).exists()]
    assert gone == []  # and a room that went is taken out of the table
