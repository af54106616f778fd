"""vision: identify military equipment in photos from visual cues, with checkable evidence."""

__version__ = "0.1.0"
