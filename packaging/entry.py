"""Entry point of the desktop bundle (PyInstaller runs this file as __main__)."""

import multiprocessing
import sys

from gmpviz.cli import main

if __name__ == "__main__":
    # the window's engine process (gmpviz/core/process.py): a frozen app started as a multiprocessing
    # child must run the child, not the app (PyInstaller's documented requirement)
    multiprocessing.freeze_support()
    sys.exit(main())
