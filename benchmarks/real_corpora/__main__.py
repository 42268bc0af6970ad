"""``python -m benchmarks.real_corpora``: build the corpora (see `benchmarks.real_corpora`)."""

from benchmarks.real_corpora.cli import main

raise SystemExit(main())
