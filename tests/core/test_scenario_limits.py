"""Issue 12: hostile scenario files end in one ScenarioError line, fast, whatever their shape."""

from __future__ import annotations

import os
import time

import pytest

from gmpviz.cli import main
from gmpviz.core.workload import loader as L
from gmpviz.core.workload.loader import ScenarioError, load_scenario, loads_scenario

OK = '[programs.main]\nops = ["gosched"]\n'


def _refused(text: str, match: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match=match) as e:
        loads_scenario(text, filename="x.toml")
    assert "\n" not in str(e.value)
    assert time.perf_counter() - t0 < 5


def _nested_repeat(depth: int) -> str:
    op = '{ compute = "1ms" }'
    for _ in range(depth):
        op = f"{{ repeat = 2, body = [{op}] }}"
    return f"[programs.main]\nops = [{op}]\n"


def test_numbers_of_more_than_4300_digits():
    _refused(f"seed = {'9' * 5000}\n" + OK, "4,300 digits")


@pytest.mark.parametrize(
    "text",
    [
        _nested_repeat(200),
        "x = " + "[" * 200 + "]" * 200 + "\n" + OK,
        "x = " + "{ a = " * 200 + "1" + " }" * 200 + "\n" + OK,
    ],
    ids=["repeat", "arrays", "inline-tables"],
)
def test_nesting_200_deep(text):
    _refused(text, "nested more than 64 deep")


def test_brackets_inside_strings_and_comments_do_not_count():
    text = 'name = "' + "[" * 300 + '"\n# ' + "{" * 300 + "\n" + 'summary = """' + "[" * 300 + '"""\n' + OK
    assert loads_scenario(text).name == "[" * 300


def test_a_nested_repeat_within_the_limit_loads():
    assert loads_scenario(_nested_repeat(20)).programs[0].ops


def test_many_dotted_keys():
    _refused("\n".join(f"channels.c{i} = 1" for i in range(100_000)) + "\n" + OK, "limit")  # 1.7 MB
    _refused("\n".join(f"x.c{i}=1" for i in range(20_000)) + "\n" + OK, "keys in one table")


def test_many_programs():
    many = lambda n: "".join(f'[programs.p{i}]\nops = ["gosched"]\n' for i in range(n)) + OK  # noqa: E731
    _refused(many(40_000), "limit")  # 1.3 MB
    _refused(many(2_000), "2,001 programs")


def test_many_ops():
    body = "ops = [" + ",".join(['"gc"'] * 10_000) + "]\n"
    text = "".join(f"[programs.p{i}]\n{body}" for i in range(11)) + OK
    _refused(text, "more than 100,000 ops")


def test_file_size_is_checked_before_reading(tmp_path):
    p = tmp_path / "huge.toml"
    with open(p, "wb") as f:  # sparse: 100 GB of nothing on disk
        f.truncate(100 * 10**9)
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="limit"):
        load_scenario(str(p))
    assert time.perf_counter() - t0 < 2


def test_a_fifo_is_refused(tmp_path):
    p = tmp_path / "pipe.toml"
    os.mkfifo(p)
    with pytest.raises(ScenarioError, match="regular file"):
        load_scenario(str(p))


def test_cli_prints_one_line(tmp_path, capsys):
    p = tmp_path / "deep.toml"
    p.write_text(_nested_repeat(200))
    assert main(["run", str(p), "--headless"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nested more than" in err


def test_the_limits_are_documented():
    doc = (L.Path(__file__).resolve().parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    for value in (
        L.MAX_FILE_BYTES,
        L.MAX_NESTING,
        L.MAX_PROGRAMS,
        L.MAX_CHANNELS,
        L.MAX_OPS,
        L.MAX_TABLE_KEYS,
    ):
        assert f"{value:,}" in doc or f"{value}" in doc, value
