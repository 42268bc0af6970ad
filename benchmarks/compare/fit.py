"""One fit of a variant or baseline, in this process, and what it measured."""

from __future__ import annotations

from benchmarks.compare.data import load_split


def run_one(spec: dict) -> dict:
    """Fit one variant or baseline with one seed on one split, in this process.

    Parameters
    ----------
    spec : dict
        A task of `build_plan`.

    Returns
    -------
    result : dict
        Accuracy (and per device on DCASE2020), clip counts, fit and predict
        seconds, epoch seconds (None for most baselines), inference clips per
        second and peak RSS, with the spec's name, kind, seed, split and
        parameters.
    """
    import resource

    import numpy as np

    from benchmarks.baselines import fit_predict, mean_after_first, run_baseline, save_features

    split = load_split(spec)
    if spec["kind"] == "variant":
        from sklearn_mhr import MHRAudioClassifier

        clf = MHRAudioClassifier(**spec["params"])
        measured = fit_predict(clf, split.X_train, split.y_train, split.X_test)
        measured["epoch_seconds"] = mean_after_first(clf.net_.history[:, "dur"])
        if spec["features"]:
            save_features(spec["features"], clf, split.X_train, split.X_test,
                          measured["fit_seconds"])
    else:
        measured = run_baseline(spec["variant"], split.X_train, split.y_train, split.X_test,
                                params=spec["params"], n_threads=spec["n_threads"],
                                features=spec["features"])
    y_pred, y_te = measured.pop("y_pred"), np.asarray(split.y_test)
    result = {
        "variant": spec["variant"], "kind": spec["kind"], "seed": spec["seed"],
        "split": spec["split"], "params": spec["params"], "n_threads": spec["n_threads"],
        "accuracy": float(np.mean(y_pred == y_te)),
        "n_train": len(split.y_train), "n_test": len(y_te), **split.info, **measured,
        "inference_clips_per_second": len(y_te) / measured["predict_seconds"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if split.device is not None:
        result["per_device"] = per_device(y_te, y_pred, split.device)
    return result


def per_device(y_true, y_pred, device) -> dict[str, float]:
    """Accuracy per recording device, by the device's name (``analysis.group_scores``)."""
    from sklearn_mhr.analysis import group_scores

    scores = group_scores(y_true, y_pred, device)
    return {str(name): float(acc) for name, acc in zip(scores.groups, scores.accuracy, strict=True)}
