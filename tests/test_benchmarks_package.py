"""benchmarks: a package run as ``python -m benchmarks.<name>``, never on a patched sys.path."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from setuptools.config.pyprojecttoml import read_configuration

import benchmarks

REPO = Path(__file__).resolve().parents[1]
PATCH = re.compile(r"sys\.path\.(insert|append)\(")
FOLDER = re.compile(r"""["']benchmarks["']""")


def test_every_benchmarks_module_imports():
    names = [info.name for info in pkgutil.walk_packages(benchmarks.__path__, "benchmarks.")
             if not info.name.endswith(".__main__")]  # __main__ runs the benchmark
    assert "benchmarks.compare" in names and "benchmarks.real_corpora" in names
    for name in names:
        importlib.import_module(name)


def test_no_sys_path_patching_for_the_benchmarks():
    patched = [str(p.relative_to(REPO)) for p in sorted((REPO / "benchmarks").rglob("*.py"))
               if PATCH.search(p.read_text())]
    # a test may put its own folder on a child's path, never the benchmarks folder
    for path in sorted((REPO / "tests").rglob("*.py")):
        text = path.read_text()
        lines = [line for line in text.splitlines() if PATCH.search(line)]
        if lines and (any("benchmarks" in line for line in lines) or FOLDER.search(text)):
            patched.append(str(path.relative_to(REPO)))
    assert patched == []


def test_the_wheel_ships_sklearn_mhr_only():
    # the packages that setuptools' discovery in pyproject.toml puts in the wheel
    packages = read_configuration(REPO / "pyproject.toml")["tool"]["setuptools"]["packages"]
    assert "sklearn_mhr" in packages
    assert all(p.split(".")[0] == "sklearn_mhr" for p in packages)
