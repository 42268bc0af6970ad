"""``sklearn-mhr evaluate``: scores of a saved model on a corpus' standard test part."""

from __future__ import annotations

import json

import numpy as np

from sklearn_mhr._commands import corpus, plain
from sklearn_mhr._commands.params import check_window_fits

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "metrics", "run"]

HELP = "score a saved model on a corpus' standard test split"
DESCRIPTION = ("Accuracy, macro F1, log loss and the confusion matrix of a saved model on the "
               "test side of a corpus' standard split (UrbanSound8K: the held-out fold; "
               "DCASE2020: fold1_evaluate.csv; folder: every clip, or those of --test-groups), "
               "with the accuracy per device (DCASE2020), fold (UrbanSound8K) or group (folder "
               "file-name prefixes) and its spread across them.")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr evaluate``."""
    parser.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    corpus.add_corpus_arguments(parser, side="test")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")


#: how the clips of a test part can be grouped: the report's name, and the Part's field (also
#: the argument of `metrics`)
GROUPINGS = (("device", "device"), ("fold", "fold"), ("group", "groups"))


def metrics(y_true, proba, classes, device=None, fold=None, groups=None) -> dict:
    """Accuracy, macro F1, log loss, confusion matrix and accuracy per device, fold or group.

    Parameters
    ----------
    y_true : ndarray of shape (n_clips,)
        True labels; each must be one of `classes`.
    proba : ndarray of shape (n_clips, n_classes)
        Predicted probabilities, columns following `classes`.
    classes : ndarray of shape (n_classes,)
        The model's labels.
    device, fold, groups : ndarray of shape (n_clips,), optional
        Recording device (DCASE2020), fold (UrbanSound8K) or group (a folder's
        file-name prefix: a speaker, a kit) of each clip.

    Returns
    -------
    dict
        ``n_clips``, ``accuracy``, ``macro_f1`` (over the labels that occur
        in `y_true` or in the predictions), ``log_loss``, ``labels`` and
        ``confusion_matrix`` (rows: true label, columns: predicted label, both
        in the order of ``labels``); for each grouping given, ``per_device``,
        ``per_fold`` or ``per_group`` (name -> accuracy and clip count) and
        ``device_spread``, ``fold_spread`` or ``group_spread`` (``mean`` and
        ``std`` of the accuracy over the groups, ``range``, the best group's
        minus the worst's, and ``worst``, the worst group's name).
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss

    from sklearn_mhr.analysis import group_scores

    unknown = sorted(set(y_true.tolist()) - set(classes.tolist()))
    if unknown:
        raise ValueError(
            f"the evaluation clips have labels the model was not trained on: {unknown[:5]} "
            f"(the model knows {[plain(c) for c in classes]}); evaluate on a corpus with the "
            "same labels")
    y_pred = classes[proba.argmax(axis=1)]
    result = {
        "n_clips": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "log_loss": float(log_loss(y_true, proba, labels=classes)),
        "labels": [plain(c) for c in classes],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }
    for (kind, _), values in zip(GROUPINGS, (device, fold, groups), strict=True):
        if values is None:
            continue
        scores = group_scores(y_true, y_pred, values)
        result[f"per_{kind}"] = {
            str(g): {"accuracy": float(a), "n_clips": int(n)}
            for g, a, n in zip(scores.groups, scores.accuracy, scores.n_clips, strict=True)}
        result[f"{kind}_spread"] = {"mean": scores.mean, "std": scores.std,
                                    "range": scores.spread, "worst": scores.worst}
    return result


def format_report(result: dict, title: str) -> str:
    """The human-readable report: scores, labelled confusion matrix, accuracy per group."""
    lines = [title, "",
             f"accuracy  {result['accuracy']:.4f}",
             f"macro F1  {result['macro_f1']:.4f}",
             f"log loss  {result['log_loss']:.4f}", "",
             "Confusion matrix (rows: true label, columns: predicted label)"]
    labels = [str(c) for c in result["labels"]]
    matrix = result["confusion_matrix"]
    cell = max(len(str(len(labels) - 1)), *(len(str(v)) for row in matrix for v in row)) + 1
    head = max(len(f"{i} {name}") for i, name in enumerate(labels))
    lines.append(" " * head + "".join(f"{i:>{cell}}" for i in range(len(labels))))
    for i, (name, row) in enumerate(zip(labels, matrix, strict=True)):
        lines.append(f"{f'{i} {name}':<{head}}" + "".join(f"{v:>{cell}}" for v in row))
    for kind, _ in GROUPINGS:
        if f"per_{kind}" not in result:
            continue
        per = result[f"per_{kind}"]
        width = max(len(kind), *(len(name) for name in per))
        lines += ["", f"Per-{kind} accuracy", f"{kind:<{width}}  accuracy  clips"]
        for name, r in per.items():
            lines.append(f"{name:<{width}}  {r['accuracy']:8.4f}  {r['n_clips']:5d}")
        spread = result[f"{kind}_spread"]
        lines.append(f"over {len(per)} {kind}s: mean {spread['mean']:.4f}, std "
                     f"{spread['std']:.4f}, best - worst {spread['range']:.4f} "
                     f"(worst: {spread['worst']})")
    return "\n".join(lines)


def run(args) -> int:
    """Select the test clips, predict, print the scores; return the exit code."""
    from sklearn_mhr import persistence

    trained = persistence.read_metadata(args.model).get("metadata", {})
    sample_rate = persistence.read_params(args.model)["sample_rate"]
    part = corpus.test_part(args, trained, sample_rate)
    estimator = persistence.load(args.model)
    check_window_fits(estimator, args.duration)
    X = corpus.decode(part, lazy=args.lazy, n_jobs=args.workers)
    proba = estimator.predict_proba(X)
    result = metrics(np.asarray(part.target), proba, estimator.classes_,
                     **{field: getattr(part, field) for _, field in GROUPINGS})
    if args.json:
        print(json.dumps({"model": str(args.model), "dataset": args.dataset,
                          "root": str(args.root), "part": part.description, **result}))
    else:
        print(format_report(result, f"Model '{args.model}' on {part.description}: "
                                    f"{result['n_clips']} clips"))
    return 0
