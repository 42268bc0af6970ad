"""benchmarks/compare.py runs end to end and reports what it measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compare.py"


def test_compare_quick_run_writes_table_and_json(tmp_path):
    out = tmp_path / "results.json"
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n## Other section\n\nkept\n")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--seeds", "1", "--json", str(out),
         "--docs-path", str(docs)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    variants = [row["variant"] for row in result["rows"]]
    assert variants == ["mel", "filters", "1 head", "2 heads", "4 heads",
                        "2 heads, fft path", "2 heads, time path"]
    for row in result["rows"]:
        assert 0.0 <= row["accuracy"] <= 1.0
        assert row["epoch_seconds"] > 0 and row["inference_clips_per_second"] > 0
        assert row["peak_rss_mib"] > 50
    runs = {r["variant"]: r for r in result["runs"]}
    assert runs["mel"]["params"]["front_end"] == "mel" and runs["mel"]["params"]["n_heads"] == 0
    assert runs["4 heads"]["params"]["n_heads"] == 4
    assert runs["2 heads, time path"]["params"]["front_end_path"] == "time"
    text = docs.read_text()
    assert "## Ablation on generated data" in text and "| 2 heads, time path |" in text
    assert "## Other section\n\nkept" in text
