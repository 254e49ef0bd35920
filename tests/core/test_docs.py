"""Docs that are generated from the code stay current."""

from pathlib import Path

from gmpviz.core.runtime_map import render

ROOT = Path(__file__).resolve().parents[2]


def test_runtime_map_is_current():
    doc = (ROOT / "docs" / "runtime-map.md").read_text(encoding="utf-8")
    assert doc == render(), "run: python -m gmpviz.core.runtime_map > docs/runtime-map.md"


def test_runtime_map_covers_the_scheduler_and_gc():
    doc = render()
    for name in (
        "runqput",
        "runqputslow",
        "findRunnable",
        "stealWork",
        "handoffp",
        "retake",
        "wakep",
        "startm",
        "stopm",
        "exitsyscall",
        "gcStart",
        "gcMarkDone",
        "procresize",
        "chansend",
    ):
        assert f"`{name}`" in doc, name
