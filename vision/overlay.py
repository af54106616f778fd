"""Annotated overlays: cue regions outlined and labelled, a verdict banner and a legend.

Annotators never detect: they take settings in ``__init__`` and data in ``annotate``.
The banner and legend are drawn on bands added above and below the photo, so they stay
legible on dark and light photos and never hide evidence; boxes are drawn two-tone (a
dark outline under a bright line) and labels sit on filled tags.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import cv2
import numpy as np

from .cues import CueResult
from .evidence import Identification
from .io import as_rgb_uint8

__all__ = ["CUE_COLOURS", "THUMB_DIR", "THUMB_SIDE", "OverlayAnnotator", "thumbnail", "thumbnail_name"]

#: RGB colour of each cue's boxes; chosen to stand out from the cues' own colours.
CUE_COLOURS: dict[str, tuple[int, int, int]] = {
    "green_seal_tape": (255, 0, 255),
    "yellow_bands": (0, 200, 255),
    "dark_green_cover": (255, 140, 0),
    "serial_4_letter": (255, 255, 255),
}
_FALLBACK = (255, 64, 64)
#: Folder (inside the scan folder) of the report gallery's thumbnails of the overlays.
THUMB_DIR = "thumbs"
#: Long side of a gallery thumbnail, in pixels.
THUMB_SIDE = 320
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class OverlayAnnotator:
    """Draws one annotated image per photo.

    Parameters
    ----------
    max_side : int
        The photo is reduced to this long side before drawing (overlays are for viewing).
    show_absent_regions : bool
        Also outline regions of cues that ended absent (e.g. a pair of bands), dashed.
    """

    max_side: int = 1600
    show_absent_regions: bool = True

    def annotate(self, image: np.ndarray, results: Mapping[str, CueResult], identification: Identification) -> np.ndarray:
        """Return the annotated RGB uint8 image.

        Parameters
        ----------
        image : (H, W, 3) uint8 ndarray
            The original photo (boxes are in its pixels).
        results : mapping of cue name to CueResult
        identification : Identification
        """
        rgb = as_rgb_uint8(image)
        h, w = rgb.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        pw, ph = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
        canvas_w = max(pw, 480)
        unit = max(canvas_w / 1000.0, 0.5)
        banner = self._banner(canvas_w, identification, unit)
        legend = self._legend(canvas_w, results, identification, unit)
        # One allocation for the whole image; the photo is drawn on in place (its rows of the
        # canvas are contiguous), so it is copied once rather than three times.
        canvas = np.empty((banner.shape[0] + ph + legend.shape[0], canvas_w, 3), np.uint8)
        canvas[: banner.shape[0]] = banner
        canvas[banner.shape[0] + ph :] = legend
        photo = canvas[banner.shape[0] : banner.shape[0] + ph]
        photo[:, pw:] = 32
        photo[:, :pw] = cv2.resize(rgb, (pw, ph), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        # Later cues first, so the first (most specific) cues' boxes end up on top.
        for name, result in reversed(list(results.items())):
            colour = CUE_COLOURS.get(name, _FALLBACK)
            if not result.regions or (not result.present and not self.show_absent_regions):
                continue
            for region in result.regions:
                x, y, bw, bh = (v * scale for v in region.bbox)
                p0 = (int(x), int(y))
                p1 = (int(x + bw), int(y + bh))
                thick = max(1, int(round(2 * unit)))
                cv2.rectangle(photo, p0, p1, (0, 0, 0), thick + 2, cv2.LINE_AA)
                if result.present:
                    cv2.rectangle(photo, p0, p1, colour, thick, cv2.LINE_AA)
                else:
                    _dashed_rectangle(photo, p0, p1, colour, thick)
                if region.label:  # unlabelled regions belong to a labelled group (bands of one leg)
                    _tag(photo, f"{region.label} {region.score:.2f}", (p0[0], max(p0[1] - 2, 0)), colour, 0.45 * unit)
        return canvas

    def _banner(self, width: int, ident: Identification, unit: float) -> np.ndarray:
        height = int(48 * unit)
        positive = ident.label != "" and not ident.label.startswith("not_")
        bg = (150, 20, 20) if positive else (40, 40, 40)
        bar = np.full((height, width, 3), bg, np.uint8)
        text = f"{ident.label.upper()}  confidence {ident.confidence:.2f}  (profile {ident.profile})"
        cv2.putText(bar, text, (int(10 * unit), int(32 * unit)), _FONT, 0.8 * unit, (255, 255, 255), max(1, int(2 * unit)), cv2.LINE_AA)
        return bar

    def _legend(self, width: int, results: Mapping[str, CueResult], ident: Identification, unit: float) -> np.ndarray:
        line_h = int(24 * unit)
        scale = 0.5 * unit
        thick = max(1, int(round(unit)))
        max_chars = int(width / (11 * unit))
        verbal = textwrap.wrap(ident.verbal, max_chars) or [""]
        lines = len(ident.evidence) + len(verbal) + 1
        panel = np.full((line_h * lines + int(10 * unit), width, 3), 24, np.uint8)
        y = line_h
        for text in verbal:
            cv2.putText(panel, text, (int(10 * unit), y), _FONT, scale, (230, 230, 230), thick, cv2.LINE_AA)
            y += line_h
        for ev in ident.evidence:
            colour = CUE_COLOURS.get(ev.cue, _FALLBACK)
            cv2.rectangle(panel, (int(10 * unit), y - int(14 * unit)), (int(28 * unit), y + int(2 * unit)), colour, -1)
            r = results.get(ev.cue)
            extra = ""
            if r is not None:
                if "count" in r.fields:
                    extra = f"  bands in a row {r.fields['count']}, legs {r.fields['groups']}"
                if r.fields.get("colour"):
                    extra = f"  colour {r.fields['colour']}"
                if r.fields.get("text"):
                    extra = f"  reads '{r.fields['text']}'"
                if r.reason:
                    extra = f"  ({r.reason})"
            text = f"{ev.cue}: {ev.state}  score {ev.score:.2f}  log10 LR {ev.log_lr:+.2f}{extra}"
            cv2.putText(panel, text[:max_chars], (int(36 * unit), y), _FONT, scale, (230, 230, 230), thick, cv2.LINE_AA)
            y += line_h
        return panel


def _tag(img: np.ndarray, text: str, origin: tuple[int, int], colour, scale: float) -> None:
    """A filled label tag whose text colour contrasts with the tag colour."""
    scale = max(scale, 0.35)
    thick = 1
    (tw, th), base = cv2.getTextSize(text, _FONT, scale, thick)
    x, y = origin
    y = max(y, th + base + 2)
    x = min(max(x, 0), max(img.shape[1] - tw - 4, 0))
    cv2.rectangle(img, (x, y - th - base - 2), (x + tw + 4, y), colour, -1)
    luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    ink = (0, 0, 0) if luminance > 128 else (255, 255, 255)
    cv2.putText(img, text, (x + 2, y - base), _FONT, scale, ink, thick, cv2.LINE_AA)


def _dashed_rectangle(img: np.ndarray, p0, p1, colour, thick: int, dash: int = 6) -> None:
    (x0, y0), (x1, y1) = p0, p1
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        for s in range(0, length, 2 * dash):
            t0, t1 = s / max(length, 1), min(s + dash, length) / max(length, 1)
            q0 = (int(a[0] + (b[0] - a[0]) * t0), int(a[1] + (b[1] - a[1]) * t0))
            q1 = (int(a[0] + (b[0] - a[0]) * t1), int(a[1] + (b[1] - a[1]) * t1))
            cv2.line(img, q0, q1, colour, thick, cv2.LINE_AA)


def thumbnail_name(overlay: str) -> str:
    """Where the thumbnail of the overlay at ``overlay`` (relative to the scan folder) goes."""
    return f"{THUMB_DIR}/{Path(overlay).name}"


def thumbnail(image: np.ndarray, side: int = THUMB_SIDE) -> np.ndarray:
    """``image`` reduced (never enlarged) to a long side of ``side`` pixels, for the report gallery.

    A scan makes it from the overlay still in memory, which costs far less than decoding the
    written overlay again when the report is built.
    """
    rgb = as_rgb_uint8(image)
    h, w = rgb.shape[:2]
    scale = min(1.0, side / max(h, w))
    if scale == 1.0:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Halve with a Gaussian pyramid while at least twice too big, then area-average the rest:
    # the same anti-aliasing as one area resize, at a third of its cost for an overlay.
    while max(rgb.shape[:2]) >= 2 * side:
        rgb = cv2.pyrDown(rgb)
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
