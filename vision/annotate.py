"""Publication-style annotated images: a callout (arrow and label) per present cue, optional
zoomed insets of each cue, and a caption line with the source and the date.

Text is drawn by Pillow in the DejaVu Sans fonts that matplotlib ships, which cover Latin,
Greek, Cyrillic, Arabic and Persian letters and digits, so labels and captions in those
scripts render as glyphs, never as boxes. When Pillow has its Raqm layout engine (libraqm
with FriBiDi and HarfBuzz; :data:`COMPLEX_LAYOUT`), Arabic and Persian letters are also
joined into their contextual forms and right-to-left runs are ordered; without it the
letters render unjoined, left to right, and a warning says so.

Annotators never detect: :class:`PublicationAnnotator` takes its settings in ``__init__``
and the photo and its ``results.jsonl`` record in :meth:`PublicationAnnotator.annotate`.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import cv2
import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from . import __version__
from .io import as_rgb_uint8
from .overlay import CUE_COLOURS

__all__ = ["COMPLEX_LAYOUT", "PublicationAnnotator", "callout_text", "find_record", "font_path", "load_font"]

#: True when Pillow can shape Arabic/Persian text and order right-to-left runs (Raqm).
COMPLEX_LAYOUT: bool = bool(features.check("raqm"))

_FALLBACK_COLOUR = (255, 64, 64)
_INK = (255, 255, 255)
_HALO = (0, 0, 0)
_PANEL = (20, 20, 20)


def font_path(bold: bool = False) -> Path:
    """The DejaVu Sans font file that matplotlib ships (regular or bold)."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: matplotlib's DejaVu font is missing; reinstall matplotlib")
    return path


@lru_cache(maxsize=32)
def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """DejaVu Sans at ``size`` pixels, with complex text layout when available."""
    layout = ImageFont.Layout.RAQM if COMPLEX_LAYOUT else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(font_path(bold)), size=max(int(size), 6), layout_engine=layout)


def _needs_layout(text: str) -> bool:
    """True when the text holds right-to-left letters (Hebrew, Arabic, Persian...)."""
    return any("\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufeff" for ch in text)


def callout_text(cue: str, fields: Mapping[str, Any]) -> str:
    """The default callout of a present cue (its report dict gives the details).

    Examples
    --------
    >>> callout_text("yellow_bands", {"count": 3, "groups": 2})
    'three yellow bands on each leg'
    >>> callout_text("serial_4_letter", {"text": "IAQB"})
    'serial “IAQB”'
    """
    if cue == "green_seal_tape":
        return "green security seal"
    if cue == "yellow_bands":
        return "three yellow bands on each leg" if int(fields.get("groups") or 0) >= 2 else "three yellow bands on a leg"
    if cue == "dark_green_cover":
        return "dark green launch tube"
    if cue == "serial_4_letter":
        text = fields.get("text")
        return f"serial \u201c{text}\u201d" if text else "stencilled serial"
    return cue.replace("_", " ")


def find_record(records: Sequence[Mapping[str, Any]], image: str | Path) -> Mapping[str, Any]:
    """The ``results.jsonl`` record of a photo: same bytes (SHA-256) first, then same path.

    Raises
    ------
    ValueError
        No record matches, or the match is an error record.
    """
    path = Path(image)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    match = next((r for r in records if r.get("sha256") == digest), None)
    if match is None:
        wanted = os.path.abspath(path)
        match = next((r for r in records if r.get("image") and os.path.abspath(str(r["image"])) == wanted), None)
    if match is None:
        raise ValueError(f"{image}: no record with this photo's SHA-256 or path in the results; scan it first")
    if match.get("status") != "ok":
        raise ValueError(f"{image}: its record is an error record ({match.get('error')})")
    return match


@dataclass(frozen=True)
class _Callout:
    cue: str
    text: str
    colour: tuple[int, int, int]
    boxes: tuple[tuple[int, int, int, int], ...]

    @property
    def union(self) -> tuple[int, int, int, int]:
        x0 = min(b[0] for b in self.boxes)
        y0 = min(b[1] for b in self.boxes)
        x1 = max(b[0] + b[2] for b in self.boxes)
        y1 = max(b[1] + b[3] for b in self.boxes)
        return x0, y0, x1, y1


@dataclass(frozen=True)
class PublicationAnnotator:
    """Draws the publication image of one photo.

    Parameters
    ----------
    insets : bool
        Add a strip of zoomed crops of each present cue under the photo, numbered on the
        photo and in the strip.
    labels : mapping of cue name to str
        Callout text per cue, replacing the English defaults (any script DejaVu Sans covers).
    font_scale : float
        Multiplies the text size (which follows the photo's size).
    credit : bool
        Add a small line naming the tool, the profile's label and its confidence.
    """

    insets: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    font_scale: float = 1.0
    credit: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.labels, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in self.labels.items()):
            raise TypeError(f"labels: expected a mapping of cue name to text, got {self.labels!r}")
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))
        if not (isinstance(self.font_scale, (int, float)) and 0.2 <= self.font_scale <= 5):
            raise ValueError(f"font_scale: expected a number in [0.2, 5], got {self.font_scale!r}")
        if not COMPLEX_LAYOUT and any(_needs_layout(t) for t in self.labels.values()):
            warnings.warn("Pillow has no Raqm layout engine: right-to-left labels render unjoined and left to right", stacklevel=2)

    def annotate(
        self,
        image: np.ndarray,
        record: Mapping[str, Any],
        *,
        caption: str | None = None,
        source: str | None = None,
        date: str | None = None,
    ) -> np.ndarray:
        """Return the annotated image.

        Parameters
        ----------
        image : (H, W, 3) uint8 ndarray
            The photo in its displayed orientation (the record's boxes are in its pixels).
        record : mapping
            Its ``results.jsonl`` record (status ``ok``).
        caption, source, date : str or None
            Written on the caption line under the photo: ``caption · Source: source · date``.

        Returns
        -------
        (H', W, 3) uint8 ndarray
            The photo with callouts, then the insets strip (optional) and the caption band.

        Examples
        --------
        >>> import numpy as np
        >>> rec = {"status": "ok", "width": 200, "height": 100, "cues": {"green_seal_tape": {
        ...     "state": "present", "score": 0.9, "regions": [{"bbox": [80, 30, 20, 40], "score": 0.9}]}}}
        >>> out = PublicationAnnotator().annotate(np.zeros((100, 200, 3), np.uint8), rec, caption="test")
        >>> out.shape[1], out.shape[0] > 100
        (200, True)
        """
        rgb = as_rgb_uint8(image)
        if record.get("status") != "ok":
            raise ValueError(f"record: expected an analysed photo (status ok), got status {record.get('status')!r}")
        h, w = rgb.shape[:2]
        if (record.get("width"), record.get("height")) not in ((w, h), (None, None)):
            raise ValueError(f"image: expected the record's size {record.get('width')}x{record.get('height')}, got {w}x{h}")
        unit = max(w, h) / 1000.0
        size = max(12, round(22 * unit * self.font_scale))
        callouts = self._callouts(record, w, h)
        photo = Image.fromarray(rgb)
        draw = ImageDraw.Draw(photo)
        font = load_font(size, bold=True)
        for k, c in enumerate(callouts, 1):
            self._outline(draw, c, unit)
            if self.insets:
                self._number(draw, c, k, load_font(size), unit)
        self._place_labels(draw, callouts, font, unit, w, h)
        parts = [np.asarray(photo)]
        if self.insets and callouts:
            parts.append(self._insets_strip(rgb, callouts, w, load_font(size), unit))
        parts.append(self._caption_band(w, record, caption, source, date, size, unit))
        return np.ascontiguousarray(np.vstack(parts))

    # -- what to draw -----------------------------------------------------------------------
    def _callouts(self, record: Mapping[str, Any], w: int, h: int) -> list[_Callout]:
        callouts = []
        for name, cue in (record.get("cues") or {}).items():
            if cue.get("state") != "present":
                continue
            boxes = []
            for region in cue.get("regions") or ():
                x, y, bw, bh = (int(v) for v in region["bbox"])
                x0, y0 = min(max(x, 0), w - 1), min(max(y, 0), h - 1)
                boxes.append((x0, y0, max(1, min(bw, w - x0)), max(1, min(bh, h - y0))))
            if not boxes:
                continue
            fields = {k: v for k, v in cue.items() if k not in ("state", "present", "score", "reason", "regions", "measurements")}
            text = self.labels.get(name) or callout_text(name, fields)
            callouts.append(_Callout(name, text, CUE_COLOURS.get(name, _FALLBACK_COLOUR), tuple(boxes)))
        return callouts

    def _outline(self, draw: ImageDraw.ImageDraw, c: _Callout, unit: float) -> None:
        width = max(2, round(3 * unit))
        for x, y, bw, bh in c.boxes:
            draw.rectangle((x, y, x + bw - 1, y + bh - 1), outline=_HALO, width=width + 2)
            draw.rectangle((x, y, x + bw - 1, y + bh - 1), outline=c.colour, width=width)

    def _number(self, draw: ImageDraw.ImageDraw, c: _Callout, k: int, font: ImageFont.FreeTypeFont, unit: float) -> None:
        x0, y0, _, _ = c.union
        pad = max(2, round(3 * unit))
        left, top, right, bottom = draw.textbbox((0, 0), str(k), font=font)
        box = (x0, max(0, y0 - (bottom - top) - 2 * pad), x0 + (right - left) + 2 * pad, max(bottom - top + 2 * pad, y0))
        draw.rectangle(box, fill=c.colour)
        draw.text((box[0] + pad - left, box[1] + pad - top), str(k), font=font, fill=_HALO)

    def _place_labels(self, draw, callouts: list[_Callout], font, unit: float, w: int, h: int) -> None:
        """Put each label where it covers the least evidence, then draw it and its arrow."""
        pad = max(3, round(6 * unit))
        placed: list[tuple[int, int, int, int]] = []
        evidence = [(b[0], b[1], b[0] + b[2], b[1] + b[3]) for c in callouts for b in c.boxes]
        for k, c in enumerate(callouts, 1):
            text = f"{k}  {c.text}" if self.insets else c.text
            left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
            lw, lh = right - left + 2 * pad, bottom - top + 2 * pad
            ux0, uy0, ux1, uy1 = c.union
            cx, cy = (ux0 + ux1) / 2, (uy0 + uy1) / 2
            best = None
            for distance in (1.5, 3.0, 5.0):
                gap = distance * lh
                for dx, dy in ((-1, -1), (1, -1), (-1, 1), (1, 1), (0, -1), (0, 1), (-1, 0), (1, 0)):
                    x = cx + dx * ((ux1 - ux0) / 2 + gap) - lw / 2 + dx * lw / 2
                    y = cy + dy * ((uy1 - uy0) / 2 + gap) - lh / 2 + dy * lh / 2
                    x = min(max(x, 0), max(w - lw, 0))
                    y = min(max(y, 0), max(h - lh, 0))
                    rect = (x, y, x + lw, y + lh)
                    cost = 10 * sum(_overlap(rect, e) for e in evidence) + 100 * sum(_overlap(rect, p) for p in placed) + distance * lh * lw * 0.05
                    if best is None or cost < best[0]:
                        best = (cost, rect)
            assert best is not None
            rect = tuple(int(round(v)) for v in best[1])
            placed.append(rect)
            lx, ly = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
            nearest = min(c.boxes, key=lambda b: _distance((lx, ly), (b[0], b[1], b[0] + b[2], b[1] + b[3])))
            self._arrow(draw, rect, (nearest[0], nearest[1], nearest[0] + nearest[2], nearest[1] + nearest[3]), c.colour, unit)
            draw.rectangle(rect, fill=_PANEL, outline=c.colour, width=max(2, round(2 * unit)))
            draw.text((rect[0] + pad - left, rect[1] + pad - top), text, font=font, fill=_INK)

    def _arrow(self, draw, label: tuple[int, int, int, int], target: tuple[int, int, int, int], colour, unit: float) -> None:
        lx, ly = (label[0] + label[2]) / 2, (label[1] + label[3]) / 2
        tx = min(max(lx, target[0]), target[2])
        ty = min(max(ly, target[1]), target[3])
        if target[0] <= lx <= target[2] and target[1] <= ly <= target[3]:
            return  # the label sits on its region: nothing to point at
        sx = min(max(tx, label[0]), label[2])
        sy = min(max(ty, label[1]), label[3])
        length = float(np.hypot(tx - sx, ty - sy))
        if length < 4 * unit:
            return
        width = max(2, round(3 * unit))
        head = max(8.0, 16 * unit)
        ux, uy = (tx - sx) / length, (ty - sy) / length
        base = (tx - ux * head, ty - uy * head)
        wing = head * 0.5
        tip = [(tx, ty), (base[0] - uy * wing, base[1] + ux * wing), (base[0] + uy * wing, base[1] - ux * wing)]
        draw.line((sx, sy, base[0], base[1]), fill=_HALO, width=width + 2)
        draw.polygon(tip, fill=colour, outline=_HALO)
        draw.line((sx, sy, base[0], base[1]), fill=colour, width=width)

    def _insets_strip(self, rgb: np.ndarray, callouts: list[_Callout], w: int, font, unit: float) -> np.ndarray:
        h_img = rgb.shape[0]
        gap = max(4, round(10 * unit))
        crops = []
        for c in callouts:
            x0, y0, x1, y1 = c.union
            side = max(x1 - x0, y1 - y0) * 1.3 + 16
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            a0, b0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
            a1, b1 = int(min(w, cx + side / 2)), int(min(h_img, cy + side / 2))
            crops.append(rgb[b0:max(b1, b0 + 1), a0:max(a1, a0 + 1)])
        target_h = max(60, round(0.28 * h_img))
        widths = [max(1, round(cr.shape[1] * target_h / cr.shape[0])) for cr in crops]
        total = sum(widths) + gap * (len(crops) + 1)
        if total > w:
            shrink = (w - gap * (len(crops) + 1)) / sum(widths)
            target_h = max(20, int(target_h * shrink))
            widths = [max(1, int(wd * shrink)) for wd in widths]
        pad = max(3, round(5 * unit))
        texts = [_wrap(f"{k}  {c.text}", font, max(cw, 1)) for k, (c, cw) in enumerate(zip(callouts, widths), 1)]
        line_h = _line_height(font)
        strip = Image.new("RGB", (w, target_h + pad + line_h * max(len(t) for t in texts) + 2 * gap), _PANEL)
        draw = ImageDraw.Draw(strip)
        x = gap
        border = max(2, round(3 * unit))
        for c, crop, cw, lines in zip(callouts, crops, widths, texts):
            zoom = cv2.resize(crop, (cw, target_h), interpolation=cv2.INTER_CUBIC if cw > crop.shape[1] else cv2.INTER_AREA)
            strip.paste(Image.fromarray(zoom), (x, gap))
            draw.rectangle((x - 1, gap - 1, x + cw, gap + target_h), outline=c.colour, width=border)
            for j, line in enumerate(lines):
                draw.text((x, gap + target_h + pad + j * line_h), line, font=font, fill=_INK)
            x += cw + gap
        return np.asarray(strip)

    def _caption_band(self, w: int, record, caption, source, date, size: int, unit: float) -> np.ndarray:
        font = load_font(size)
        small = load_font(max(10, round(size * 0.7)))
        main = "  \u00b7  ".join(_isolate(t) for t in (caption, f"Source: {_isolate(source)}" if source else None, date) if t)
        lines = [(line, font, _INK) for line in _wrap(main, font, w - 2 * round(12 * unit))] if main else []
        if self.credit:
            ident = record.get("identification") or {}
            credit = f"Annotated with vision {__version__}"
            if ident:
                credit += f": {ident.get('label')}, confidence {float(ident.get('confidence', 0)):.2f} from visual cues only"
            lines.extend((line, small, (190, 190, 190)) for line in _wrap(credit, small, w - 2 * round(12 * unit)))
        if not lines:
            return np.zeros((0, w, 3), np.uint8)
        pad = max(4, round(10 * unit))
        heights = [_line_height(f) for _, f, _ in lines]
        band = Image.new("RGB", (w, sum(heights) + 2 * pad), _PANEL)
        draw = ImageDraw.Draw(band)
        y = pad
        for (text, f, ink), lh in zip(lines, heights):
            if _needs_layout(text) and COMPLEX_LAYOUT and not any("a" <= ch.lower() <= "z" for ch in text):
                draw.text((w - round(12 * unit), y), text, font=f, fill=ink, anchor="ra")  # a right-to-left line
            else:
                draw.text((round(12 * unit), y), text, font=f, fill=ink)
            y += lh
        return np.asarray(band)


def _isolate(text: str | None) -> str | None:
    """Wrap text in a Unicode first-strong isolate, so a Persian source next to a Latin date
    keeps each in its own direction (only with Raqm; basic layout would draw the marks)."""
    return f"\u2068{text}\u2069" if text and COMPLEX_LAYOUT else text


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    ascent, descent = font.getmetrics()
    return int(ascent + descent + font.size * 0.25)


def _distance(point: tuple[float, float], rect: tuple[float, float, float, float]) -> float:
    dx = max(rect[0] - point[0], 0.0, point[0] - rect[2])
    dy = max(rect[1] - point[1], 0.0, point[1] - rect[3])
    return float(np.hypot(dx, dy))


def _overlap(a, b) -> float:
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return float(dx * dy) if dx > 0 and dy > 0 else 0.0


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and font.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines
