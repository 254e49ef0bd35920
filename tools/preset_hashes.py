"""Record every preset headless (seed 1, 2 s) and print one line each: preset, sha256 of the file.

The golden list (tests/golden/preset_hashes.txt) is what `tests/core/test_preset_hashes.py` holds the
engine to: a change that alters any recording must say so in its commit and update the list with
`python tools/preset_hashes.py --write`.

    python tools/preset_hashes.py            # print the hashes
    python tools/preset_hashes.py --check    # compare with the golden list, exit 1 on a difference
    python tools/preset_hashes.py --write    # rewrite the golden list
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "preset_hashes.txt"
SEED = 1
DURATION = "2s"


def presets() -> list[str]:
    from gmpviz.core.workload.loader import list_presets

    return [name for name, _ in list_presets()]


def record_hash(name: str) -> str:
    from gmpviz.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, name + ".gmprec")
        devnull = open(os.devnull, "w")  # noqa: SIM115
        old = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = devnull
        try:
            argv = ["run", name, "--headless", "--seed", str(SEED), "--duration", DURATION, "--record", out]
            rc = main(argv)
        finally:
            sys.stdout, sys.stderr = old
            devnull.close()
        if rc != 0:
            return f"exit-{rc}"
        return hashlib.sha256(Path(out).read_bytes()).hexdigest()


def compute() -> dict[str, str]:
    names = presets()
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as ex:
        return dict(zip(names, ex.map(record_hash, names)))


def read_golden() -> dict[str, str]:
    rows = {}
    for line in GOLDEN.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, digest = line.split()
            rows[name] = digest
    return rows


def main(argv: list[str]) -> int:
    got = compute()
    if "--write" in argv:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f"{k} {v}\n" for k, v in sorted(got.items()))
        head = f"# preset recordings, seed {SEED}, {DURATION}: tools/preset_hashes.py --write\n"
        GOLDEN.write_text(head + body)
        return 0
    if "--check" in argv:
        want = read_golden()
        bad = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
        for k in bad:
            print(f"changed: {k} {want.get(k)} -> {got.get(k)}")
        print("all presets byte-identical" if not bad else f"{len(bad)} preset(s) changed")
        return 1 if bad else 0
    for k, v in sorted(got.items()):
        print(k, v)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
