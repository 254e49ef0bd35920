"""The Qt window. Only this package imports PySide6/pyqtgraph."""

ASSUMPTIONS = (
    "The timeline raster is recomputed synchronously each frame it changes (it takes a few ms), so no "
    "coarser placeholder image is needed.",
    "Run queue lengths over time are sampled once per UI frame, not at every event.",
    "The player draws GOMEMLIMIT as the recording started with it: a limit the program changed while it "
    "ran (debug.SetMemoryLimit) is in no event, so the line does not move (the live window's does).",
    "The timeline colours a pixel where a goroutine ran for less than a pixel with that goroutine's "
    "colour (a minimum-width mark), so a dense lane shows more goroutine time than it had.",
)
