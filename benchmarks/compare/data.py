"""The training and test clips of one fit: generated scenes or a corpus, split by its protocol."""

from __future__ import annotations

from typing import NamedTuple


class Split(NamedTuple):
    """Training and test clips of one fit, with what describes the split."""

    X_train: object
    y_train: object
    X_test: object
    y_test: object
    device: object  # recording device per test clip (DCASE2020), else None
    info: dict


def load_split(spec: dict) -> Split:
    """The split of the spec's data for its seed (and held-out fold)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    dataset, rate, seed = spec["dataset"], spec["sample_rate"], spec["seed"]
    if dataset == "generated":
        from sklearn_mhr.datasets import make_sound_scenes

        X, y = make_sound_scenes(spec["n_clips"], n_classes=spec["n_classes"],
                                 duration=spec["duration"], sample_rate=rate, random_state=0)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y,
                                                  random_state=seed)
        return Split(X_tr, y_tr, X_te, y_te, None, {})
    from sklearn_mhr.datasets.protocols import standard_split

    kw = dict(sample_rate=rate, duration=spec["duration"], memory=spec["cache"],
              test_fold=spec["split"], test_groups=spec["test_groups"])
    if dataset == "folder" and spec["test_groups"] is None:
        # no groups to hold out: a stratified 70/30 split of the folder, drawn with each seed
        whole = standard_split(dataset, spec["root"], side="train", **kw)
        tr, te = train_test_split(np.arange(len(whole.target)), test_size=0.3,
                                  stratify=whole.target, random_state=seed)
        data = whole.data if spec.get("lazy") else whole.data.decode()
        return Split(data[tr], whole.target[tr], data[te], whole.target[te], None, {})
    train = standard_split(dataset, spec["root"], side="train", **kw)
    test = standard_split(dataset, spec["root"], side="test", **kw)
    info = {}
    if train.groups is not None:
        info = {"train_groups": sorted(set(train.groups.tolist())),
                "test_groups": sorted(set(test.groups.tolist()))}
    X_train, X_test = train.data, test.data
    if not spec.get("lazy"):  # as `sklearn-mhr train` does for a corpus that fits in memory
        X_train, X_test = X_train.decode(), X_test.decode()
    return Split(X_train, train.target, X_test, test.target, test.device, info)
