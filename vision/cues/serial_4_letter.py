"""Four-letter serial: the stencil of four capital letters on a Toofan launch tube, read by OCR.

Toofan tubes carry a serial of four capital letters; US-made tubes carry numeric lot and
serial markings and words. The stencil is 8 to 40 pixels tall, rotated with the tube, in
light or dark paint, blurred and JPEG-damaged. The detector

1. *localises* text at working resolution: strokes are thin features much lighter (or
   darker) than their surroundings, so a morphological top-hat (black-hat) with a kernel
   wider than a stroke keeps them; character-sized components of similar height that
   follow each other at character spacing are chained into lines (either polarity,
   any angle up to ``max_angle``). Lines on the launch tube (when one is found) and lines
   with a clean, uniform background rank first; only the best ``max_regions`` go on;
2. *rectifies* each line from the **original** photo (:attr:`Scene.original`): rotated by
   the tube's axis when the line lies along a found tube, by its own angle otherwise,
   upscaled so capitals are ``ocr_text_height`` pixels tall and binarised (Otsu) to dark
   text on white, whatever the paint's polarity;
3. *reads* every crop in one Tesseract run (:func:`vision.ocr.read_lines`, single-line mode,
   capitals and digits only) and keeps per-character confidences.

The cue is ``present`` when a line reads as exactly four capital letters, each read with
at least ``min_char_confidence``, with character boxes of the line's height. Anything else
read (digits, words, lot numbers) is ``absent``, with what was read kept in the
measurements. Without Tesseract the cue is ``not_assessable`` ("tesseract not installed").
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

import cv2
import numpy as np

from .. import ocr
from ..normalise import Scene
from ..colour import L_SCALE
from ._shapes import assessability, blobs, l_threshold, strip_pixels
from .base import CueResult, CueState, Region
from .dark_green_cover import find_tubes

NAME = "serial_4_letter"


@dataclass(frozen=True)
class Serial4LetterParams:
    """Settings of :func:`detect`.

    Attributes
    ----------
    stroke_kernel : int
        Side of the top-hat / black-hat kernel, working pixels: wider than a stencil stroke.
    min_stroke_contrast, seed_stroke_contrast : float
        ``L*`` a stroke must stand out from its surroundings (hysteresis: components need
        a pixel above the second value).
    char_height_range : (float, float)
        Height of a character, working pixels.
    max_angle : float
        Largest tilt of a line from horizontal, degrees (the tube is rarely steeper).
    max_lines : int
        Most candidate lines kept after ranking.
    max_crops : int
        Best-ranked lines cropped from the original photo and tested for text-like ink.
    max_regions : int
        Most lines sent to Tesseract per photo (the OCR cost cap).
    ocr_text_height : int
        Height, pixels, the line's capitals are scaled to before OCR.
    max_upscale : float
        Largest enlargement of the original pixels for OCR.
    min_char_confidence : float
        Smallest per-character Tesseract confidence (0-100) of a four-letter reading.
    whitelist : str
        Characters Tesseract may output: capitals *and digits*, so a numeric marking reads
        as digits instead of being forced into letters.
    timeout : float
        Seconds allowed for the Tesseract run of one photo.
    min_side : int
        Working images with a shorter side are not assessable.
    """

    stroke_kernel: int = 9
    min_stroke_contrast: float = 10.0
    seed_stroke_contrast: float = 18.0
    char_height_range: tuple[float, float] = (3.0, 60.0)
    max_angle: float = 45.0
    max_regions: int = 6
    max_crops: int = 30
    max_lines: int = 60
    ocr_text_height: int = 40
    max_upscale: float = 6.0
    min_char_confidence: float = 60.0
    whitelist: str = string.ascii_uppercase + string.digits
    timeout: float = 30.0
    min_side: int = 48

    def __post_init__(self) -> None:
        if self.stroke_kernel < 3 or self.stroke_kernel % 2 == 0:
            raise ValueError(f"stroke_kernel must be an odd int >= 3, got {self.stroke_kernel!r}")
        if not 0 < self.char_height_range[0] < self.char_height_range[1]:
            raise ValueError(f"char_height_range must be (low, high) with 0 < low < high, got {self.char_height_range!r}")
        if self.max_regions < 1:
            raise ValueError(f"max_regions must be >= 1, got {self.max_regions!r}")
        if not set(string.ascii_uppercase) <= set(self.whitelist):
            raise ValueError(f"whitelist must contain every capital letter, got {self.whitelist!r}")
        object.__setattr__(self, "char_height_range", tuple(float(v) for v in self.char_height_range))


@dataclass(frozen=True)
class _Line:
    """A candidate text line in working pixels."""

    centre: np.ndarray  # (x, y)
    axis: np.ndarray  # unit vector along the text
    length: float  # along the axis
    height: float  # character height across the axis
    light: bool  # light paint on a darker surface
    chars: int  # components in the line
    score: float  # ranking, higher first
    on_tube: bool


def detect(scene: Scene, params: Serial4LetterParams = Serial4LetterParams()) -> CueResult:
    """Find and read a four-capital-letter serial.

    Parameters
    ----------
    scene : Scene
        Normalised photo (:func:`vision.normalise.normalise`); :attr:`Scene.original` is
        cropped for the OCR.
    params : Serial4LetterParams

    Returns
    -------
    CueResult
        ``present`` with the reading's region when a line reads as four capital letters;
        field ``text`` holds that reading (``None`` otherwise). Measurements give the
        reading's per-character confidences, every line read (``readings``) and the number
        of regions sent to Tesseract (``ocr_regions``).

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from vision.normalise import normalise
    >>> img = np.full((200, 400, 3), 150, np.uint8)
    >>> img[60:140] = (40, 60, 45)                      # a dark tube
    >>> _ = cv2.putText(img, "KXRW", (120, 118), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (235, 235, 220), 3)
    >>> r = detect(normalise(img))                       # doctest: +SKIP
    >>> r.state.value, r.fields["text"]                  # doctest: +SKIP
    ('present', 'KXRW')
    """
    reason = assessability(scene, min_side=params.min_side)
    if reason:
        return CueResult.not_assessable(NAME, reason, fields={"text": None})
    if ocr.tesseract_path() is None:
        ocr.warn_missing_once()
        return CueResult.not_assessable(NAME, ocr.MISSING_REASON, fields={"text": None})
    tubes = find_tubes(scene, limit=3)
    lines = find_text_lines(scene, params, tubes)
    measurements: dict = {"text_lines": len(lines), "ocr_regions": 0, "readings": []}
    # Crops are cheap, Tesseract is not: prepare many, send the most text-like.
    prepared = [(line, _ocr_crop(scene, line, params)) for line in lines[: params.max_crops]]
    prepared = [(line, crop) for line, crop in prepared if crop is not None]
    prepared.sort(key=lambda p: -(p[1].quality * (0.5 + 0.5 * min(p[0].score, 1.0)) + 0.3 * p[0].on_tube))
    prepared = prepared[: params.max_regions]
    chosen, crops = [p[0] for p in prepared], [p[1] for p in prepared]
    if not crops:
        return CueResult(NAME, CueState.ABSENT, 0.0, (), measurements, fields={"text": None})
    pages = [(k, image) for k, crop in enumerate(crops) for image in crop.images]
    try:
        read = ocr.read_lines([image for _, image in pages], whitelist=params.whitelist, psm=7, timeout=params.timeout)
    except (RuntimeError, OSError) as exc:  # a failed run is reported, not hidden
        return CueResult.not_assessable(NAME, f"tesseract failed: {exc}", measurements=measurements, fields={"text": None})
    measurements["ocr_regions"] = len(crops)
    measurements["ocr_images"] = len(pages)
    # Each region is read in two renderings (binarised and grey); the better reading counts.
    candidates = []
    for (k, _), reading in zip(pages, read):
        verdict = _judge(reading, crops[k], params)
        candidates.append((verdict["four_letters"], verdict["score"], k, verdict))
    per_region = {}
    for cand in candidates:
        k = cand[2]
        if k not in per_region or cand[:2] > per_region[k][:2]:
            per_region[k] = cand
    measurements["readings"] = [
        {"text": v[3]["text"], "raw": v[3]["raw"], "confidences": v[3]["confidences"], "score": round(v[1], 4), "on_tube": chosen[k].on_tube}
        for k, v in sorted(per_region.items())
    ]
    four, _, best, verdict = max(per_region.values(), key=lambda c: c[:2])
    line = chosen[best]
    box = _line_box(scene, line)
    if four:
        measurements.update(
            {
                "char_confidences": verdict["confidences"],
                "mean_confidence": float(np.mean(verdict["confidences"])),
                "raw_reading": verdict["raw"],
                "text_height_px": float(line.height * scene.working_pixel_size),
                "angle_deg": float(np.degrees(np.arctan2(line.axis[1], line.axis[0]))),
                "polarity": "light_on_dark" if crops[best].light else "dark_on_light",
                "on_tube": line.on_tube,
            }
        )
        score = 0.5 + 0.5 * verdict["score"]
        region = Region(tuple(box), score, f"serial reads '{verdict['text']}'")
        return CueResult(NAME, CueState.PRESENT, score, (region,), measurements, fields={"text": verdict["text"]})
    measurements["best_reading"] = verdict["raw"]
    score = 0.45 * verdict["score"]
    regions = (Region(tuple(box), score, f"marking reads '{verdict['raw']}'"),) if verdict["raw"] else ()
    return CueResult(NAME, CueState.ABSENT, score, regions, measurements, fields={"text": None})


#: Stencil capitals whose shape Tesseract also reads as a digit (a bar, a ring).
_DIGIT_AS_LETTER = str.maketrans("01", "OI")


def _judge(reading: ocr.LineReading, crop: _Crop, params: Serial4LetterParams) -> dict:
    """Does a reading look like a four-letter serial? ``score`` in [0, 1] grades it.

    A four-character reading with at most one ``0`` or ``1`` among capitals is read as the
    capital of the same shape (``O``, ``I``): Tesseract cannot tell a stencilled ``I``
    from a ``1``. A line of digits stays digits.
    """
    raw = "".join(reading.chars)
    confs = [round(float(c), 2) for c in reading.confidences]
    out = {"four_letters": False, "score": 0.0, "raw": reading.text, "text": raw, "confidences": confs}
    if not raw:
        return out
    folded = raw.translate(_DIGIT_AS_LETTER) if sum(ch.isdigit() for ch in raw) <= 1 else raw
    heights = np.array([b[3] - b[1] for b in reading.boxes], float)
    # Tesseract invents characters on blank or textured crops; real ones are the line's height.
    text_h = crop.text_height
    sized = bool(np.all((heights >= 0.6 * text_h) & (heights <= 1.6 * text_h)))
    letters = len(folded) == 4 and folded.isalpha() and folded.isupper() and not crop.cut
    confident = min(confs) >= params.min_char_confidence
    quality = float(np.clip((np.mean(confs) - params.min_char_confidence) / (100.0 - params.min_char_confidence), 0.0, 1.0))
    out["text"] = folded
    if letters and confident and sized:
        return {**out, "four_letters": True, "score": quality}
    partial = 0.5 * letters + 0.25 * confident + 0.25 * sized
    return {**out, "score": float(partial * min(1.0, np.mean(confs) / 100.0))}


def find_text_lines(scene: Scene, params: Serial4LetterParams = Serial4LetterParams(), tubes: list[dict] | None = None) -> list[_Line]:
    """Candidate text lines, best first, in working pixels.

    Strokes lighter (top-hat) or darker (black-hat) than their surroundings are found at
    a low contrast and kept when they reach a higher one (hysteresis). At working
    resolution a small blurred stencil is one blob per word; larger stencils break into
    letters, which are chained. A line is a blob (or chain) that is elongated like a word
    and sits on a uniform surface.
    """
    lines: list[_Line] = []
    lo, hi = params.char_height_range
    grey = scene.lightness
    lines = _lines_at_scale(grey, params, lo, min(hi, 24.0))
    # Large stencils (letters far apart, strokes wider than the kernel) are found at half
    # resolution, where they look like the small ones.
    half = cv2.pyrDown(grey)
    for line in _lines_at_scale(half, params, 12.0, hi / 2.0):
        lines.append(_Line(line.centre * 2.0 + 0.5, line.axis, line.length * 2.0, line.height * 2.0, line.light, line.chars, line.score, False))
    lines = [_on_tube(line, tubes or []) for line in lines]
    lines.sort(key=lambda l: -l.score)
    return _suppress_overlaps(lines[: params.max_lines])


def _lines_at_scale(grey: np.ndarray, params: Serial4LetterParams, lo: float, hi: float) -> list[_Line]:
    """Text lines of one image scale, both polarities, ranked within each."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (params.stroke_kernel, params.stroke_kernel))
    lines: list[_Line] = []
    for light, op in ((True, cv2.MORPH_TOPHAT), (False, cv2.MORPH_BLACKHAT)):
        hat = cv2.morphologyEx(grey, op, kernel)
        mask = hat >= l_threshold(params.min_stroke_contrast)
        found = blobs(mask, min_area=4, max_area=int(4 * hi * hi * 8), seeds=hat >= l_threshold(params.seed_stroke_contrast))
        if len(found) == 0:
            continue
        # Principal axes and extents of every blob at once (uniform-bar estimate, sqrt(12) sd).
        vals, vecs = np.linalg.eigh(found.cov)
        axes = vecs[:, :, 1] * np.where(vecs[:, 0:1, 1] >= 0, 1.0, -1.0)
        lengths = np.sqrt(12.0 * np.maximum(vals[:, 1], 0.0)) + 1.0
        heights = np.sqrt(12.0 * np.maximum(vals[:, 0], 0.0)) + 1.0
        fill = found.area / np.maximum(heights * lengths, 1.0)
        angle = np.degrees(np.arctan2(axes[:, 1], axes[:, 0]))
        sized = (heights >= lo) & (heights <= hi) & (fill >= 0.15) & (fill <= 0.95)
        # Words: one elongated blob along a moderate angle.
        word = sized & (lengths >= 1.4 * heights) & (lengths <= 14 * heights) & (np.abs(angle) <= params.max_angle)
        words = np.flatnonzero(word)
        # Textured scenes give hundreds of word-like blobs: the most word-shaped and largest
        # go on to the (per-line) surface test.
        typical = (lengths[words] >= 1.8 * heights[words]) & (lengths[words] <= 6.0 * heights[words])
        words = words[np.lexsort((-found.area[words], ~typical))][: params.max_lines]
        for i in words:
            lines.append(_Line(found.centre[i], axes[i], float(lengths[i]), float(heights[i]), light, 1, 0.0, False))
        # Letters: compact blobs of one height, a letter pitch apart, chained into lines.
        bh = found.box[:, 3].astype(np.float64)
        bfill = found.area / np.maximum(found.box[:, 2] * bh, 1.0)
        letter = (found.box[:, 2] <= 2.5 * bh) & (bh >= lo) & (bh <= hi) & (bfill >= 0.15) & (bfill <= 0.95)
        lines.extend(_chain(found, np.flatnonzero(letter), light, params))
        lines = _rank(lines, grey, mask, hat, light)
    return lines


def _rank(lines: list[_Line], grey: np.ndarray, mask: np.ndarray, hat: np.ndarray, light: bool) -> list[_Line]:
    """Score the lines of one polarity not scored yet: contrast of the strokes against
    the uniformity of the surface round them (a stencil on paint, not foliage)."""
    stack = np.dstack([grey, mask.astype(np.uint8) * 255, hat])
    out = []
    for line in lines:
        if line.light != light or line.score != 0.0:
            out.append(line)
            continue
        px = strip_pixels(stack, line.centre, line.axis, line.length / 2 + 0.5 * line.height, 1.0 * line.height)
        if len(px) < 8:
            continue
        ink = px[:, 1] > 0
        if ink.sum() < 3 or (~ink).sum() < 3:
            continue
        contrast = float(np.median(px[ink, 2])) / L_SCALE
        q25, q75 = np.percentile(px[~ink, 0], [25, 75]) / L_SCALE
        clean = contrast / (contrast + 2.0 * float(q75 - q25) + 1.0)
        ink_fraction = float(ink.mean())
        shape = 1.0 if 1.8 <= line.length / line.height <= 6.0 else 0.6
        density = 1.0 if 0.12 <= ink_fraction <= 0.6 else 0.5
        letters = 1.0 + 0.25 * min(line.chars - 1, 3)  # letters seen apart are strong evidence
        score = clean * min(contrast / 25.0, 1.0) * shape * density * letters
        if score > 0.0:
            out.append(_Line(line.centre, line.axis, line.length, line.height, line.light, line.chars, score, False))
    return out


def _chain(found, members: np.ndarray, light: bool, params: Serial4LetterParams) -> list[_Line]:
    """Chain letter-like blobs of similar height that follow each other into lines."""
    if members.size < 2:
        return []
    members = members[np.argsort(-found.area[members])][:3000]
    cx, cy = found.centre[members, 0], found.centre[members, 1]
    hh = found.box[members, 3].astype(np.float64)
    ww = found.box[members, 2].astype(np.float64)
    parent = np.arange(members.size)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    order = np.argsort(cx)
    xs = cx[order]
    for pos, a in enumerate(order):
        end = np.searchsorted(xs, xs[pos] + 2.0 * hh[a], side="right")
        for b in order[pos + 1 : end]:
            href = max(hh[a], hh[b])
            if not 0.67 <= hh[a] / hh[b] <= 1.5:
                continue
            dx, dy = cx[b] - cx[a], cy[b] - cy[a]
            if not 0.3 * href <= math.hypot(dx, dy) <= 1.8 * href or abs(math.degrees(math.atan2(dy, dx))) > params.max_angle:
                continue
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[ra] = rb
    roots = np.array([root(i) for i in range(members.size)])
    lines = []
    for r in np.unique(roots):
        group = np.flatnonzero(roots == r)
        if group.size < 2:
            continue
        centres = np.stack([cx[group], cy[group]], -1)
        centre = centres.mean(axis=0)
        axis = np.linalg.svd(centres - centre, full_matrices=False)[2][0]
        axis = axis if axis[0] >= 0 else -axis
        if abs(math.degrees(math.atan2(axis[1], axis[0]))) > params.max_angle:
            continue
        height = float(np.median(hh[group]))
        offsets = (centres - centre) @ np.array([-axis[1], axis[0]])
        if np.abs(offsets).max() > 0.45 * height:
            continue
        along = (centres - centre) @ axis
        length = float(along.max() - along.min() + np.median(ww[group]))
        lines.append(_Line(centre + axis * (along.max() + along.min()) / 2, axis, length, height, light, int(group.size), 0.0, False))
    return lines


def _on_tube(line: _Line, tubes: list[dict]) -> _Line:
    """A line on a found tube and along it ranks first and takes the tube's axis."""
    on_tube, axis = _tube_fit(line, tubes)
    if not on_tube:
        return line
    return _Line(line.centre, axis, line.length, line.height, line.light, line.chars, line.score, True)


def _suppress_overlaps(lines: list[_Line]) -> list[_Line]:
    """Drop lines whose centre lies on a better line (the dark gaps between light letters
    form a line of the other polarity at the same place)."""
    kept: list[_Line] = []
    for line in lines:
        d = [line.centre - k.centre for k in kept]
        if not any(
            abs(di @ k.axis) <= k.length / 2 + 0.5 * k.height and abs(di @ np.array([-k.axis[1], k.axis[0]])) <= 0.75 * k.height
            for di, k in zip(d, kept)
        ):
            kept.append(line)
    return kept


def _tube_fit(line: _Line, tubes: list[dict]) -> tuple[bool, np.ndarray]:
    """Whether a line lies on a found tube and along it; the tube's axis if so."""
    for tube in tubes:
        u = np.asarray(tube["axis"], float)
        if u[0] < 0:
            u = -u
        d = line.centre - tube["centre"]
        v = np.array([-u[1], u[0]])
        if abs(d @ u) <= tube["length"] / 2 and abs(d @ v) <= 0.6 * tube["diameter"] and abs(line.axis @ u) >= math.cos(math.radians(12)):
            return True, u
    return False, line.axis


def _line_box(scene: Scene, line: _Line) -> list[int]:
    """Axis-aligned box of a line in original pixels."""
    u = line.axis
    v = np.array([-u[1], u[0]])
    corners = np.array([line.centre + su * line.length / 2 * u + sv * line.height / 2 * v for su in (-1, 1) for sv in (-1, 1)])
    x0, y0 = np.maximum(corners.min(axis=0), 0)
    x1, y1 = corners.max(axis=0)
    return scene.box_to_original(x0, y0, max(x1 - x0, 1.0), max(y1 - y0, 1.0))


@dataclass(frozen=True)
class _Crop:
    """A line prepared for OCR: dark text on white, and what was measured on the way."""

    images: tuple[np.ndarray, ...]  # (h, w) uint8 renderings: binarised, grey
    text_height: float  # capitals' height in the renderings, pixels
    light: bool  # light paint on a darker surface
    pieces: int  # ink components kept (letters, or letters run together)
    cut: bool  # the line runs on past the crop: a longer marking than was found
    quality: float  # how much the ink looks like a line of characters, 0-1


def _ocr_crop(scene: Scene, line: _Line, params: Serial4LetterParams, *, refine: bool = True) -> _Crop | None:
    """Rectify a line from the original photo, upscale it, binarise it and keep only the ink
    that forms the line (``None`` when nothing there looks like a line of characters).

    When the characters found at full resolution are much taller or shorter than the
    working-resolution estimate, the line is cropped once more at their measured height.
    """
    pixel = scene.working_pixel_size
    text_h = line.height * pixel
    zoom = float(np.clip(params.ocr_text_height / max(text_h, 1.0), 1.0, params.max_upscale))
    half_len = line.length * pixel / 2.0 + 2.0 * text_h
    half_h = 1.5 * text_h
    out_w, out_h = int(round(2 * half_len * zoom)), int(round(2 * half_h * zoom))
    centre = line.centre * [scene.scale_x, scene.scale_y] + [scene.scale_x / 2 - 0.5, scene.scale_y / 2 - 0.5]
    u = line.axis
    v = np.array([-u[1], u[0]])
    # Output pixel (i, j) samples the original at origin + i/zoom * u + j/zoom * v.
    origin = centre - u * half_len - v * half_h
    matrix = np.array([[u[0] / zoom, v[0] / zoom, origin[0]], [u[1] / zoom, v[1] / zoom, origin[1]]], np.float64)
    corners = np.array([origin + matrix[:, :2] @ [i, j] for i in (0, out_w) for j in (0, out_h)])
    H, W = scene.original.shape[:2]
    x0, y0 = np.clip(np.floor(corners.min(axis=0)) - 2, 0, [W - 1, H - 1]).astype(int)
    x1, y1 = np.clip(np.ceil(corners.max(axis=0)) + 3, [x0 + 1, y0 + 1], [W, H]).astype(int)
    roi = cv2.cvtColor(np.ascontiguousarray(scene.original[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    matrix[:, 2] -= [x0, y0]
    grey = cv2.warpAffine(roi, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    grey = cv2.GaussianBlur(grey, (0, 0), max(0.5, 0.3 * zoom))
    cap = text_h * zoom
    mid = out_h / 2.0
    band = grey[int(mid - 0.6 * cap) : int(mid + 0.6 * cap) + 1]
    level, _ = cv2.threshold(band, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    best = None
    # Ink is looked for in a band along the line only, so letters near the tube's edge do
    # not merge with the sky or ground beyond it.
    rows = np.abs(np.arange(out_h) - mid) <= 0.85 * cap
    core = (out_w / 2.0 - line.length * pixel * zoom / 2.0, out_w / 2.0 + line.length * pixel * zoom / 2.0)
    for light in (True, False):
        ink = ((grey > level) if light else (grey < level)) & rows[:, None]
        found = _line_ink(ink.astype(np.uint8), cap, core)
        if found is not None and (best is None or found[0] > best[0]):
            best = (found[0], light, *found[1:])
    if best is None:
        return None
    quality, light, keep, box, height, pieces, cut = best
    if refine and not 0.75 <= height / cap <= 1.33:
        ratio = height / cap
        again = _Line(line.centre, line.axis, line.length, line.height * ratio, line.light, line.chars, line.score, line.on_tube)
        return _ocr_crop(scene, again, params, refine=False)
    bx0, by0, bx1, by1 = box
    # Tesseract reads the grey levels (its recogniser is not binary): keep the line's ink
    # and a stroke's width round it, stretched to dark text on white, and blank the rest.
    text = 255 - grey if light else grey
    near = cv2.dilate(keep.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (_odd(0.25 * height), _odd(0.25 * height)))) > 0
    ink_level = float(np.median(text[keep]))
    paper = text[by0:by1, bx0:bx1][~keep[by0:by1, bx0:bx1]]
    paper_level = float(np.median(paper)) if paper.size else 255.0
    span = max(paper_level - ink_level, 1.0)
    stretched = np.clip((text.astype(np.float32) - ink_level) * (255.0 / span), 0, 255).astype(np.uint8)
    stretched[~near] = 255
    pad = int(round(0.5 * height))
    image = np.full((by1 - by0 + 2 * pad, bx1 - bx0 + 2 * pad), 255, np.uint8)
    ey0, ey1 = max(by0 - pad, 0), min(by1 + pad, out_h)
    ex0, ex1 = max(bx0 - pad, 0), min(bx1 + pad, out_w)
    image[ey0 - (by0 - pad) : ey1 - (by0 - pad), ex0 - (bx0 - pad) : ex1 - (bx0 - pad)] = stretched[ey0:ey1, ex0:ex1]
    binary = np.where(image > 127, 255, 0).astype(np.uint8)
    return _Crop((binary, image), float(height), light, pieces, cut, quality)


def _odd(value: float) -> int:
    """Nearest odd kernel size, at least 3."""
    return max(3, int(round(value)) | 1)


def _line_ink(ink: np.ndarray, cap: float, core: tuple[float, float]):
    """The ink components forming a line of characters about ``cap`` tall through the
    middle row of ``ink``, chained outwards from ``core`` (x range) across gaps of at most
    one character height. Returns ``(quality, mask, box, height, pieces, cut)`` or ``None``."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return None
    out_h, out_w = ink.shape
    mid = out_h / 2.0
    x, y, w, h, area = (stats[1:, i].astype(np.float64) for i in range(5))
    band_top, band_bottom = mid - 0.85 * cap, mid + 0.85 * cap
    clipped = (y <= band_top + 1) | (y + h >= band_bottom - 1)
    ok = (
        (y <= mid + 0.3 * cap)
        & (y + h >= mid - 0.3 * cap)
        & (h >= 0.45 * cap)
        & (area >= 0.03 * cap * cap)
        & (area <= 0.85 * w * h)
        & (w <= max(1.5 * (core[1] - core[0]), 3.0 * cap))
        & ~(clipped & (w > 1.5 * cap))  # the surface's edge, cut by the band
    )
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return None
    idx = idx[np.argsort(x[idx])]
    inside = (x[idx] + w[idx] >= core[0]) & (x[idx] <= core[1])
    if not inside.any():
        return None
    chosen = set(idx[inside].tolist())
    left, right = min(x[i] for i in chosen), max(x[i] + w[i] for i in chosen)
    for i in idx[::-1]:  # leftwards
        if x[i] + w[i] < left and left - (x[i] + w[i]) <= cap:
            chosen.add(int(i))
            left = x[i]
    for i in idx:  # rightwards
        if x[i] > right and x[i] - right <= cap:
            chosen.add(int(i))
            right = x[i] + w[i]
    chosen = sorted(chosen, key=lambda i: x[i])
    heights = h[chosen]
    height = float(np.median(heights))
    # Components that overlap along the line are one character's pieces, not two characters.
    spread = float(np.std(heights) / height) if len(chosen) > 1 else 0.0
    top, bottom = int(min(y[i] for i in chosen)), int(max(y[i] + h[i] for i in chosen))
    bx0, bx1 = int(left), int(right)
    keep = np.isin(labels, np.array(chosen) + 1)
    fill = float(keep[top:bottom, bx0:bx1].mean())
    cut = bx0 <= 0 or bx1 >= out_w
    aspect = (bx1 - bx0) / max(height, 1.0)
    if len(chosen) == 1 and aspect < 1.6:
        return None  # one compact blob: a stain or a bolt, not a word
    pieces = {1: 0.4, 2: 0.6, 3: 0.8}.get(len(chosen), 1.0 if len(chosen) <= 10 else 0.5)
    quality = (
        pieces
        * max(0.0, 1.0 - spread)
        * (1.0 if 0.18 <= fill <= 0.65 else 0.4)
        * (1.0 if 1.6 <= aspect <= 9.0 else 0.4)
    )
    return quality, keep, (bx0, top, bx1, bottom), height, len(chosen), cut
