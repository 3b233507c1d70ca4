"""The import rules of DESIGN.md, checked on the source and in fresh interpreters."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ocrpad"
STDLIB = set(sys.stdlib_module_names)


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by one source file (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package_parts[: len(package_parts) - node.level + 1])
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
    return names


def _sources(subpackage: str = "") -> list[Path]:
    root = PACKAGE / subpackage if subpackage else PACKAGE
    return sorted(root.rglob("*.py"))


def test_the_engine_imports_only_numpy_and_the_standard_library() -> None:
    for path in _sources("nn"):
        for name in _imports(path):
            top = name.split(".")[0]
            allowed = top in STDLIB or top == "numpy" or name.startswith("ocrpad.nn")
            assert allowed, f"{path.name} imports {name}"


def test_nothing_outside_the_app_imports_qt_or_the_app() -> None:
    for path in _sources():
        if PACKAGE / "app" in path.parents:
            continue
        for name in _imports(path):
            # The PyInstaller entry point may start the app; it does so lazily, inside a function.
            if path.name == "__main__.py" and name == "ocrpad.app.main":
                continue
            assert not name.startswith(("PySide6", "ocrpad.app")), f"{path} imports {name}"


def test_widgets_never_import_the_engine() -> None:
    wiring = {"main_window.py", "workers.py", "main.py", "__init__.py"}
    for path in _sources("app"):
        if path.name in wiring:
            continue
        for name in _imports(path):
            assert not name.startswith("ocrpad.nn"), f"widget {path.name} imports {name}"


def test_no_machine_learning_library_is_imported_by_the_product() -> None:
    banned = {"torch", "tensorflow", "jax", "sklearn", "keras"}
    for path in _sources():
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "torch" and path.name == "torch_twin.py":
                continue  # the optional PyTorch twin of the benchmark; the product never imports it
            assert top not in banned, f"{path} imports {name}"


@pytest.mark.parametrize(
    "module", ["ocrpad.nn", "ocrpad.model", "ocrpad.preprocess", "ocrpad.data", "ocrpad.train"]
)
def test_importing_the_core_loads_no_qt(module: str) -> None:
    code = f"import sys, {module}; print(any(m.startswith('PySide6') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
