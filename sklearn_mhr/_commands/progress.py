"""Progress as plain lines, the same on a terminal and in a log (a pipe, a batch job).

:func:`epoch_printer` gives ``train`` and ``demo`` one line per epoch
(:func:`epoch_line`: epoch n/N, losses, time, time left), where skorch's
table has no epoch count and no time left. ``tune`` shows a bar of its trials
on a terminal; :class:`TrialLines` gives it one line per trial it ends
instead (:func:`trial_line`) where the bar would not show.
"""

from __future__ import annotations

import threading

from sklearn_mhr._numbers import is_number

__all__ = ["TrialLines", "describe_params", "duration_text", "epoch_line", "epoch_printer",
           "trial_line"]


def describe_params(params: dict) -> str:
    """``name=value`` pairs sorted by name, floats to three significant digits."""
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in sorted(params.items()))


def _number(value) -> float | None:
    """`value` as a finite float, or None (absent, None, NaN, not a number)."""
    return float(value) if is_number(value, finite=True) else None


def duration_text(seconds: float) -> str:
    """A duration as a person reads it: ``"42 s"``, ``"3 min 05 s"``, ``"2 h 07 min"``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def epoch_line(record: dict, max_epochs: int, seconds_left: float | None = None) -> str:
    """One line for one epoch of a skorch history.

    Parameters
    ----------
    record : dict
        One entry of ``net.history``: ``epoch``, and those of ``train_loss``,
        ``valid_loss``, ``valid_acc`` and ``dur`` (seconds) that the fit
        recorded; absent (or non-finite) ones are left out of the line.
    max_epochs : int
        Epochs the fit may run (fewer with early stopping).
    seconds_left : float, optional
        Estimated time to the last epoch; shown when given and the epoch is
        not the last.

    Returns
    -------
    str
        E.g. ``"epoch 3/20: train loss 1.234, valid loss 1.111, valid acc 0.650, 4.2 s,
        about 1 min 11 s left"``.
    """
    fields = [(key, _number(record.get(key)))
              for key in ("train_loss", "valid_loss", "valid_acc", "dur")]
    parts = [f"{value:.1f} s" if key == "dur" else f"{key.replace('_', ' ')} {value:.3f}"
             for key, value in fields if value is not None]
    epoch = record.get("epoch", "?")
    if seconds_left is not None and isinstance(epoch, int) and epoch < max_epochs:
        parts.append(f"about {duration_text(seconds_left)} left")
    head = f"epoch {epoch}/{max_epochs}"
    return f"{head}: {', '.join(parts)}" if parts else head


def epoch_printer(prefix: str = ""):
    """A skorch callback that prints :func:`epoch_line` at the end of every epoch.

    The time left is the mean duration of the epochs this fit has run times
    the epochs still to run (an upper bound with early stopping).

    Parameters
    ----------
    prefix : str, default=""
        Put before every line (e.g. an indent under a heading).
    """
    from skorch.callbacks import Callback

    class EpochLines(Callback):
        def on_train_begin(self, net, **kwargs):
            self.printed_ = self.first_ = len(net.history)

        def on_epoch_end(self, net, **kwargs):
            self._print(net)

        def on_train_end(self, net, **kwargs):
            # early stopping ends its last epoch before the callbacks after it run
            self._print(net)

        def _print(self, net):
            durations = [_number(r.get("dur")) for r in net.history[self.first_:]]
            durations = [d for d in durations if d is not None]
            per_epoch = sum(durations) / len(durations) if durations else None
            for record in net.history[self.printed_:]:
                epoch = record.get("epoch")
                left = (per_epoch * (net.max_epochs - epoch)
                        if per_epoch is not None and isinstance(epoch, int) else None)
                print(prefix + epoch_line(record, net.max_epochs, left), flush=True)
            self.printed_ = len(net.history)

    return EpochLines()


def trial_line(trial, finished: int | None = None, total: int | None = None) -> str:
    """One line for a trial of a search that has just ended.

    Parameters
    ----------
    trial : optuna.trial.FrozenTrial
        The trial, as Optuna gives it to a study's callbacks.
    finished, total : int, optional
        Finished (complete or pruned) trials the study holds now, and the
        total it is to reach; shown as ``finished/total`` when both are given.

    Returns
    -------
    str
        E.g. ``"trial 3 complete (4/10): mean accuracy 0.6500; lr=0.00312, n_heads=2; 12.3 s"``;
        a pruned trial shows its last reported score instead of a mean.
    """
    head = f"trial {trial.number} {trial.state.name.lower()}"
    if finished is not None and total is not None:
        head += f" ({finished}/{total})"
    parts = []
    value = _number(trial.value) if trial.state.name == "COMPLETE" else None
    if value is not None:
        parts.append(f"mean accuracy {value:.4f}")
    elif trial.intermediate_values:
        last = _number(trial.intermediate_values[max(trial.intermediate_values)])
        if last is not None:
            parts.append(f"last score {last:.4f}")
    params = trial.user_attrs.get("estimator_params", trial.params)
    if params:
        parts.append(describe_params(params))
    if trial.duration is not None:
        parts.append(f"{trial.duration.total_seconds():.1f} s")
    return f"{head}: {'; '.join(parts)}" if parts else head


class TrialLines:
    """An Optuna callback printing :func:`trial_line` for every trial this process ends.

    Parameters
    ----------
    total : int
        Finished trials the study is to hold, across every worker.
    """

    def __init__(self, total: int):
        self.total = total
        self._lock = threading.Lock()  # trials of --jobs N end in N threads

    def __call__(self, study, trial) -> None:
        from sklearn_mhr.search._tune import FINISHED

        with self._lock:
            finished = len(study.get_trials(deepcopy=False, states=FINISHED))
            print(trial_line(trial, min(finished, self.total), self.total), flush=True)
