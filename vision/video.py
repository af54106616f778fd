"""Video clips: sample frames every N seconds (OpenCV ``VideoCapture``) and scan each one.

Each sampled frame becomes an ordinary record made by :func:`vision.pipeline.scan_file`
(the frame goes through a lossless PNG in a temporary folder, so frames and photos share
one pipeline), then marked as a frame: ``image`` is ``"clip.mp4#t=12.0"``, ``sha256`` is the
clip's, and ``video`` is ``{"path", "frame", "time_s"}``. Frames are read in order with
``grab()`` and only the sampled ones are decoded, so any container OpenCV reads works.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any, Container, Iterator

import cv2
import numpy as np

from .dedupe import phash
from .evidence import Profile
from .io import DEFAULT_MAX_PIXELS, write_image
from .pipeline import error_record, scan_file

__all__ = ["DEFAULT_EVERY", "VIDEO_SUFFIXES", "frame_image_name", "is_video", "sample_frames", "scan_video"]

#: File suffixes treated as videos (in folders and when named explicitly).
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm"})
#: Seconds between sampled frames when not told otherwise.
DEFAULT_EVERY = 1.0


def is_video(path: str | Path) -> bool:
    """Whether ``path`` names a video file (by its suffix, see :data:`VIDEO_SUFFIXES`)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def frame_image_name(path: str | Path, time_s: float) -> str:
    """The ``image`` of a frame's record, e.g. ``"clip.mp4#t=12.0"`` (a media-fragment URI).

    Examples
    --------
    >>> frame_image_name("clip.mp4", 12)
    'clip.mp4#t=12.0'
    """
    return f"{path}#t={round(float(time_s), 3)}"


def sample_frames(path: str | Path, every: float) -> Iterator[tuple[int, float, np.ndarray]]:
    """Frames at 0, ``every``, 2 ``every``, ... seconds: ``(frame number, time in s, (H, W, 3) uint8 RGB)``.

    Raises
    ------
    ValueError
        ``every`` is not a positive number, or the file cannot be opened as a video or has
        no frame rate (the message names the file).
    """
    if not isinstance(every, (int, float)) or not math.isfinite(every) or every <= 0:
        raise ValueError(f"every: expected a positive number of seconds, got {every!r}")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ValueError(f"{path}: cannot be opened as a video")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        if not math.isfinite(fps) or fps <= 0:
            raise ValueError(f"{path}: video declares no frame rate")
        number, next_time = 0, 0.0
        while cap.grab():
            time_s = number / fps
            if time_s + 1e-9 >= next_time:
                ok, bgr = cap.retrieve()
                if not ok:
                    raise ValueError(f"{path}: frame {number} cannot be decoded")
                yield number, round(time_s, 3), np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                while next_time <= time_s + 1e-9:
                    next_time += every
            number += 1
    finally:
        cap.release()


def scan_video(
    path: str | Path,
    sha256: str,
    out_dir: str | Path | None,
    profile: Profile,
    *,
    every: float = DEFAULT_EVERY,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    skip: Container[str] = (),
) -> list[dict[str, Any]]:
    """Scan the frames of a clip sampled every ``every`` seconds; one record per frame.

    Parameters
    ----------
    path : str or Path
        The clip.
    sha256 : str
        Hex SHA-256 of the clip's bytes (recorded in each frame's record).
    out_dir : str, Path or None
        Scan folder for the frames' overlays.
    profile : Profile
    every : float
        Seconds between sampled frames.
    max_pixels : int
        Decompression-bomb limit per frame.
    skip : container of str
        ``image`` names of frames already recorded (not scanned again).

    Returns
    -------
    list of dict
        A record per sampled frame; one error record naming the clip when it cannot be read.
    """
    records = []
    try:
        with tempfile.TemporaryDirectory(prefix="vision-frames-") as tmp:
            for number, time_s, rgb in sample_frames(path, every):
                name = frame_image_name(path, time_s)
                if name in skip:
                    continue
                frame_file = write_image(Path(tmp) / f"{Path(path).stem}_f{number:06d}.png", rgb)
                record = scan_file(frame_file, out_dir, profile, max_pixels=max_pixels)
                frame_file.unlink()
                if record["status"] != "ok":
                    record = error_record(name, record["error"].replace(str(frame_file), name), sha256=sha256)
                else:
                    record["phash"] = phash(rgb)
                    record["source"]["notes"].append(f"frame {number} of the video at {time_s} s")
                record.update(image=name, sha256=sha256, video={"path": str(path), "frame": number, "time_s": time_s})
                records.append(record)
    except ValueError as exc:
        return [error_record(path, str(exc), sha256=sha256)]
    if not records and not skip:
        return [error_record(path, f"{path}: the video holds no frames", sha256=sha256)]
    return records
