"""``python -m sklearn_mhr`` runs the command line."""

from sklearn_mhr.cli import main

raise SystemExit(main())
