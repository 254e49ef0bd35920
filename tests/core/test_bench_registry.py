"""`gmpviz bench`: every registered benchmark is a module with run(args), and has its flag."""

from gmpviz.bench import BENCHES, DEFAULT, chosen
from gmpviz.cli import build_parser


def test_every_bench_has_a_module_with_run_and_a_flag():
    parser = build_parser()
    for b in BENCHES:
        assert callable(b.load()), b.name
    assert chosen(parser.parse_args(["bench"])) is DEFAULT
    for b in BENCHES[1:]:
        assert chosen(parser.parse_args(["bench", b.flag])) is b
