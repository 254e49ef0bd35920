#!/usr/bin/env bash
# The wheel, not the worktree: build it (python -m build), install it into a fresh venv outside the
# source tree, and run the first commands a user runs from there. Presets, icons and styles must come
# from inside the package. Run by .ci/run; by hand: tools/smoke_wheel.sh [WORKDIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d /tmp/gmpviz-wheel.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)  # the smoke test runs from inside it
PY=${PYTHON:-python3}
build_py=${BUILD_PYTHON:-$root/.venv/bin/python}

"$build_py" -m pip install -q "build>=1.2" >/dev/null
rm -rf "$work/dist"
"$build_py" -m build --wheel --outdir "$work/dist" "$root" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/gmpviz-*.whl)
echo "smoke_wheel: built $wheel ($(du -h "$wheel" | cut -f1))"

rm -rf "$work/venv"
"$PY" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip >/dev/null
"$work/venv/bin/python" -m pip install -q "$wheel"
gmpviz="$work/venv/bin/gmpviz"

cd "$work"  # nothing of the source tree is importable from here
export QT_QPA_PLATFORM=${SMOKE_QT_PLATFORM:-offscreen}
"$gmpviz" --version
"$work/venv/bin/python" - <<'EOF'
import gmpviz, pathlib, sys
pkg = pathlib.Path(gmpviz.__file__).parent
assert "site-packages" in str(pkg), f"gmpviz imported from {pkg}, not the installed wheel"
for rel in ("resources/icons/gmpviz.svg", "resources/styles/dark.qss", "resources/styles/light.qss",
            "resources/scenarios/default.toml"):
    assert (pkg / rel).is_file(), f"the wheel lacks gmpviz/{rel}"
print(f"smoke_wheel: gmpviz from {pkg}")
EOF
"$gmpviz" scenarios | grep -q '^default '
"$gmpviz" run default --headless --duration 200ms | grep -q '^events '
"$gmpviz" run default --duration 1s --screenshot x.png
"$gmpviz" run default --headless --duration 300ms --record x.gmprec
"$gmpviz" play x.gmprec --screenshot p.png
"$work/venv/bin/python" - <<'EOF'
from PySide6 import QtGui
for name in ("x.png", "p.png"):
    img = QtGui.QImage(name)
    assert not img.isNull() and img.width() >= 800, name
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 20, f"{name} looks blank ({len(colours)} colours)"
print("smoke_wheel: screenshots have content")
EOF
echo "smoke_wheel: ok ($work)"
