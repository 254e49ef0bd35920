"""The Qt window. Only this package imports PySide6/pyqtgraph."""

ASSUMPTIONS = (
    "The timeline raster is recomputed synchronously each frame it changes (it takes a few ms), so no "
    "coarser placeholder image is needed.",
    "Run queue lengths over time are sampled once per UI frame, not at every event.",
)
