"""The study on disk: the trials table (CSV) and, with matplotlib, its plots (PNG)."""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import optuna

from sklearn_mhr._safe_folder import write_file

__all__ = ["save_plots", "write_trials_csv"]

_ATTRS = ("epochs", "n_threads", "pid", "host", "fold_scores")


def write_trials_csv(study: optuna.Study, path) -> Path:
    """Write one row per trial: number, state, score, times, parameters, worker.

    Parameters
    ----------
    study : optuna.Study
    path : str or os.PathLike
        CSV file to write (replaced whole, in one rename, if present: a
        reader never sees half of it, and a link there is replaced, not
        followed).

    Returns
    -------
    path : pathlib.Path
    """
    trials = study.get_trials(deepcopy=False)
    names = sorted({name for t in trials for name in t.params})
    path = Path(path)
    with io.StringIO(newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["number", "state", "value", "datetime_start", "datetime_complete",
                         "duration_s", "last_step", *names, *_ATTRS])
        for t in trials:
            duration = (t.datetime_complete - t.datetime_start).total_seconds() \
                if t.datetime_complete and t.datetime_start else ""
            attrs = [t.user_attrs.get(a, "") for a in _ATTRS]
            attrs = [json.dumps(v) if isinstance(v, list) else v for v in attrs]
            writer.writerow([t.number, t.state.name, "" if t.value is None else t.value,
                             t.datetime_start or "", t.datetime_complete or "",
                             duration, "" if t.last_step is None else t.last_step,
                             *[t.params.get(n, "") for n in names], *attrs])
        text = f.getvalue()
    write_file(path.parent, path.name, lambda out: out.write(text.encode("utf-8")))
    return path


def save_plots(study: optuna.Study, directory) -> list[Path]:
    """Save the optimisation history and the parameter importances as PNG files.

    Parameters
    ----------
    study : optuna.Study
    directory : str or os.PathLike
        Existing folder; writes ``optimization_history.png`` and, when at least
        two trials completed, ``param_importances.png``.

    Returns
    -------
    paths : list of pathlib.Path
        The files written.

    Raises
    ------
    ImportError
        When matplotlib is not installed (``pip install ".[plot]"`` from the
        repository root, or ``pip install matplotlib``).
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError('plots need matplotlib: pip install ".[plot]" from the repository '
                          "root, or pip install matplotlib") from None
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as optuna_plots

    if not matplotlib.get_backend().lower().endswith("agg") and not plt.get_fignums():
        plt.switch_backend("Agg")
    directory = Path(directory)
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    plots = [("optimization_history.png", optuna_plots.plot_optimization_history)]
    if len(complete) >= 2 and any(len({repr(t.params.get(n)) for t in complete}) > 1
                                  for n in complete[0].params):
        plots.append(("param_importances.png", optuna_plots.plot_param_importances))
    written = []
    with warnings.catch_warnings():
        # Optuna's plots are "experimental", and its importance evaluator warns
        # when few trials make every parameter equally important
        warnings.simplefilter("ignore")
        for name, plot in plots:
            ax = plot(study)
            figure = ax.figure
            figure.set_size_inches(8, 5)
            figure.tight_layout()
            image = io.BytesIO()
            figure.savefig(image, format="png", dpi=100)
            plt.close(figure)
            write_file(directory, name, lambda out, png=image: out.write(png.getvalue()))
            written.append(directory / name)
    return written
