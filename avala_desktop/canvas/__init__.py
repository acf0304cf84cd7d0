"""2D and 3D drawing and editing of annotations (PySide6)."""
