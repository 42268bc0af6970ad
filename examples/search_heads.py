"""Choose the number of relevance heads by cross-validation, as for any scikit-learn estimator.

Run: ``python examples/search_heads.py`` (a few minutes on two CPU cores).
"""

from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_mhr import MHRAudioClassifier
from sklearn_mhr.datasets import make_sound_scenes


def main(n_clips=240, n_classes=4, max_epochs=8, sample_rate=16000, n_heads=(0, 1, 2, 4)):
    """Print the cross-validated accuracy for each head count; return the fitted search."""
    X, y = make_sound_scenes(n_clips, n_classes=n_classes, sample_rate=sample_rate, random_state=0)
    search = GridSearchCV(
        # one torch thread per fit, so that n_jobs=2 fits use the two cores without contention
        MHRAudioClassifier(sample_rate=sample_rate, max_epochs=max_epochs, n_threads=1,
                           random_state=0),
        {"n_heads": list(n_heads)},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=2,
    ).fit(X, y)
    for heads, mean, std in zip(search.cv_results_["param_n_heads"],
                                search.cv_results_["mean_test_score"],
                                search.cv_results_["std_test_score"]):
        print(f"n_heads={heads}: accuracy {mean:.3f} +- {std:.3f}")
    print("best:", search.best_params_)
    return search


if __name__ == "__main__":
    main()
