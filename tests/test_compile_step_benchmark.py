"""benchmarks.compile_step: eager and compiled steps timed on the same network and batch."""

import torch

from benchmarks import compile_step


def test_the_compiled_copy_is_timed_beside_the_eager_network(monkeypatch):
    compiled = []

    def record(module):  # stands in for torch.compile, which would take a minute here
        compiled.append(type(module).__name__)
        return module

    monkeypatch.setattr(torch, "compile", record)
    result = compile_step.time_setting(8000, 0.25, repeats=2, whole=False)
    assert compiled == ["LightCNN"]
    assert set(result) == {"compile", "eager", "compiled"}
    assert all(0 < seconds < 60 for seconds in result.values())
    compile_step.time_setting(8000, 0.25, repeats=1, whole=True)
    assert compiled[-1] == "MHRNet"


def test_the_table_gives_the_ratio_and_the_compile_time():
    results = {"words (1 s, 16 kHz)": {"eager": 0.040, "compiled": 0.020, "compile": 12.5}}
    text = compile_step.table(results, 2, False, ["--only", "words"])
    assert text.startswith(compile_step.HEADING)
    assert "`python -m benchmarks.compile_step --only words`" in text
    assert "| words (1 s, 16 kHz) | 40 ms | 20 ms | 2.00x | 12.5 s |" in text
    assert "the back end compiled" in text
    assert "the whole network compiled" in compile_step.table(results, 2, True, [])
