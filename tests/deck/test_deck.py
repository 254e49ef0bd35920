"""Decks: the format's validation (hostile input: one line, exit 2), pause points found by numpy
masks over a recording, and deterministic building."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from gmpviz.cli import main
from gmpviz.core.trace.events import EV
from gmpviz.deck import DRAWN_VIEWS, DeckError, load_deck, loads_deck
from gmpviz.deck.build import build_deck, build_scene, recording_path
from gmpviz.deck.predicates import find_pause, pause_points
from gmpviz.record.bookmarks import Bookmark
from gmpviz.record.reader import RecordingReader

SMALL = """
title = "t"
[[scene]]
title = "spill"
scenario = "work-stealing"
seed = 1
duration = "5ms"
to = "3ms"
views = ["timeline", "runq"]
caption = "the ring spills"
pause = [ { event = "RunqSpill", p = 0 }, { event = "ProcSteal", victim = 0 }, { goroutines_above = 100 },
          { at = "1ms" }, { bookmark = "here" } ]
"""


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp_path / "cache"))


def test_the_tour_loads_with_16_scenes_in_the_issue_order():
    deck = load_deck("tour")
    assert len(deck.scenes) == 16
    titles = [s.title.lower() for s in deck.scenes]
    for i, word in enumerate(
        ("runnext", "spill", "61", "global queue", "syscall", "preempt", "gomaxprocs", "size classes",
         "mcache", "pacer", "green tea", "leak", "pile-up", "defer", "oom", "gomemlimit")
    ):  # fmt: skip
        assert word in titles[i], (i, titles[i])
    for s in deck.scenes:
        assert s.caption and len(s.caption) < 400, s.title
        assert s.pauses, s.title


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least one [[scene]]"),
        ("x = 1\n[[scene]]\ntitle='a'\nscenario='default'", 'unknown key "x"'),
        ("[[scene]]\nscenario='default'", "needs a title"),
        ("[[scene]]\ntitle='a'", "either a scenario or a recording"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nrecording='x'", "either a scenario or a recording"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nviews=['timelin']", 'did you mean "timeline"'),
        ("[[scene]]\ntitle='a'\nscenario='default'\npause=[{event='ProcStel'}]", 'did you mean "ProcSteal"'),
        (
            "[[scene]]\ntitle='a'\nscenario='default'\npause=[{event='ProcSteal', thief=1}]",
            'unknown key "thief"',
        ),
        ("[[scene]]\ntitle='a'\nscenario='default'\npause=[{at='1ms', event='GoEnd'}]", "names one of"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nspeed='1h/s'", "per second"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nfrom='2ms'\nto='1ms'", "after"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nnotice=['the moon']", "not something the stage draws"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nprocs=0", "outside 1.."),
        ("[[scene]]\ntitle='a'\nrecording='x.gmprec'\nseed=1", "a recording scene has none"),
        ("[[scene]]\ntitle='a'\nscenario='default'\ncaption='" + "x" * 5000 + "'", "limit"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nzoom=['1ms']", "zoom"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nhighlight={g=-1}", "outside"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nhighlight={g=''}", "or a group name"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nviews=['heap']\nhighlight={g='x'}", "timeline or glanes"),
        ("[[scene]\n", "not valid TOML"),
        ("[[scene]]\ntitle='a'\nscenario='default'\ncompare={}", "must differ"),
        ("[[scene]]\ntitle='a'\nscenario='default'\ncompare={polcy='go'}", 'did you mean "policy"'),
        ("[[scene]]\ntitle='a'\nscenario='default'\ncompare={policy='x'}", "expected one of"),
        ("[[scene]]\ntitle='a'\nscenario='default'\ncompare={recording='b.gmprec'}", "side B is a run"),
        ("[[scene]]\ntitle='a'\nrecording='a.gmprec'\ncompare={policy='go'}", "side B is a recording"),
        ("[[scene]]\ntitle='a'\nscenario='default'\ncompare='go'", "expected a table"),
        ("[[scene]]\ntitle='a'\nscenario='default'\ncompare={b='" + "x" * 500 + "', seed=2}", "limit"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nviews=['heap']\nhighlight={size_class=2}", "spans view"),
        ("[[scene]]\ntitle='a'\nscenario='default'\nviews=['heap']\nhighlight={stw=true}", "timeline view"),
    ],
)
def test_bad_decks_say_what_and_where_in_one_line(text, message):
    with pytest.raises(DeckError) as e:
        loads_deck(text, "d.toml")
    assert message in str(e.value)
    assert str(e.value).startswith("d.toml: ")
    assert "\n" not in str(e.value)


def test_limits(tmp_path):
    many = "".join(f"[[scene]]\ntitle='s{i}'\nscenario='default'\n" for i in range(101))
    with pytest.raises(DeckError, match="101 scenes"):
        loads_deck(many)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (2 << 20))
    with pytest.raises(DeckError, match="limit"):
        load_deck(big)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DeckError, match="UTF-8"):
        load_deck(binary)


def test_cli_refuses_a_bad_deck_with_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[scene]]\ntitle='a'\nscenario='nope'\n")
    assert main(["deck", "build", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmpviz: ") and "nope" in err
    assert main(["present", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.fixture
def small(tmp_path):
    deck = loads_deck(SMALL, "small.toml", str(tmp_path))
    path, built = build_scene(deck.scenes[0])
    assert built
    return deck, RecordingReader.open(str(path))


def _all(reader):
    return reader.events()


def test_pause_points_match_a_python_scan(small):
    deck, r = small
    ev = _all(r)
    scene = deck.scenes[0]
    stops, missing = pause_points(r, scene, [Bookmark("here", 2_000_000, r.index_at(2_000_000))])
    assert not missing
    by = {s.pause.kind + s.pause.text: s for s in stops}
    assert [s.t_ns for s in stops] == sorted(s.t_ns for s in stops)
    spill = next(s for k, s in by.items() if "RunqSpill" in k)
    i = next(i for i, e in enumerate(ev) if e["kind"] == EV.RunqSpill and e["p"] == 0)
    assert spill.index == i + 1 and spill.t_ns == ev["t_ns"][i]
    steal = next(s for k, s in by.items() if "ProcSteal" in k)
    i = next(i for i, e in enumerate(ev) if e["kind"] == EV.ProcSteal and e["a0"] == 0)
    assert steal.index == i + 1
    alive, want = 0, None
    for i, e in enumerate(ev):
        alive += int(e["kind"] == EV.GoCreate) - int(e["kind"] == EV.GoEnd)
        if alive > 100:
            want = i + 1
            break
    assert next(s for s in stops if s.pause.kind == "goroutines").index == want
    assert next(s for s in stops if s.pause.kind == "bookmark").t_ns == 2_000_000


def test_nth_and_missing_pause_points(small):
    deck, r = small
    d2 = loads_deck(
        SMALL.replace('{ event = "RunqSpill", p = 0 }', '{ event = "RunqSpill", p = 0, nth = 99 }')
    )
    stops, missing = pause_points(r, d2.scenes[0], [])
    assert {m.kind for m in missing} == {"event", "bookmark"}
    ev = _all(r)
    n = int(np.count_nonzero(ev["kind"] == EV.GoCreate))
    from dataclasses import replace

    p = replace(d2.scenes[0].pauses[0], event=int(EV.GoCreate), match=(), nth=n)
    assert find_pause(r, p).index == int(np.flatnonzero(ev["kind"] == EV.GoCreate)[-1]) + 1
    assert find_pause(r, replace(p, nth=n + 1)) is None


def test_build_is_deterministic_and_cached(tmp_path):
    deck = loads_deck(SMALL, "small.toml", str(tmp_path))
    a = build_deck(deck, tmp_path / "a")
    b = build_deck(deck, tmp_path / "b")
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert [digest(p) for p in a] == [digest(p) for p in b]
    assert a[0].name == b[0].name  # named by what it depends on
    mtime = a[0].stat().st_mtime_ns
    assert build_scene(deck.scenes[0], tmp_path / "a") == (a[0], False)
    assert a[0].stat().st_mtime_ns == mtime
    other = loads_deck(SMALL.replace("seed = 1", "seed = 2"))
    assert recording_path(other.scenes[0], tmp_path / "a") != a[0]


def test_every_notice_names_a_view_the_scene_shows():
    for s in load_deck("tour").scenes:
        for n in s.notice:
            assert DRAWN_VIEWS[n] in s.views, (s.title, n)


def test_a_compare_scene_builds_both_runs(tmp_path):
    text = SMALL.replace(
        'views = ["timeline", "runq"]',
        'views = ["timeline", "runq"]\ncompare = { policy = "global-queue", b = "one queue" }',
    )
    deck = loads_deck(text, "cmp.toml", str(tmp_path))
    scene = deck.scenes[0]
    assert scene.compare.b_label == "one queue" and scene.compare.a_label == "A"
    b = scene.side_b()
    assert b.settings == {**scene.settings, "policy": "global-queue"} and b.compare is None
    from gmpviz.deck.build import build_pair

    paths = build_deck(deck, tmp_path / "a")
    a_path, b_path, built = build_pair(scene, tmp_path / "a")
    assert paths == [a_path] and not built and b_path.is_file() and b_path != a_path
    policies = [RecordingReader.open(str(p)).header["settings"]["policy"] for p in (a_path, b_path)]
    assert policies == ["go", "global-queue"]
    again = build_pair(scene, tmp_path / "b")
    assert [p.read_bytes() for p in again[:2]] == [a_path.read_bytes(), b_path.read_bytes()]
