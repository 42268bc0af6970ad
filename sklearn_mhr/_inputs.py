"""Checks on the waveforms and labels given to the estimator, with the error texts."""

from __future__ import annotations

import numpy as np
import scipy.sparse

__all__ = ["PCM_FULL_SCALE", "as_clip_sequence", "check_clip", "check_partial_fit_classes",
           "check_targets", "pcm_as_float"]

#: full scale of the integer PCM sample formats (what soundfile and WAV files use): clips of these
#: dtypes are read as ``(x - offset) / scale``, in [-1, 1); other integer dtypes are sample values
PCM_FULL_SCALE = {"int8": (0, 2**7), "uint8": (128, 2**7), "int16": (0, 2**15),
                  "int32": (0, 2**31)}


def pcm_as_float(arr: np.ndarray, what: str) -> np.ndarray:
    """Integer PCM samples scaled to [-1, 1); booleans refused; anything else unchanged."""
    if arr.dtype.kind == "b":
        raise TypeError(f"{what} holds booleans; clips must hold audio samples (floats in "
                        "[-1, 1], or int8, uint8, int16 or int32 PCM)")
    if arr.dtype.name not in PCM_FULL_SCALE:
        return arr
    offset, scale = PCM_FULL_SCALE[arr.dtype.name]
    return (arr.astype(np.float64) - offset) / scale


def check_clip(clip, index) -> np.ndarray:
    """Validate one clip and return it as a contiguous 1-D float32 array.

    ``index`` names the clip in error messages.
    """
    try:
        arr = np.asarray(clip)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"clip {index} could not be read as an array of samples: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"clip {index} has dtype {arr.dtype}; clips must hold numeric samples "
            "(load files with AudioLoader or read_audio first)"
        )
    if arr.ndim != 1:
        raise ValueError(
            f"clip {index} has shape {arr.shape}; each clip must be a 1-D array of samples "
            "(mix multi-channel audio down to mono first)"
        )
    if arr.size == 0:
        raise ValueError(f"clip {index} is empty; every clip needs at least one sample")
    arr = np.ascontiguousarray(pcm_as_float(arr, f"clip {index}"), dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ValueError(f"clip {index} contains NaN or infinite samples")
    return arr


def as_clip_sequence(X):
    """Return clips as something indexable by position, and the input dtype.

    Accepted: a 2-D numeric array (one clip per row, all of one length), a
    list/tuple/object array of 1-D arrays of any lengths (validated now), or
    any other sequence with ``__len__`` and ``__getitem__`` (a lazy corpus:
    each clip is validated when it is read).

    Returns
    -------
    clips : sequence
        ``clips[i]`` is clip ``i``.
    dtype : numpy dtype
        float32 when the input is float32 throughout (an AudioSequence is), float64
        otherwise.
    """
    if X is None:
        raise ValueError("X is None; expected waveforms: a 2-D array or a list of 1-D arrays")
    if scipy.sparse.issparse(X):
        raise TypeError("Sparse input is not supported; X must hold dense waveforms")
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"X is a string ({X!r:.60}); expected waveforms. Turn file paths into waveforms "
            "with sklearn_mhr.AudioLoader"
        )
    if not isinstance(X, (list, tuple)) and hasattr(X, "__array__"):
        X = np.asarray(X)
        if X.dtype.kind == "c":
            raise ValueError("Complex data not supported; X must hold real-valued samples")
        if X.dtype != object or X.ndim != 1:
            from sklearn.utils import check_array

            if X.ndim != 2:
                raise ValueError(
                    f"Expected a 2-D array of waveforms (n_clips, n_samples) or a list of 1-D "
                    f"arrays, got an array of shape {X.shape}. Reshape your data using "
                    "X.reshape(1, -1) if it contains a single clip."
                )
            X = check_array(pcm_as_float(X, "X"), dtype=(np.float64, np.float32),
                            input_name="X")
            return X, X.dtype
    if isinstance(X, (list, tuple, np.ndarray)):
        if len(X) == 0:
            raise ValueError("X contains no clips; at least one is needed")
        clips = []
        dtype = np.dtype(np.float32)
        for i, clip in enumerate(X):
            if np.asarray(clip).dtype != np.float32:
                dtype = np.dtype(np.float64)
            clips.append(check_clip(clip, i))
        return clips, dtype
    if hasattr(X, "__len__") and hasattr(X, "__getitem__"):
        if len(X) == 0:
            raise ValueError("X contains no clips; at least one is needed")
        from sklearn_mhr.io.sequence import AudioSequence

        # an AudioSequence decodes to float32; other sequences are unknown until read
        lazy_dtype = np.float32 if isinstance(X, AudioSequence) else np.float64
        return X, np.dtype(lazy_dtype)
    raise TypeError(
        f"X must be a 2-D array of waveforms or a sequence of 1-D arrays, got {type(X).__name__}"
    )


def check_targets(y, n_clips: int, owner: str) -> np.ndarray:
    """Labels as a 1-D array of classification targets, one per clip.

    ``owner`` (the estimator's class name) is named when ``y`` is missing.
    """
    from sklearn.utils import column_or_1d
    from sklearn.utils.multiclass import check_classification_targets

    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    y = column_or_1d(y, warn=True)
    if y.dtype == object:
        kinds = sorted({type(label).__name__ for label in y})
        if len(kinds) > 1:
            raise ValueError(f"y mixes labels of types {', '.join(kinds)}; use labels of one type "
                             "(all strings, or all integers)")
    check_classification_targets(y)
    if len(y) != n_clips:
        raise ValueError(f"X has {n_clips} clips but y has {len(y)} labels; they must match")
    return y


def check_partial_fit_classes(y, classes, fitted_classes) -> np.ndarray:
    """The classes of a ``partial_fit`` call, checked against ``y`` and earlier calls.

    Parameters
    ----------
    y : ndarray of shape (n_clips,)
        Labels of this call.
    classes : array-like or None
        What the caller passed as ``classes``.
    fitted_classes : ndarray or None
        ``classes_`` of the earlier calls; None on the first call.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted and unique; ``fitted_classes`` after the first call.
    """
    from sklearn.utils import column_or_1d

    if classes is not None:
        classes = np.unique(column_or_1d(classes))
    if fitted_classes is None:
        if classes is None:
            raise ValueError(
                "classes must be given on the first call to partial_fit: every label that "
                "will ever be seen, e.g. partial_fit(X, y, classes=np.unique(y_all))")
        if len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 labels, got {classes!r}")
    elif classes is not None and not np.array_equal(classes, fitted_classes):
        raise ValueError(
            f"classes={classes.tolist()!r} differs from the classes of the earlier calls, "
            f"{fitted_classes.tolist()!r}")
    known = classes if fitted_classes is None else fitted_classes
    unknown = np.setdiff1d(y, known)
    if unknown.size:
        raise ValueError(
            f"y has labels that are not among the classes {known.tolist()!r}: "
            f"{unknown[:5].tolist()!r}")
    return known
