"""benchmarks.profile_step: a step's stages timed as a default fit runs them, both models."""

from benchmarks import profile_step


def test_each_model_gets_the_stages_it_has():
    defaults = profile_step.profile(8000, 0.25, "light", repeats=1, params={})
    mel = profile_step.profile(8000, 0.25, "light", repeats=1,
                               params=dict(profile_step.MODELS)["mel baseline"])
    assert set(defaults) == set(mel) == set(profile_step.STAGES) | {"whole step"}
    assert all(v is not None and v >= 0 for v in defaults.values())
    assert mel["heads"] is None  # the mel baseline has no heads
    assert mel["recording chain"] is not None  # both draw chains by default
    assert defaults["whole step"] > 0 and mel["whole step"] > 0


def test_without_chains_there_is_no_chain_stage():
    r = profile_step.profile(8000, 0.25, "light", repeats=1, params={"device_augment": 0})
    assert r["recording chain"] is None and r["front end"] > 0
