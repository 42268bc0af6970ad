"""``python -m sklearn_mhr`` runs the command line."""

from .cli import main

raise SystemExit(main())
