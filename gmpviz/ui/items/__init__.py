"""numpy-fed pyqtgraph items: one item per picture, never one per span or event."""
