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
               "DCASE2020: fold1_evaluate.csv, with per-device accuracy; folder: every clip, or "
               "those of --test-groups).")


def add_arguments(parser) -> None:
    """The options of ``sklearn-mhr evaluate``."""
    parser.add_argument("--model", required=True, metavar="DIR", help="saved model directory")
    corpus.add_corpus_arguments(parser, side="test")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")


def metrics(y_true, proba, classes, device=None) -> dict:
    """Accuracy, macro F1, log loss, confusion matrix and per-device accuracy.

    Parameters
    ----------
    y_true : ndarray of shape (n_clips,)
        True labels; each must be one of `classes`.
    proba : ndarray of shape (n_clips, n_classes)
        Predicted probabilities, columns following `classes`.
    classes : ndarray of shape (n_classes,)
        The model's labels.
    device : ndarray of shape (n_clips,), optional
        Recording device per clip.

    Returns
    -------
    dict
        ``n_clips``, ``accuracy``, ``macro_f1`` (over the labels that occur
        in `y_true` or in the predictions), ``log_loss``, ``labels`` and
        ``confusion_matrix`` (rows: true label, columns: predicted label, both
        in the order of ``labels``), and ``per_device`` (device -> accuracy and
        clip count) when `device` is given.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss

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
    if device is not None:
        result["per_device"] = {
            str(d): {"accuracy": float(np.mean(y_pred[device == d] == y_true[device == d])),
                     "n_clips": int(np.sum(device == d))}
            for d in sorted(set(device.tolist()))
        }
    return result


def format_report(result: dict, title: str) -> str:
    """The human-readable report: scores, labelled confusion matrix, per-device accuracy."""
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
    if "per_device" in result:
        lines += ["", "Per-device accuracy", "device  accuracy  clips"]
        for d, r in result["per_device"].items():
            lines.append(f"{d:<6}  {r['accuracy']:8.4f}  {r['n_clips']:5d}")
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
    result = metrics(np.asarray(part.target), proba, estimator.classes_, part.device)
    if args.json:
        print(json.dumps({"model": str(args.model), "dataset": args.dataset,
                          "root": str(args.root), "part": part.description, **result}))
    else:
        print(format_report(result, f"Model '{args.model}' on {part.description}: "
                                    f"{result['n_clips']} clips"))
    return 0
