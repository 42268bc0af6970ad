"""The default search space: the architecture, the learning rate and the epochs."""

from __future__ import annotations

__all__ = ["default_space", "default_space_except"]


def default_space(trial) -> dict:
    """Suggest heads, filters, context, back end width, learning rate and epochs.

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial to draw the values from.

    Returns
    -------
    params : dict
        ``n_filters`` in {16, 32, 48, 64, 80}; ``n_heads`` from 0 to 4 (never
        more than ``n_filters``); ``context`` from 2 to 10 frames;
        ``back_end_width`` in {8, 16, 32}; ``lr`` from 1e-4 to 1e-2 on a log
        scale; ``max_epochs`` from 5 to 30.

    Notes
    -----
    A space of one's own is any callable with this signature; it may draw a
    parameter from the range left by an earlier one, which is how constraints
    such as "no more heads than filters" are written::

        def space(trial):
            n_filters = trial.suggest_int("n_filters", 8, 64, step=8)
            return {"n_filters": n_filters,
                    "n_heads": trial.suggest_int("n_heads", 1, min(8, n_filters))}
    """
    return default_space_except({})(trial)


def default_space_except(fixed: dict):
    """The default space without the parameters in `fixed`, which keep their values.

    Parameters
    ----------
    fixed : dict
        Estimator parameters that are not searched (e.g. set on the command
        line); a fixed ``n_filters`` still bounds ``n_heads``.

    Returns
    -------
    space : callable
        ``space(trial) -> dict`` of the searched parameters only.
    """
    def space(trial) -> dict:
        params = {}

        def draw(name, suggest):
            if name not in fixed:
                params[name] = suggest()

        draw("n_filters", lambda: trial.suggest_categorical("n_filters", [16, 32, 48, 64, 80]))
        n_filters = params.get("n_filters", fixed.get("n_filters", 80))
        draw("n_heads", lambda: trial.suggest_int("n_heads", 0, min(4, n_filters)))
        draw("context", lambda: trial.suggest_int("context", 2, 10))
        draw("back_end_width", lambda: trial.suggest_categorical("back_end_width", [8, 16, 32]))
        draw("lr", lambda: trial.suggest_float("lr", 1e-4, 1e-2, log=True))
        draw("max_epochs", lambda: trial.suggest_int("max_epochs", 5, 30))
        return params

    return space
