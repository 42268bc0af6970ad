"""What each ``sklearn-mhr`` command does; the parser lives in :mod:`sklearn_mhr.cli`.

Every module imports torch only inside its functions, so that ``--help`` and
errors found before training (a missing corpus, a malformed metadata row)
answer at once.
"""


def plain(value):
    """A numpy scalar as the Python value JSON writes; anything else unchanged."""
    return value.item() if hasattr(value, "item") else value
