"""MHRAudioClassifier: the sklearn contract, ragged input, reproducibility, persistence, errors."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from tasks import tone_task

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.nn import MHRNet
from sklearn_mhr.nn.network import resolve_front_end_path

SMALL = dict(sample_rate=8000, n_filters=16, context=3, head_hidden=8, back_end_width=8,
             max_epochs=6, batch_size=16, lr=3e-3, random_state=0)


@pytest.fixture(scope="module")
def data():
    return tone_task(60, seed=0)


@pytest.fixture(scope="module")
def fitted(data):
    return MHRAudioClassifier(**SMALL).fit(*data)


def test_held_out_accuracy(fitted):
    X_test, y_test = tone_task(60, seed=1)
    assert fitted.score(X_test, y_test) >= 0.9


def test_labels_and_probabilities(fitted, data):
    X, _ = data
    assert list(fitted.classes_) == ["high", "low", "mid"]
    proba = fitted.predict_proba(X)
    assert proba.dtype == np.float64 and proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(fitted.predict(X)) <= set(fitted.classes_)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[proba.argmax(1)])


def test_fitted_attributes(fitted):
    assert fitted.n_features_in_ == 2000
    assert (fitted.win_length_, fitted.hop_length_, fitted.kernel_size_) == (371, 186, 129)
    assert fitted.head_bands_ == [(0, 8), (8, 16)]
    assert fitted.centre_frequencies_.shape == fitted.initial_centre_frequencies_.shape == (16,)
    assert not np.allclose(fitted.centre_frequencies_, fitted.initial_centre_frequencies_)
    freqs, mag = fitted.frequency_response(n_fft=512)
    assert freqs.shape == (257,) and mag.shape == (16, 257) and freqs[-1] == 4000


@pytest.mark.parametrize("gain", [0.01, 20.0])
def test_default_model_ignores_the_clip_gain(fitted, data, gain):
    X = data[0][:6].astype(np.float64)
    np.testing.assert_allclose(fitted.predict_proba(gain * X), fitted.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(fitted.transform(gain * X), fitted.transform(X),
                               rtol=1e-4, atol=1e-5)


def test_ragged_input_clip_alone_equals_clip_in_batch(fitted):
    # equal lengths share a batch (2000 twice, 777 three times); none is padded
    clips, _ = tone_task(9, lengths=[2000, 777, 3001, 100, 2000, 5000, 1, 777, 777])
    batch = fitted.predict_proba(clips)
    features = fitted.transform(clips)
    for i, clip in enumerate(clips):
        np.testing.assert_allclose(fitted.predict_proba([clip])[0], batch[i], rtol=0, atol=1e-5)
        np.testing.assert_allclose(fitted.transform([clip])[0], features[i], rtol=1e-5,
                                   atol=1e-5)
    assert features.shape == (9, 32)


def test_permuted_clips_give_permuted_outputs(fitted, data):
    X = data[0][:40]
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(fitted.predict_proba(X[order]), fitted.predict_proba(X)[order],
                               rtol=0, atol=1e-5)
    np.testing.assert_allclose(fitted.transform(X[order]), fitted.transform(X)[order],
                               rtol=1e-5, atol=1e-5)


def test_any_batch_size_gives_the_same_probabilities(fitted, data):
    X = data[0][:40]
    reference = fitted.predict_proba(X)
    for batch_size in (1, 3, 7, 64):
        other = clone(fitted).set_params(batch_size=batch_size)
        vars(other).update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
        np.testing.assert_allclose(other.predict_proba(X), reference, rtol=0, atol=1e-5)
    assert np.isfinite(reference).all()


def test_cpu_batches_are_capped_in_samples():
    from sklearn_mhr._skorch.clips import CPU_BATCH_SAMPLES, inference_batches

    short = [np.zeros(1000, np.float32)] * 40
    long = [np.zeros(CPU_BATCH_SAMPLES // 2 + 1, np.float32)] * 3
    sizes = [len(p) for p, _ in inference_batches(short + long, 32,
                                                  max_samples=CPU_BATCH_SAMPLES)]
    assert sizes == [32, 8, 1, 1, 1]  # the long clips go alone


def test_fit_on_ragged_clips_of_any_length():
    clips, y = tone_task(30, lengths=[2000, 1500, 300, 2600])
    clf = MHRAudioClassifier(**{**SMALL, "max_epochs": 2}).fit(clips, y)
    assert not hasattr(clf, "n_features_in_")
    assert clf.predict(clips[:3]).shape == (3,)


def test_transform_is_pooled_relevance_map(fitted, data):
    X, _ = data
    features = fitted.transform(X[:4])
    maps, weights = fitted.relevance_maps(X[:4])
    assert features.dtype == np.float32  # float32 in, float32 out
    assert fitted.transform(X[:4].astype(np.float64)).dtype == np.float64
    np.testing.assert_allclose(features[:, :16], np.stack([m.mean(1) for m in maps]), rtol=1e-5)
    np.testing.assert_allclose(features[:, 16:], np.stack([m.std(1) for m in maps]),
                               rtol=1e-4, atol=1e-6)
    assert len(weights) == 4 and weights[0].shape == maps[0].shape == (16, 9)
    assert np.all((weights[0] > 0) & (weights[0] < 1))


def test_same_random_state_same_model_and_global_rng_untouched(data):
    X, y = data
    state = torch.get_rng_state()
    a = MHRAudioClassifier(**{**SMALL, "max_epochs": 2}).fit(X, y).predict_proba(X)
    assert torch.equal(state, torch.get_rng_state())
    b = MHRAudioClassifier(**{**SMALL, "max_epochs": 2}).fit(X, y).predict_proba(X)
    c = (MHRAudioClassifier(**{**SMALL, "max_epochs": 2, "random_state": 1})
         .fit(X, y).predict_proba(X))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_pickle_and_joblib_round_trips(fitted, data, tmp_path):
    X, _ = data
    expected = fitted.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict_proba(X), expected)
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(X), expected)


def test_clone_is_unfitted_with_same_params(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "net_") and not hasattr(copy, "classes_")


def test_grid_search_over_heads(data):
    X, y = data
    search = GridSearchCV(MHRAudioClassifier(**{**SMALL, "max_epochs": 2}),
                          {"n_heads": [0, 1, 2]}, cv=3)
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert len(scores) == 3
    assert search.best_params_ == search.cv_results_["params"][int(np.argmax(scores))]
    # the refitted model is a fresh fit with the best head count on every clip
    fresh = MHRAudioClassifier(**{**SMALL, "max_epochs": 2, **search.best_params_}).fit(X, y)
    np.testing.assert_array_equal(search.best_estimator_.predict_proba(X), fresh.predict_proba(X))


def test_pipeline_transform_then_logistic_regression(data):
    X, y = data
    pipe = make_pipeline(MHRAudioClassifier(**{**SMALL, "max_epochs": 3}),
                         LogisticRegression(max_iter=500))
    pipe.fit(X, y)
    X_test, y_test = tone_task(30, seed=2)
    assert pipe.score(X_test, y_test) >= 0.8


def test_cross_val_score(data):
    X, y = data
    template = MHRAudioClassifier(**{**SMALL, "max_epochs": 2})
    cv = StratifiedKFold(3)
    scores = cross_val_score(template, X, y, cv=cv)
    # each score is that of an independent fit of a clone on the fold's training clips
    by_hand = [clone(template).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in cv.split(X, y)]
    np.testing.assert_array_equal(scores, by_hand)
    assert not hasattr(template, "net_")


@pytest.mark.parametrize("params", [
    dict(front_end="mel", n_heads=0),
    dict(front_end_path="time"),
    dict(front_end_path="fft", filter_width="mel"),
    dict(back_end="fcnn"),
    dict(back_end="cnn_lstm"),
    dict(head_activation="softmax", n_heads=3),
    dict(filter_init="random", learn_bandwidth=True),
    dict(filter_width="mel", kernel_duration=0.02),
    dict(compression="log"),
    dict(compression="pcen", front_end="mel", n_heads=1),
    dict(relevance_scaling="band"),
])
def test_every_variant_fits_and_predicts(data, params):
    X, y = data
    clf = MHRAudioClassifier(**{**SMALL, "max_epochs": 1, **params}).fit(X[:24], y[:24])
    assert clf.predict_proba(X[:5]).shape == (5, 3)
    assert clf.transform(X[:2]).shape == (2, 32)


def test_warm_start_continues_training(data):
    X, y = data
    clf = MHRAudioClassifier(**{**SMALL, "max_epochs": 2, "warm_start": True}).fit(X, y)
    net = clf.net_
    clf.fit(X, y)
    assert clf.net_ is net and len(clf.net_.history) == 4
    clf.set_params(n_filters=8).fit(X, y)  # a new architecture starts afresh
    assert clf.net_ is not net and len(clf.net_.history) == 2


def test_validation_fraction_stops_early_and_keeps_best(data):
    X, y = data
    clf = MHRAudioClassifier(**{**SMALL, "max_epochs": 40, "validation_fraction": 0.25,
                                "patience": 2, "lr": 0.05}).fit(X, y)
    history = clf.net_.history
    assert "valid_loss" in history[-1]
    assert len(history) < 40
    n_valid = sum(b["valid_batch_size"] for b in history[0]["batches"] if "valid_batch_size" in b)
    assert n_valid == 15


def test_thread_count_used_in_fit_and_restored(data, monkeypatch):
    from sklearn_mhr.nn import MHRNet

    seen = []
    original = MHRNet.forward
    monkeypatch.setattr(MHRNet, "forward",
                        lambda self, *a, **k: (seen.append(torch.get_num_threads()),
                                               original(self, *a, **k))[1])
    before = torch.get_num_threads()
    X, y = data
    MHRAudioClassifier(**{**SMALL, "max_epochs": 1, "n_threads": 1}).fit(X[:12], y[:12])
    assert set(seen) == {1}
    assert torch.get_num_threads() == before


def test_verbose_prints_epoch_table(data, capsys):
    X, y = data
    MHRAudioClassifier(**{**SMALL, "max_epochs": 2, "verbose": 1}).fit(X[:12], y[:12])
    out = capsys.readouterr().out
    assert "epoch" in out and "train_loss" in out


def test_invalid_parameters_are_all_reported_at_once(data):
    X, y = data
    clf = MHRAudioClassifier(n_filters=0, back_end="resnet", lr=-1, dropout=1.5)
    with pytest.raises(ValueError) as info:
        clf.fit(X, y)
    message = str(info.value)
    for text in ("n_filters must be a positive integer, got 0",
                 "back_end must be one of ['light', 'fcnn', 'cnn_lstm'], got 'resnet'",
                 "lr must be a positive number, got -1", "dropout must be in [0, 1), got 1.5"):
        assert text in message


@pytest.mark.parametrize("params, match", [
    (dict(n_heads=20, n_filters=8), "n_heads must not exceed n_filters"),
    (dict(kernel_duration=0.05),
     r"kernel_duration=0.05 s \(801 taps\) must be shorter than window_duration"),
    (dict(front_end="mel", front_end_path="time"), "applies to front_end='cosgauss' only"),
    (dict(front_end="mel", front_end_path="analytic"),
     "front_end_path='analytic' applies to front_end='cosgauss' only"),
    (dict(validation_fraction=1.0), "validation_fraction must be None or a number in"),
    (dict(relevance_scaling="max"), r"relevance_scaling must be one of \['none', 'band'\]"),
    (dict(compression="db"), r"compression must be one of \['relative', 'log', 'pcen'\], got 'db'"),
    (dict(top_db=0), "top_db must be a positive number, got 0"),
    (dict(filter_lr_factor=-0.1), "filter_lr_factor must be a positive number, got -0.1"),
    (dict(lr_schedule="step"),
     r"lr_schedule must be one of \['constant', 'cosine', 'warm_restarts'\]"),
])
def test_invalid_parameter_combinations(data, params, match):
    with pytest.raises(ValueError, match=match):
        MHRAudioClassifier(**params).fit(*data)


def test_cuda_requested_without_cuda(data):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        MHRAudioClassifier(**{**SMALL, "device": "cuda"}).fit(*data)


@pytest.mark.parametrize("X, error, match", [
    (np.zeros((2, 3, 4)), ValueError, r"Expected a 2-D array of waveforms .* shape \(2, 3, 4\)"),
    ([np.zeros(10), np.array([1.0, np.nan])], ValueError,
     "clip 1 contains NaN or infinite samples"),
    ([np.zeros(10), np.zeros(0)], ValueError, "clip 1 is empty"),
    ([np.zeros(10), np.zeros((2, 5))], ValueError, r"clip 1 has shape \(2, 5\).*mix multi-channel"),
    (["a.wav", "b.wav"], TypeError, "clip 0 has dtype <U5.*AudioLoader"),
    ("a.wav", TypeError, "AudioLoader"),
    ([], ValueError, "X contains no clips"),
])
def test_bad_waveforms_are_named(X, error, match):
    with pytest.raises(error, match=match):
        MHRAudioClassifier(**SMALL).fit(X, ["a", "b"][: len(X)] if not isinstance(X, str) else None)


def test_bad_labels(data):
    X, _ = data
    with pytest.raises(ValueError, match="X has 60 clips but y has 3 labels"):
        MHRAudioClassifier(**SMALL).fit(X, ["a", "b", "c"])
    with pytest.raises(ValueError, match="needs at least 2 classes in y; got 1 class"):
        MHRAudioClassifier(**SMALL).fit(X, ["a"] * 60)
    with pytest.raises(ValueError, match="Unknown label type"):
        MHRAudioClassifier(**SMALL).fit(X, np.linspace(0, 1, 60))


def test_unfitted_errors():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MHRAudioClassifier().predict(np.zeros((1, 100)))


def test_extra_callbacks_run_and_are_checked(data):
    from skorch.callbacks import Callback

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = CountEpochs()
    X, y = data
    MHRAudioClassifier(**{**SMALL, "max_epochs": 2}, callbacks=[("count", counter)]).fit(X, y)
    assert counter.epochs == 2
    for bad, match in [("print", r"callbacks must be None or a list"),
                       ([object()], r"callbacks\[0\] must be a skorch Callback"),
                       ([("early_stopping", CountEpochs())], "a name the estimator uses")]:
        with pytest.raises(ValueError, match=match):
            MHRAudioClassifier(**SMALL, callbacks=bad).fit(X, y)


@pytest.mark.parametrize("front_end, path, expected", [
    ("cosgauss", "auto", "analytic"), ("mel", "auto", "fft"),
    ("cosgauss", "fft", "fft"), ("cosgauss", "analytic", "analytic"), ("cosgauss", "time", "time"),
])
def test_auto_front_end_path_is_analytic_for_the_learnable_filters_only(front_end, path,
                                                                         expected):
    assert resolve_front_end_path(path, front_end) == expected
    net = MHRNet(3, 8000, 64, 32, 33, front_end=front_end, n_filters=8, front_end_path=path,
                 device_augment=0)
    if front_end == "cosgauss":
        assert net.front_end.path == expected
        # the analytic path's DFT is the window's; the fft path's holds a full convolution
        assert net.front_end.n_fft == (64 if expected == "analytic" else 96)
    else:
        assert net.front_end.n_fft == 64  # the mel front end's one path: the window's DFT


def test_default_fit_uses_the_analytic_path_and_the_mel_front_end_its_own(data):
    X, y = data
    params = {**SMALL, "max_epochs": 1}
    assert MHRAudioClassifier().front_end_path == "auto"
    fitted = MHRAudioClassifier(**params).fit(X[:24], y[:24])
    assert fitted.net_.module_.front_end.path == "analytic"
    explicit = MHRAudioClassifier(**params, front_end_path="analytic").fit(X[:24], y[:24])
    np.testing.assert_array_equal(fitted.predict_proba(X[:5]), explicit.predict_proba(X[:5]))
    mel = MHRAudioClassifier(**params, front_end="mel", n_heads=0).fit(X[:24], y[:24])
    assert mel.predict_proba(X[:5]).shape == (5, 3)
