"""The reviewer's report: ``DIR/report.html``, one self-contained page for a whole scan.

The page is rendered from the results records by a Jinja2 template
(``vision/templates/report.html.j2``) with autoescaping on. It holds

- a summary (counts by label, cue states, an inline-SVG confidence histogram, provenance),
- a gallery sorted by confidence, with filters by label, cue state, confidence and name,
- a per-photo page (original and overlay, the cue table with measurements and log10
  likelihood ratios, provenance), rendered on demand by the page's script.

The photos' data travels as one JSON document inside ``<script type="application/json">``
(:func:`script_json` makes it safe there); the script builds every element with
``textContent``, never ``innerHTML``, so a file name such as ``<img src=x onerror=...>.jpg``
shows as text. A Content-Security-Policy with a per-report nonce keeps the page off the
network and refuses any script the report did not write itself.

Large runs stay responsive: the gallery renders 120 cards at a time (more as the reader
scrolls), thumbnails are small JPEGs in ``DIR/thumbs/`` loaded with ``loading="lazy"``,
and only one photo page exists in the DOM at a time.

Served by ``vision review DIR`` (:mod:`vision.review`), the same page also records verdicts.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import quote

import numpy as np
from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from PIL import Image

from . import __version__
from .io import write_image
from .overlay import THUMB_DIR, THUMB_SIDE, thumbnail, thumbnail_name
from .report import read_results

__all__ = [
    "REPORT_NAME",
    "THUMB_DIR",
    "photo_entry",
    "render_report",
    "script_json",
    "write_html_report",
    "write_thumbnail",
]

#: File name of the report inside the scan folder.
REPORT_NAME = "report.html"
#: Keys of :func:`photo_entry` that only the photo page needs (parsed when it is opened).
DETAIL_KEYS = ("verbal", "cues", "provenance")
#: Frames listed per video clip in the summary.
BEST_FRAMES = 3
#: Bins of the confidence histogram over [0, 1].
HISTOGRAM_BINS = 20

_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(value: Any) -> Markup:
    """JSON text that is safe inside an HTML ``<script>`` element.

    ``<``, ``>``, ``&``, U+2028 and U+2029 are written as ``\\uXXXX`` escapes, so no string
    in the data can close the element or open a comment; ``JSON.parse`` gives the data back.

    Examples
    --------
    >>> print(script_json({"name": "</script><b>"}))
    {"name":"\\u003c/script\\u003e\\u003cb\\u003e"}
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in _SCRIPT_ESCAPES:
        text = text.replace(raw, escaped)
    return Markup(text)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("vision", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _url(relative_posix: str) -> str:
    """A relative URL for a relative POSIX path (every unsafe character percent-encoded)."""
    return quote(relative_posix, safe="/")


def _original_url(image: str, out_abs: str) -> str | None:
    """The original photo's path relative to the report folder ``out_abs`` (absolute), as a URL."""
    try:
        rel = os.path.relpath(os.path.abspath(image), out_abs)
    except ValueError:  # another drive on Windows
        return None
    return _url(Path(rel).as_posix())


def write_thumbnail(overlay: Path, thumb: Path, *, side: int = THUMB_SIDE) -> bool:
    """Write a small JPEG of ``overlay`` at ``thumb`` unless an up-to-date one is there.

    Returns
    -------
    bool
        True when a thumbnail exists afterwards.
    """
    try:
        if thumb.stat().st_mtime >= overlay.stat().st_mtime:
            return True
    except FileNotFoundError:
        if not overlay.is_file():
            return False
    try:
        with Image.open(overlay) as im:
            # Pillow's draft mode lets the JPEG decoder scale down by 1/2, 1/4 or 1/8 while
            # decoding, as far as the thumbnail's size allows: a few times cheaper than a
            # full decode. The rest is the reduction the scan's workers use.
            im.draft("RGB", (side, side))
            rgb = np.asarray(im.convert("RGB"))
    except (OSError, ValueError, SyntaxError, EOFError):
        return False
    thumb.parent.mkdir(parents=True, exist_ok=True)
    write_image(thumb, thumbnail(rgb, side), quality=80)
    return True


def photo_entry(record: Mapping[str, Any], index: int, out_dir: Path, *, thumbnails: bool = True) -> dict[str, Any]:
    """The data the report's script needs for one record (a plain, JSON-ready dict).

    The page carries it in two parts: the gallery's index (every key but those in
    :data:`DETAIL_KEYS`, and the cue states) and the photo page's details.

    Parameters
    ----------
    record : mapping
        One ``results.jsonl`` record.
    index : int
        Its position in ``results.jsonl`` (the photo's id in the report and the review server).
    out_dir : Path
        The scan folder (URLs are relative to it).
    thumbnails : bool
        Write a missing or outdated thumbnail of the overlay.
    """
    image = str(record.get("image", ""))
    ident = record.get("identification") or {}
    overlay = record.get("overlay")
    overlay_url = thumb_url = None
    if overlay:
        overlay_path = out_dir / overlay
        if overlay_path.is_file():
            overlay_url = _url(overlay)
            thumb_rel = thumbnail_name(overlay)
            if thumbnails and write_thumbnail(overlay_path, out_dir / thumb_rel):
                thumb_url = _url(thumb_rel)
    evidence = {e.get("cue"): e.get("log_lr") for e in ident.get("evidence", [])}
    cues = []
    for name, cue in (record.get("cues") or {}).items():
        fields = {k: v for k, v in cue.items() if k not in ("state", "present", "score", "reason", "regions", "measurements")}
        cues.append(
            {
                "name": name,
                "state": cue.get("state"),
                "score": cue.get("score"),
                "log_lr": evidence.get(name),
                "reason": cue.get("reason"),
                "regions": cue.get("regions", []),
                "fields": fields,
                "measurements": cue.get("measurements", {}),
            }
        )
    return {
        "i": index,
        "name": Path(image).name or image,
        "path": image,
        "status": record.get("status"),
        "error": record.get("error"),
        "label": ident.get("label") if record.get("status") == "ok" else "error",
        "confidence": ident.get("confidence"),
        "log_lr": ident.get("log_lr"),
        "verbal": ident.get("verbal"),
        "width": record.get("width"),
        "height": record.get("height"),
        "overlay": overlay_url,
        "thumb": thumb_url,
        "group": record.get("near_duplicate_group"),  # near duplicates: shown together (sort "group")
        "duplicate_of": record.get("duplicate_of"),
        "video": record.get("video"),
        "original": _original_url(image, os.path.abspath(out_dir)) if image and os.path.isfile(image) else None,
        "cues": cues,
        "provenance": {
            "sha256": record.get("sha256"),
            "tool_version": record.get("tool_version"),
            "schema_version": record.get("schema_version"),
            "profile": record.get("profile"),
            "normalisation": record.get("normalisation"),
            "source": record.get("source"),
            "timings": record.get("timings"),
        },
    }


def _histogram(photos: Sequence[Mapping[str, Any]], labels: Sequence[str]) -> dict[str, Any]:
    """Counts of confidence per bin, stacked by label (errors have no confidence)."""
    counts = {label: [0] * HISTOGRAM_BINS for label in labels}
    for p in photos:
        if p["confidence"] is None or p["label"] not in counts:
            continue
        b = min(int(float(p["confidence"]) * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)
        counts[p["label"]][b] += 1
    totals = [sum(c[b] for c in counts.values()) for b in range(HISTOGRAM_BINS)]
    return {"bins": HISTOGRAM_BINS, "counts": counts, "totals": totals, "peak": max(totals, default=0) or 1}


def _summary(photos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    labels: dict[str, int] = {}
    cue_states: dict[str, dict[str, int]] = {}
    for p in photos:
        labels[p["label"]] = labels.get(p["label"], 0) + 1
        for cue in p["cues"]:
            states = cue_states.setdefault(cue["name"], {"present": 0, "absent": 0, "not_assessable": 0})
            states[cue["state"]] = states.get(cue["state"], 0) + 1
    ordered = sorted(labels, key=lambda name: (name == "error", name.startswith("not_"), name))
    clips: dict[str, list[Mapping[str, Any]]] = {}
    for p in photos:  # frames sampled from videos: the best BEST_FRAMES of each clip
        if p.get("video") and p["confidence"] is not None:
            clips.setdefault(str(p["video"]["path"]), []).append(p)
    return {
        "clips": [(clip, sorted(frames, key=lambda p: (-p["confidence"], p["i"]))[:BEST_FRAMES]) for clip, frames in clips.items()],
        "total": len(photos),
        "labels": [(name, labels[name]) for name in ordered],
        "cue_states": cue_states,
        "histogram": _histogram(photos, [name for name in ordered if name != "error"]),
    }


def _provenance(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    tools, profiles = set(), {}
    for r in records:
        if r.get("tool_version"):
            tools.add(str(r["tool_version"]))
        prof = r.get("profile") or {}
        if prof.get("name"):
            profiles[(prof.get("name"), prof.get("source"), prof.get("sha256"))] = True
    return {
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "report_tool_version": __version__,
        "tool_versions": sorted(tools),
        "profiles": [{"name": n, "source": s, "sha256": h} for n, s, h in profiles],
    }


def render_report(records: Sequence[Mapping[str, Any]], out_dir: str | Path, *, title: str | None = None, thumbnails: bool = True) -> str:
    """Render the report page for ``records`` (the HTML text; URLs are relative to ``out_dir``).

    Parameters
    ----------
    records : sequence of mappings
        ``results.jsonl`` records, in file order.
    out_dir : str or Path
        The folder the page will be written to (overlays and thumbnails are looked up there).
    title : str or None
        Page title; default ``"vision report: <folder name>"``.
    thumbnails : bool
        Write missing thumbnails of the overlays into ``out_dir/thumbs/``.
    """
    out = Path(out_dir)
    if not isinstance(records, Sequence):
        raise TypeError(f"records: expected a sequence of result records, got {type(records).__name__}")
    photos = [photo_entry(r, i, out, thumbnails=thumbnails) for i, r in enumerate(records)]
    summary = _summary(photos)
    cue_names = list(summary["cue_states"])
    index = []
    for p in photos:
        states = {c["name"]: c["state"] for c in p["cues"]}
        index.append({**{k: v for k, v in p.items() if k not in DETAIL_KEYS}, "states": [states.get(name) for name in cue_names]})
    data = {"photos": index, "cues": cue_names}
    details = [{k: p[k] for k in DETAIL_KEYS} for p in photos]
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title or f"vision report: {out.resolve().name}",
        summary=summary,
        cue_names=cue_names,
        provenance=_provenance(records),
        data=script_json(data),
        details=script_json(details),
        nonce=secrets.token_urlsafe(18),
    )


def write_html_report(out_dir: str | Path, records: Sequence[Mapping[str, Any]] | None = None, *, title: str | None = None, thumbnails: bool = True) -> Path:
    """Write ``out_dir/report.html`` (and missing thumbnails) for a scan folder.

    Parameters
    ----------
    out_dir : str or Path
        Scan folder; ``results.jsonl`` there is read when ``records`` is None.
    records : sequence of mappings or None
    title : str or None
    thumbnails : bool

    Returns
    -------
    Path
        The report file.

    Examples
    --------
    >>> import tempfile
    >>> rec = {"image": "a.jpg", "sha256": None, "status": "error", "error": "a.jpg: empty file",
    ...        "schema_version": "1.0", "tool_version": "0"}
    >>> path = write_html_report(tempfile.mkdtemp(), [rec])
    >>> "a.jpg: empty file" in path.read_text(encoding="utf-8")
    True
    """
    out = Path(out_dir)
    if records is None:
        records = read_results(out)
    html = render_report(records, out, title=title, thumbnails=thumbnails)
    target = out / REPORT_NAME
    tmp = target.with_name(f".{REPORT_NAME}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return target
