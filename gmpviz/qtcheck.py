"""Before Qt starts: are the shared libraries its platform plugin needs installed?

Qt loads its platform plugin (xcb on an X11 desktop, offscreen for screenshots) with dlopen; when one of
the plugin's libraries is missing it prints a hint that names `libxcb-cursor0` whatever was missing and
aborts the process (SIGABRT). On a fresh Debian 12 the gaps are typically libxcb-icccm4 and
libxcb-keysyms1. This module runs `ldd` on the plugin (and the Qt libraries it loads) without importing
Qt, and maps every "not found" library to the Debian/Ubuntu package that ships it, so the command can
say what to install in one line (and `./dev run` can install it).

    python -m gmpviz.qtcheck [xcb|offscreen]   prints the missing packages, one per line
                                               (nothing for other platforms)
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

LDD_TIMEOUT_S = 20.0

# soname -> Debian package, for the libraries Qt 6's xcb/offscreen plugins and QtGui/QtWidgets link
# (checked against `ldd libqxcb.so` of PySide6 6.11 on Debian 12). Unlisted sonames fall back to
# `debian_package_guess`, which gets the libxcb-* family right.
DEBIAN_PACKAGES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libOpenGL.so.0": "libopengl0",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libpng16.so.16": "libpng16-16",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libbrotlidec.so.1": "libbrotli1",
    "libexpat.so.1": "libexpat1",
    "libICE.so.6": "libice6",
    "libSM.so.6": "libsm6",
}
# Every package Qt 6.11's xcb plugin links on Debian 12, plus a font: what `./dev run` and .ci/run install.
XCB_PACKAGES = (
    "libxcb1", "libx11-xcb1", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0", "libxcb-keysyms1",
    "libxcb-randr0", "libxcb-render-util0", "libxcb-render0", "libxcb-shape0", "libxcb-shm0",
    "libxcb-sync1", "libxcb-util1", "libxcb-xfixes0", "libxcb-xinerama0", "libxcb-xkb1",
    "libxkbcommon0", "libxkbcommon-x11-0", "libegl1", "libgl1", "libfontconfig1", "libglib2.0-0",
    "libdbus-1-3", "fonts-dejavu-core",
)  # fmt: skip
FONT_PACKAGE = "fonts-dejavu-core"
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
PLUGINS = {"xcb": "libqxcb.so", "offscreen": "libqoffscreen.so"}
QT_LIBS = ("libQt6Gui.so.6", "libQt6Widgets.so.6")
_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def debian_package_guess(soname: str) -> str:
    """libxcb-icccm.so.4 -> libxcb-icccm4 (Debian's policy for library package names)."""
    m = re.fullmatch(r"(lib[\w.+-]+?)\.so\.(\d+)", soname)
    if not m:
        return soname
    name, major = m.group(1).lower(), m.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def qt_dir() -> Path | None:
    """PySide6's Qt folder (lib/, plugins/), found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None:
        return None
    roots = [Path(p) for p in (spec.submodule_search_locations or [])]
    if spec.origin and spec.origin not in ("frozen", "built-in"):
        roots.append(Path(spec.origin).parent)
    if getattr(sys, "frozen", False):  # a PyInstaller bundle keeps PySide6 beside the executable
        roots.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "PySide6")
    for root in roots:
        if (root / "Qt").is_dir():
            return root / "Qt"
    return None


def platform_in_use() -> str | None:
    """The platform plugin Qt will load (None: not one this module checks)."""
    if not sys.platform.startswith("linux"):
        return None
    qpa = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if qpa:
        return qpa if qpa in PLUGINS else None
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return None  # Qt picks wayland (its plugin's libraries come with the compositor)
    return "xcb"


def missing_libraries(platform: str = "xcb") -> list[str]:
    """Sonames `ldd` reports as not found for the platform plugin and the Qt libraries it loads."""
    qt = qt_dir()
    ldd = shutil.which("ldd")
    if qt is None or ldd is None:
        return []
    files = [qt / "plugins" / "platforms" / PLUGINS[platform], *(qt / "lib" / n for n in QT_LIBS)]
    out: list[str] = []
    for f in files:
        if not f.exists():
            continue
        try:
            r = subprocess.run(
                [ldd, str(f)], capture_output=True, text=True, timeout=LDD_TIMEOUT_S, env=_ldd_env(qt)
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        for name in _NOT_FOUND.findall(r.stdout):
            if name not in out:
                out.append(name)
    return out


def _ldd_env(qt: Path) -> dict:
    """Qt's own libraries are found through the plugin's RUNPATH; LD_LIBRARY_PATH covers bundles."""
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, (str(qt / "lib"), env.get("LD_LIBRARY_PATH"))))
    return env


def fonts_installed() -> bool:
    for d in FONT_DIRS:
        root = Path(os.path.expanduser(d))
        if root.is_dir() and any(p.suffix.lower() in (".ttf", ".otf", ".pfb") for p in root.rglob("*")):
            return True
    return False


def missing_packages(platform: str = "xcb") -> list[str]:
    """The Debian packages to install so that Qt's `platform` plugin starts and has a font."""
    pkgs: list[str] = []
    for soname in missing_libraries(platform):
        pkg = DEBIAN_PACKAGES.get(soname) or debian_package_guess(soname)
        if pkg not in pkgs:
            pkgs.append(pkg)
    if sys.platform.startswith("linux") and not fonts_installed():
        pkgs.append(FONT_PACKAGE)
    return pkgs


def missing_xcb_packages() -> list[str]:
    """What is missing for the platform Qt will use now ([] when it is not one checked here)."""
    platform = platform_in_use()
    return missing_packages(platform) if platform else []


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    platform = argv[0] if argv else "xcb"
    if platform not in PLUGINS:  # wayland, vnc...: not checked here, nothing to name
        return 0
    for p in missing_packages(platform):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
