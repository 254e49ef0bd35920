#!/usr/bin/env bash
# Build the one-folder desktop bundle: dist/gmpviz/gmpviz (PyInstaller) with its freedesktop files in
# dist/gmpviz/share (applications/*.desktop, metainfo/*.metainfo.xml, icons/hicolor/...), validate them
# (desktop-file-validate, appstreamcli), run the bundle's self-test and report its size.
#   packaging/build-bundle.sh [PYTHON]     (./dev bundle sets up the venv and the Debian tools first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-$root/.venv/bin/python}
app_id=io.github.gmpviz.gmpviz
dist=${BUNDLE_DIST:-$root/dist}
work=${BUNDLE_WORK:-$root/build/pyinstaller}
cd "$root"
for tool in desktop-file-validate:desktop-file-utils appstreamcli:appstream; do
  command -v "${tool%%:*}" >/dev/null || {
    echo "bundle: ${tool%%:*} is missing: install the Debian package ${tool##*:} (./dev bundle does, as root)" >&2
    exit 2
  }
done

t0=$(date +%s)
"$py" -m PyInstaller packaging/gmpviz.spec --noconfirm --log-level WARN --distpath "$dist" --workpath "$work"
out=$dist/gmpviz
share=$out/share
mkdir -p "$share/applications" "$share/metainfo" "$share/icons/hicolor/scalable/apps"
install -m 644 "packaging/$app_id.desktop" "$share/applications/$app_id.desktop"
install -m 644 "packaging/$app_id.metainfo.xml" "$share/metainfo/$app_id.metainfo.xml"
install -m 644 gmpviz/resources/icons/gmpviz.svg "$share/icons/hicolor/scalable/apps/gmpviz.svg"
# PNG icons for menus and software centres that do not draw SVG, rendered from the SVG by Qt.
QT_QPA_PLATFORM=offscreen "$py" - "$share/icons/hicolor" <<'EOF'
import sys
from pathlib import Path
from PySide6 import QtCore, QtGui, QtSvg
app = QtGui.QGuiApplication([])
renderer = QtSvg.QSvgRenderer("gmpviz/resources/icons/gmpviz.svg")
assert renderer.isValid(), "gmpviz.svg does not parse"
for n in (48, 64, 128, 256):
    img = QtGui.QImage(n, n, QtGui.QImage.Format.Format_ARGB32)
    img.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(img)
    renderer.render(p)
    p.end()
    d = Path(sys.argv[1]) / f"{n}x{n}" / "apps"
    d.mkdir(parents=True, exist_ok=True)
    assert img.save(str(d / "gmpviz.png")), d
EOF

echo "bundle: validating the desktop entry and the AppStream metainfo"
desktop-file-validate "$share/applications/$app_id.desktop"
appstreamcli validate --no-net "$share/metainfo/$app_id.metainfo.xml"
"$py" - "$share/icons/hicolor" <<'EOF'
import struct, sys
from pathlib import Path
root = Path(sys.argv[1])
for n in (48, 64, 128, 256):
    data = (root / f"{n}x{n}" / "apps" / "gmpviz.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", n
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (n, n), (n, w, h)
svg = (root / "scalable" / "apps" / "gmpviz.svg").read_text()
assert "<svg" in svg
print("bundle: icons ok (scalable SVG, PNG 48/64/128/256)")
EOF

echo "bundle: running the bundle's self-test"
"$out/gmpviz" --version
QT_QPA_PLATFORM=offscreen "$out/gmpviz" --self-test
size=$(du -sh "$out" | cut -f1)
echo "bundle: $out ($size, $(find "$out" -type f | wc -l) files) built and checked in $(( $(date +%s) - t0 )) s"
