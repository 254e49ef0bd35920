#!/usr/bin/env bash
# Install the desktop entry and icon for the current user (Linux, freedesktop.org menus).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps
mkdir -p "$apps" "$icons"
install -m 644 "$here/io.github.gmpviz.gmpviz.desktop" "$apps/io.github.gmpviz.gmpviz.desktop"
install -m 644 "$here/../gmpviz/resources/icons/gmpviz.svg" "$icons/gmpviz.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "installed $apps/io.github.gmpviz.gmpviz.desktop"
