"""make_storage: journal files, database URLs, and files that are neither."""

from __future__ import annotations

import optuna
import pytest

from sklearn_mhr.search import make_storage


def _study_with_trials(path, n=2):
    study = optuna.create_study(storage=make_storage(path), study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)


@pytest.fixture(autouse=True)
def quiet_optuna():
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    yield
    optuna.logging.set_verbosity(verbosity)


@pytest.mark.parametrize("content", [b"my notes\nmore notes\n", bytes(range(256)),
                                     b'{"not": "a journal record"}\n'])
def test_a_file_that_is_no_journal_is_refused_untouched(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"notes\.txt' exists and is not an Optuna journal"):
        make_storage(path)
    assert path.read_bytes() == content


def test_an_empty_file_is_a_new_journal(tmp_path):
    path = tmp_path / "study.journal"
    path.touch()
    _study_with_trials(path)
    assert len(optuna.load_study(study_name="s", storage=make_storage(path)).trials) == 2


def test_a_record_torn_by_a_killed_worker_is_removed_and_the_study_goes_on(tmp_path):
    path = tmp_path / "study.journal"
    _study_with_trials(path)
    whole = path.read_bytes()
    path.write_bytes(whole + whole.splitlines(keepends=True)[-1][:25])  # cut mid-record
    with pytest.warns(UserWarning, match=r"ended with an incomplete record \(25 bytes"):
        storage = make_storage(path)
    assert path.read_bytes() == whole
    study = optuna.load_study(study_name="s", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # appends again
    assert len(optuna.load_study(study_name="s", storage=make_storage(path)).trials) == 3


@pytest.mark.parametrize("url, message", [
    ("foo://bar", r"storage='foo://bar' cannot be used \(NoSuchModuleError: Can't load plugin"),
    ("sqlite:////no/such/folder/x.db", r"storage='sqlite:////no/such/folder/x.db' cannot be "
                                       r"used \(OperationalError"),
])
def test_database_urls_that_cannot_be_used(url, message):
    with pytest.raises(ValueError, match=message):
        make_storage(url)
