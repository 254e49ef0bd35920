#!/usr/bin/env bash
# Install the desktop entry and icon for the current user (Linux, freedesktop.org menus).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps
mkdir -p "$apps" "$icons"
install -m 644 "$here/gmpviz.desktop" "$apps/gmpviz.desktop"
install -m 644 "$here/../resources/icons/gmpviz.svg" "$icons/gmpviz.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "installed $apps/gmpviz.desktop"
