"""The package's layers import only downwards, and no two modules import each other.

Imports are read from the source (module level and inside functions alike), so
an import that only runs on some path still counts.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_mhr"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of everything `path` imports (``from x import y`` gives x and x.y)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def _internal(name: str) -> set[str]:
    """The package's modules that `name` imports (a package counts as its __init__)."""
    return {m for m in IMPORTS[name] if m in MODULES and m != name}


def test_the_import_reader_sees_relative_imports():
    assert "sklearn_mhr._skorch.build" in _internal("sklearn_mhr.estimator") or \
        "sklearn_mhr._skorch" in _internal("sklearn_mhr.estimator")
    assert "sklearn_mhr.nn.cosgauss" in _internal("sklearn_mhr.nn.frontend")


def test_no_import_cycle():
    # a package's __init__ re-exports its modules: edges from a package to its own
    # submodules are not cycles of their own
    def edges(name):
        return {m for m in _internal(name) if not m.startswith(name + ".")}

    state, stack = {}, []

    def visit(name):
        state[name] = "open"
        stack.append(name)
        for dep in sorted(edges(name)):
            if state.get(dep) == "open":
                cycle = stack[stack.index(dep):] + [dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[name] = "done"

    for name in MODULES:
        if name not in state:
            visit(name)


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _offenders(prefixes, forbidden):
    """(module, import) pairs where a module under `prefixes` imports one under `forbidden`."""
    return sorted(
        (name, imported) for name in MODULES if _within(name, prefixes)
        for imported in IMPORTS[name] if _within(imported, forbidden)
    )


def test_io_and_datasets_know_no_torch_model():
    bad = _offenders(("sklearn_mhr.io", "sklearn_mhr.datasets"),
                     ("torch", "skorch", "sklearn_mhr.nn", "sklearn_mhr._skorch",
                      "sklearn_mhr.estimator"))
    assert bad == []


def test_nn_knows_no_sklearn():
    bad = _offenders(("sklearn_mhr.nn",), ("sklearn", "skorch"))
    bad += [(n, i) for n, i in _offenders(("sklearn_mhr.nn",), ("sklearn_mhr",))
            if not _within(i, ("sklearn_mhr.nn",))]
    assert bad == []


def test_the_library_knows_no_command_line():
    cli = ("sklearn_mhr.cli", "sklearn_mhr._commands", "sklearn_mhr.__main__")
    bad = [(n, i) for n, i in _offenders(("sklearn_mhr",), cli) if not _within(n, cli)]
    assert bad == []


def test_reading_audio_does_not_load_torch():
    code = ("import sys, sklearn_mhr.io, sklearn_mhr.datasets; "
            "print(sorted(m for m in ('torch', 'skorch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_inference_outside_the_estimator_goes_through_the_skorch_glues_one_path():
    # analysis, windows and streams reach the network through _skorch.inference only
    users = ("sklearn_mhr.analysis", "sklearn_mhr.windows", "sklearn_mhr.stream")
    allowed = ("sklearn_mhr._skorch.inference",)
    bad = [(n, i) for n, i in _offenders(users, ("sklearn_mhr._skorch",))
           if i != "sklearn_mhr._skorch" and not _within(i, allowed)]
    assert bad == []
    private_runs = sorted(
        name for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr == "_run"
        and isinstance(node.value, ast.Name) and node.value.id == "estimator")
    assert private_runs == []


def test_the_crash_safe_folder_engine_knows_no_model():
    """Saves, checkpoints, the clip cache and the search's output share it: it stays below all."""
    engine = ("sklearn_mhr._safe_folder", "sklearn_mhr._lock")
    bad = [(n, i) for n, i in _offenders(engine, ("sklearn_mhr", "torch", "skorch", "numpy"))
           if not _within(i, engine)]
    assert bad == []
    assert "sklearn_mhr._safe_folder" in _internal("sklearn_mhr.persistence")
    assert "sklearn_mhr._safe_folder" in _internal("sklearn_mhr._skorch.checkpoint")
    assert "sklearn_mhr._lock" in _internal("sklearn_mhr._commands.tune")
    assert not any("fcntl" in IMPORTS[name] for name in MODULES)
