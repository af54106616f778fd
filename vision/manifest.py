"""Run manifests: what produced a scan folder (``DIR/manifest.json`` and ``DIR/runs/*.json``).

Every :func:`vision.batch.run_scan` writes one manifest per run into ``DIR/runs/`` (never
overwritten, so a resumed scan keeps the history of its runs) and a copy of the latest at
``DIR/manifest.json``. A manifest names the tool version, the profile and its SHA-256, the
parameters, the Python and library versions, the start and end times and the counts.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

from . import __version__

__all__ = ["LIBRARIES", "MANIFEST_NAME", "RUNS_DIR", "library_versions", "utc_now", "write_manifest"]

#: File name of the latest run's manifest inside the scan folder.
MANIFEST_NAME = "manifest.json"
#: Folder (inside the scan folder) holding one manifest per run.
RUNS_DIR = "runs"
#: Distributions whose versions are recorded (absent ones are recorded as null).
LIBRARIES = ("numpy", "opencv-python-headless", "opencv-python", "scikit-image", "pillow", "tesserocr", "dask", "distributed")


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string with microseconds (``...Z``)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def library_versions() -> dict[str, str | None]:
    """Installed versions of :data:`LIBRARIES` (``None`` when not installed), and Tesseract's.

    Examples
    --------
    >>> "numpy" in library_versions()
    True
    """
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    from .ocr import tesseract_version  # the library the serial cue runs in-process

    versions["tesseract"] = tesseract_version()
    if versions["tesseract"] is None:  # recorded, not hidden: no OCR engine here
        versions["tesseract_error"] = "tesseract not installed (no tesserocr engine or no eng.traineddata model)"
    return versions


def write_manifest(
    out_dir: str | Path,
    *,
    profile: Mapping[str, Any],
    parameters: Mapping[str, Any],
    started: str,
    finished: str,
    counts: Mapping[str, int],
) -> Path:
    """Write this run's manifest to ``out_dir/runs/<started>.json`` and ``out_dir/manifest.json``.

    Parameters
    ----------
    out_dir : str or Path
        The scan folder.
    profile : mapping
        ``{"name", "source", "sha256"}`` of the identification profile.
    parameters : mapping
        The run's parameters (CLI arguments or :func:`run_scan` keywords), JSON-ready.
    started, finished : str
        UTC times from :func:`utc_now`.
    counts : mapping
        ``total``, ``ok``, ``errors``, ``skipped`` (already recorded), ``duplicates``.

    Returns
    -------
    Path
        The per-run manifest file.
    """
    out = Path(out_dir)
    manifest = {
        "tool": "vision",
        "tool_version": __version__,
        "profile": dict(profile),
        "parameters": dict(parameters),
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(), "executable": sys.executable},
        "platform": platform.platform(),
        "libraries": library_versions(),
        "started": started,
        "finished": finished,
        "counts": dict(counts),
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    runs = out / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    stamp = started.replace(":", "").replace("-", "")
    run_file = runs / f"{stamp}.json"
    n = 1
    while run_file.exists():  # two runs in the same microsecond: keep both
        run_file = runs / f"{stamp}-{n}.json"
        n += 1
    run_file.write_text(text, encoding="utf-8")
    latest = out / MANIFEST_NAME
    tmp = latest.with_name(f".{MANIFEST_NAME}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, latest)
    return run_file
