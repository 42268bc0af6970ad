"""scikit-learn's own estimator checks: the default legacy=True suite, no tag switched off."""

import re

import pytest
from sklearn.utils.estimator_checks import (
    check_classifiers_train,
    check_estimators_partial_fit_n_features,
    check_transformer_general,
    parametrize_with_checks,
)

from sklearn_mhr import MHRAudioClassifier

# Small and fast; every other parameter keeps its default.
FAST = dict(n_filters=8, n_heads=2, context=2, head_hidden=8, back_end_width=4,
            window_duration=0.004, hop_duration=0.002, kernel_duration=0.001,
            max_epochs=2, batch_size=16, random_state=0)

ESTIMATORS = [
    MHRAudioClassifier(**FAST),
    MHRAudioClassifier(**{**FAST, "front_end": "mel", "n_heads": 0}),  # the paper's baseline
]

_ANY_LENGTH = (
    "clips of any length are valid at predict (docs/estimator.md, section Input), so a 2-D "
    "array with a different number of samples than in fit is not an error"
)
_BATCHED = (
    "inference batches clips of one length (2.6 times as fast on a CPU for 1 s clips, "
    "benchmarks/inference_batching.py); BLAS picks kernels by matrix size, so a clip's outputs in "
    "another batch differ in the last bits of float32 (about 1e-7 relative), which this "
    "check's 1e-7 tolerance refuses; test_estimator asserts agreement to 1e-5"
)
_REORDERED = (
    "a permutation of the clips puts each at another row of its batch, and on some CPUs "
    "BLAS rounds a row's float32 outputs by its position (seen: 4 of 320 transform values "
    "off by 1.3e-7 relative), which this check's 1e-7 tolerance refuses; "
    "test_estimator asserts order invariance to 1e-5"
)
# Every expected failure, with its reason: four are one contract (clips of any length),
# two are float32 rounding that depends on a clip's batch or its row in it (either may pass
# on a given CPU).
EXPECTED_FAILED_CHECKS = {
    "check_methods_subset_invariance": _BATCHED,
    "check_methods_sample_order_invariance": _REORDERED,
    "check_n_features_in_after_fitting": _ANY_LENGTH,
    # its last step calls predict(X.T) and expects a ValueError;
    # test_classifiers_train_fails_only_on_feature_count proves every earlier step passes
    "check_classifiers_train": _ANY_LENGTH,
    # its last step calls transform(X[:, :-1]) and expects a ValueError;
    # test_transformer_general_fails_only_on_feature_count proves every earlier step passes
    "check_transformer_general": _ANY_LENGTH,
    # the same contract for partial_fit: a later call may bring clips of another length;
    # test_partial_fit_n_features_fails_only_on_feature_count shows the first call passes
    "check_estimators_partial_fit_n_features": _ANY_LENGTH,
}

# Checks the suite yields per estimator (pandas-only checks included, skipped when
# pandas is absent). A change that silently drops checks fails the count below.
N_CHECKS_PER_ESTIMATOR = 61


def expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


CHECKS = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)


@CHECKS
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_number_of_checks_that_run():
    assert len(CHECKS.args[1]) == N_CHECKS_PER_ESTIMATOR * len(ESTIMATORS)


def test_classifiers_train_fails_only_on_feature_count():
    with pytest.raises(AssertionError, match=re.escape(
            "does not raise an error when the number of features in predict is different")):
        check_classifiers_train("MHRAudioClassifier", MHRAudioClassifier(**FAST))


def test_transformer_general_fails_only_on_feature_count():
    with pytest.raises(AssertionError, match=re.escape(
            "does not raise an error when the number of features in transform is different")):
        check_transformer_general("MHRAudioClassifier", MHRAudioClassifier(**FAST))


def test_partial_fit_n_features_fails_only_on_feature_count():
    with pytest.raises(AssertionError, match=re.escape(
            "does not raise an error when the number of features changes between calls")):
        check_estimators_partial_fit_n_features("MHRAudioClassifier", MHRAudioClassifier(**FAST))
