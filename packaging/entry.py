"""Entry point of the desktop bundle (PyInstaller runs this file as __main__)."""

import sys

from gmpviz.cli import main

sys.exit(main())
