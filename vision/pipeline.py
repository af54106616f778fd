"""The public pipeline: load -> normalise -> cue detectors -> evidence -> overlay -> report.

The CLI, batch runs, notebooks and tests all call :func:`analyse` (in memory) or
:func:`scan_file` (a file on disk to a report record), so their results cannot drift apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import __version__
from .cues import CueResult, run_cue
from .dedupe import phash
from .evidence import Identification, Profile, combine, load_profile
from .io import DEFAULT_MAX_PIXELS, ImageLoadError, LoadedImage, as_rgb_uint8, load_image, write_image
from .normalise import NormaliseParams, Scene
from .overlay import OverlayAnnotator, thumbnail, thumbnail_name

__all__ = ["SCHEMA_VERSION", "Analysis", "analyse", "error_record", "overlay_name", "scan_file"]

#: Version of the results.jsonl record layout (see ``vision/schemas/result.schema.json``).
SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Analysis:
    """Everything the pipeline concluded about one photo.

    Attributes
    ----------
    width, height : int
        Original photo size (displayed orientation).
    cues : mapping of cue name to CueResult
    identification : Identification
    normalisation : dict
        Illuminant gains and working scale, for provenance.
    timings : dict
        Seconds per stage (``normalise``, ``cues``, ``evidence``) and per cue
        (``cue:<name>``; a cue that consults another's result pays for it when it runs first).
    image : (H, W, 3) uint8 ndarray or None
        The photo analysed (not copied), so a notebook can show the overlay inline.
    """

    width: int
    height: int
    cues: Mapping[str, CueResult]
    identification: Identification
    normalisation: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    image: np.ndarray | None = field(default=None, repr=False, compare=False)

    def cues_dict(self) -> dict[str, Any]:
        return {name: r.to_dict() for name, r in self.cues.items()}

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        from html import escape

        rows = "".join(
            f"<tr><td>{escape(e.cue)}</td><td>{escape(e.state)}</td><td>{e.score:.2f}</td><td>{e.log_lr:+.2f}</td></tr>"
            for e in self.identification.evidence
        )
        i = self.identification
        overlay = ""
        if self.image is not None:  # the overlay inline, as a base64 PNG
            import base64
            import io

            from PIL import Image

            buf = io.BytesIO()
            Image.fromarray(OverlayAnnotator(max_side=512).annotate(self.image, self.cues, i)).save(buf, format="PNG")
            overlay = f'<img style="max-width:100%" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode("ascii")}"/>'
        return (
            f"<p><b>{escape(i.label)}</b> confidence {i.confidence:.3f}: {escape(i.verbal)}</p>"
            f"<table><tr><th>cue</th><th>state</th><th>score</th><th>log10 LR</th></tr>{rows}</table>{overlay}"
        )


def analyse(
    image: np.ndarray,
    profile: Profile | str | None = None,
    *,
    normalise_params: NormaliseParams = NormaliseParams(),
) -> Analysis:
    """Run the cue detectors of a profile on an in-memory photo and combine the evidence.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB photo (float in [0, 1] is accepted and converted).
    profile : Profile, str or None
        A loaded profile, a packaged profile name or a profile file; default ``"toofan"``.
    normalise_params : NormaliseParams

    Returns
    -------
    Analysis

    Examples
    --------
    >>> import numpy as np
    >>> a = analyse(np.full((64, 64, 3), 128, np.uint8))
    >>> a.identification.label, a.identification.confidence < 0.2
    ('not_toofan', True)
    """
    rgb = as_rgb_uint8(image, name="image")
    if not isinstance(profile, Profile):
        profile = load_profile(profile or "toofan")
    t0 = time.perf_counter()
    scene = Scene(rgb, normalise_params)
    t1 = time.perf_counter()
    results: dict[str, CueResult] = {}
    per_cue: dict[str, float] = {}
    for cue in profile.cues:  # in profile order; a cue another one consults is computed once (memo)
        t = time.perf_counter()
        results[cue.name] = run_cue(cue.name, scene, cue.params)
        per_cue[f"cue:{cue.name}"] = time.perf_counter() - t
    t2 = time.perf_counter()
    identification = combine(results, profile)
    t3 = time.perf_counter()
    return Analysis(
        width=int(rgb.shape[1]),
        height=int(rgb.shape[0]),
        cues=results,
        identification=identification,
        normalisation={
            "illuminant_gains": [round(float(g), 4) for g in scene.gains],
            "working_size": [int(scene.shape[1]), int(scene.shape[0])],
            "scale": [round(scene.scale_x, 6), round(scene.scale_y, 6)],
        },
        timings={"normalise": t1 - t0, "cues": t2 - t1, "evidence": t3 - t2, **per_cue},
        image=rgb,
    )


def overlay_name(path: str | Path, sha256: str) -> str:
    """Overlay file name (relative to the output folder), unique per file content and name."""
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(path).stem)[:80] or "image"
    return f"overlays/{stem}-{sha256[:10]}.jpg"


def error_record(path: str | Path, message: str, sha256: str | None = None) -> dict[str, Any]:
    """The record of a photo that could not be processed."""
    return {
        "image": str(path),
        "sha256": sha256,
        "status": "error",
        "error": message,
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
    }


def scan_file(
    path: str | Path,
    out_dir: str | Path | None,
    profile: Profile,
    *,
    annotator: OverlayAnnotator | None = OverlayAnnotator(),
    max_pixels: int = DEFAULT_MAX_PIXELS,
    normalise_params: NormaliseParams = NormaliseParams(),
) -> dict[str, Any]:
    """Process one file into a report record (see the JSON Schema); never raises for bad images.

    A file that cannot be read becomes ``{"status": "error", "error": ...}`` naming the file
    and the reason. A readable one carries its 64-bit perceptual hash (``phash``, see
    :func:`vision.dedupe.phash`) for near-duplicate grouping. With ``out_dir`` and an ``annotator``, the overlay is written under
    ``out_dir/overlays/`` and its thumbnail for the report gallery under ``out_dir/thumbs/``.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        loaded: LoadedImage = load_image(path, max_pixels=max_pixels)
    except ImageLoadError as exc:
        return error_record(path, str(exc))
    timings["decode"] = time.perf_counter() - t0
    analysis = analyse(loaded.rgb, profile, normalise_params=normalise_params)
    timings.update(analysis.timings)
    record: dict[str, Any] = {
        "image": str(path),
        "sha256": loaded.sha256,
        "status": "ok",
        "width": analysis.width,
        "height": analysis.height,
        "cues": analysis.cues_dict(),
        "identification": analysis.identification.to_dict(),
        "overlay": None,
        "phash": phash(loaded.rgb),  # for near-duplicate grouping, from the pixels already decoded
        "normalisation": dict(analysis.normalisation),
        "source": {"mode": loaded.source_mode, "notes": list(loaded.notes)},
        "profile": {"name": profile.name, "source": profile.source, "sha256": profile.sha256},
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
    }
    if out_dir is not None and annotator is not None:
        t = time.perf_counter()
        rel = overlay_name(path, loaded.sha256)
        target = Path(out_dir) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        annotated = annotator.annotate(loaded.rgb, analysis.cues, analysis.identification)
        write_image(target, annotated, quality=88)
        thumb = Path(out_dir) / thumbnail_name(rel)  # written after the overlay, so the report sees it as up to date
        thumb.parent.mkdir(parents=True, exist_ok=True)
        write_image(thumb, thumbnail(annotated), quality=80)
        record["overlay"] = rel
        timings["overlay"] = time.perf_counter() - t
    record["timings"] = {k: round(v, 6) for k, v in timings.items()}
    return record
