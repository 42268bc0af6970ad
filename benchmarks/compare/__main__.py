"""``python -m benchmarks.compare``: run the ablation (see `benchmarks.compare`)."""

from benchmarks.compare.cli import main

raise SystemExit(main())
