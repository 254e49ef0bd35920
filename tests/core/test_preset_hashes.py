"""Every preset's recording (seed 1, 2 s) is byte-identical to the golden list.

A change meant to alter behaviour updates the list (`python tools/preset_hashes.py --write`) and says in
its commit which presets changed and why; a refactor must leave it as it is.
"""

import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "preset_hashes.py"


def test_every_preset_recording_matches_the_golden_hash():
    r = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
