"""Speed, memory and accuracy benchmarks of sklearn_mhr, which write docs/benchmarks.md.

Each is run from the repository root as a module, ``python -m benchmarks.<name>``
(``python -m benchmarks.compare --help``). The package is not part of the wheel.
"""
