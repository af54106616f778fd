"""Four-letter serial: the stencil of four capital letters on a Toofan launch tube, read by OCR.

Toofan tubes carry a serial of four capital letters; US-made tubes carry numeric lot and
serial markings and words. The stencil is 8 to 40 pixels tall, rotated with the tube, in
light or dark paint, blurred and JPEG-damaged. The detector

1. *localises* text lines at working resolution (:func:`find_text_lines`): strokes on a
   pyramid of the lightness, chained into lines, each candidate checked where it lies
   (:func:`_verify`) and ranked by how much it looks like a stencil;
2. *rectifies* the best ``max_crops`` lines from the **original** photo
   (:attr:`Scene.original`), deskewed on the characters' own line and upscaled
   (:func:`_ocr_crop`);
3. *reads* at most ``max_regions`` of them with Tesseract (:func:`vision.ocr.read_lines`),
   each in up to three renderings until one is legible (:meth:`_Crop.renderings`); a
   rendering of which Tesseract's single-line mode reads nothing (letters run together into
   one blob) is read again as a raw line, and a character read ``I`` or ``1`` whose ink
   hooks to the left at its foot is taken as ``J`` (:func:`_hooks_to_j`).

The cue is ``present`` when a line on a launch tube reads as exactly four capital letters
forming one word (:func:`_judge`). A legible marking on a launch tube that is no serial
(digits, words) is ``absent`` with low scores. A line is on a launch tube when it lies on
one located by the seal tape or the cover's tube finder (:func:`launch_tubes`), or on
paint of a tube's colour (:func:`_on_paint`: a tube the finders missed). Legible text
elsewhere (a caption, a timestamp, a watermark, a news agency's four-letter logo) is
``not_assessable``, four letters included. What was read is kept in the measurements.
Four letters beside another line of text as clear (a sign, a label:
:func:`_in_text_block`) are a word, not a serial.
No text found, or text that cannot be read, is ``not_assessable`` (a serial that cannot be
seen or read is no evidence either way), as is a photo without Tesseract ("tesseract not
installed").
"""

from __future__ import annotations

import math
import string
import time
from dataclasses import dataclass

import cv2
import numpy as np

from .. import ocr
from ..colour import L_SCALE, lab_u8_to_float
from ..normalise import Scene
from ._shapes import assessability, histogram_quantiles, l_threshold, median, strip_pixels
from .base import CueResult, CueState, Region

NAME = "serial_4_letter"


@dataclass(frozen=True)
class Serial4LetterParams:
    """Settings of :func:`detect`.

    Attributes
    ----------
    stroke_kernel : int
        Side of the top-hat / black-hat kernel, pixels of each pyramid level: wider than a
        stroke of the characters looked for at that level.
    min_stroke_contrast, seed_stroke_contrast : float
        ``L*`` a stroke must stand out from its surroundings (hysteresis: a component needs
        a pixel above the second value).
    char_height_range : (float, float)
        Height of a character, working pixels.
    max_angle : float
        Largest tilt of a line from horizontal, degrees (the tube is rarely steeper).
    max_glyphs : int
        Most character-like components chained per level and polarity (textured scenes
        give thousands; the largest go on).
    max_lines : int
        Most candidate lines kept after ranking.
    max_checked : int
        Most candidates checked where they lie (:func:`_verify`) per photo, the most
        contrasted first.
    max_plain_checked : int
        Most candidates checked besides, among the chains of three or more glyphs left
        unchecked, those on the plainest surface first (:func:`_clutter` at most 0.1).
    max_crops : int
        Best-ranked lines cropped from the original photo for OCR.
    max_regions : int
        Most lines sent to Tesseract per photo (the OCR cost cap).
    min_line_score : float
        Lines scoring less (text-likeness, :func:`_verify`) are not read.
    ocr_text_height : int
        Height, pixels, the line's capitals are scaled to before OCR (the grey renderings
        are read at 5/6 of it).
    max_upscale : float
        Largest enlargement of the original pixels for OCR.
    min_char_confidence : float
        Smallest per-character Tesseract confidence (0-100) of a four-letter reading.
    whitelist : str
        Characters Tesseract may output: capitals *and digits*, so a numeric marking reads
        as digits instead of being forced into letters.
    timeout : float
        Seconds allowed for the Tesseract reads of one photo.
    min_side : int
        Working images with a shorter side are not assessable.
    """

    stroke_kernel: int = 7
    min_stroke_contrast: float = 12.0
    seed_stroke_contrast: float = 18.0
    char_height_range: tuple[float, float] = (3.0, 48.0)
    max_angle: float = 45.0
    max_glyphs: int = 400
    max_lines: int = 40
    max_checked: int = 16
    max_plain_checked: int = 4
    max_crops: int = 4
    max_regions: int = 3
    min_line_score: float = 0.05
    ocr_text_height: int = 48
    max_upscale: float = 6.0
    min_char_confidence: float = 60.0
    whitelist: str = string.ascii_uppercase + string.digits
    timeout: float = 10.0
    min_side: int = 48

    def __post_init__(self) -> None:
        if self.stroke_kernel < 3 or self.stroke_kernel % 2 == 0:
            raise ValueError(f"stroke_kernel must be an odd int >= 3, got {self.stroke_kernel!r}")
        if not 0 < self.char_height_range[0] < self.char_height_range[1]:
            raise ValueError(f"char_height_range must be (low, high) with 0 < low < high, got {self.char_height_range!r}")
        if self.max_regions < 1:
            raise ValueError(f"max_regions must be >= 1, got {self.max_regions!r}")
        if self.max_checked < 1:
            raise ValueError(f"max_checked must be >= 1, got {self.max_checked!r}")
        if self.max_plain_checked < 0:
            raise ValueError(f"max_plain_checked must be >= 0, got {self.max_plain_checked!r}")
        if not set(string.ascii_uppercase) <= set(self.whitelist):
            raise ValueError(f"whitelist must contain every capital letter, got {self.whitelist!r}")
        object.__setattr__(self, "char_height_range", tuple(float(v) for v in self.char_height_range))


@dataclass(frozen=True)
class _Line:
    """A candidate text line in working pixels."""

    centre: np.ndarray  # (x, y)
    axis: np.ndarray  # unit vector along the text, pointing right
    length: float  # along the axis
    height: float  # character height across the axis
    light: bool  # light paint on a darker surface
    chars: int  # glyphs chained (1: one component, a word whose letters merged)
    score: float  # ranking, higher first


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
        ``present`` (score 0.5-1, graded by Tesseract's confidence) with the reading's
        region when a line on a launch tube reads as four capital letters; field ``text``
        holds that reading (``None`` otherwise). ``absent`` (score 0-0.15) when a line on a
        launch tube reads as a legible marking that is no serial (digits, words).
        ``not_assessable`` when no line of text was found ("no text found"), when what was
        found cannot be read ("text not legible"), or when the legible text lies off every
        launch tube ("no marking read on a launch tube"); see the module notes for what is
        on a launch tube. When the reading time runs out, what was read so far is judged.
        Measurements give every line read (``readings``, with their scores and
        ``on_tube``), the number of regions and images sent to Tesseract (``ocr_regions``,
        ``ocr_images``) and, when present, the per-character confidences.

    Examples
    --------
    >>> import numpy as np, cv2
    >>> from vision.normalise import normalise
    >>> img = np.full((200, 400, 3), 150, np.uint8)
    >>> img[60:140] = (40, 60, 45)                      # a dark tube
    >>> _ = cv2.putText(img, "KXRW", (120, 118), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (235, 235, 220), 3)
    >>> r = detect(normalise(img))
    >>> r.state.value, r.fields["text"]
    ('present', 'KXRW')
    """
    reason = assessability(scene, min_side=params.min_side)
    if reason:
        return CueResult.not_assessable(NAME, reason, fields={"text": None})
    if ocr.tesseract_path() is None:
        ocr.warn_missing_once()
        return CueResult.not_assessable(NAME, ocr.MISSING_REASON, fields={"text": None})
    lines = [line for line in find_text_lines(scene, params) if line.score >= params.min_line_score]
    measurements: dict = {"text_lines": len(lines), "ocr_regions": 0, "ocr_images": 0, "readings": []}
    # Crops are cheap, Tesseract is not: prepare a few, read the most text-like.
    prepared = [(line, _ocr_crop(scene, line, params)) for line in lines[: params.max_crops]]
    prepared = [(line, crop) for line, crop in prepared if crop is not None]
    prepared.sort(key=lambda p: -(p[1].quality * p[0].score))
    prepared = prepared[: params.max_regions]
    if not prepared:
        return CueResult.not_assessable(NAME, "no text found", measurements=measurements, fields={"text": None})
    deadline = time.monotonic() + params.timeout
    tubes = launch_tubes(scene)
    best = None  # (rank, line, crop, verdict): see _rank
    try:
        for line, crop in prepared:
            measurements["ocr_regions"] += 1
            region_best = None
            # Renderings in turn (Tesseract's reading of a blurred stencil depends on its
            # scale and sharpness) until one reads four letters, or a marking that is
            # plainly no serial.
            for image, psm, cap in crop.renderings():
                left = deadline - time.monotonic()
                if left <= 0:
                    if best is not None or region_best is not None:
                        break  # out of time: judge what was read
                    raise RuntimeError(f"no reading within {params.timeout} s")
                reading = ocr.read_lines([image], whitelist=params.whitelist, psm=psm, timeout=left)[0]
                measurements["ocr_images"] += 1
                if not reading.chars and psm == 7 and deadline > time.monotonic():
                    # Tesseract's line finder drops a line whose letters ran together into
                    # one blob; read as a raw line (mode 13), which keeps it.
                    reading = ocr.read_lines([image], whitelist=params.whitelist, psm=13, timeout=deadline - time.monotonic())[0]
                    measurements["ocr_images"] += 1
                reading = _hooks_to_j(image, reading)
                verdict = _judge(reading, cap, crop.cut or crop.gap > _WORD_SPACE, params)
                if region_best is None or _rank(verdict) > _rank(region_best):
                    region_best = verdict
                if verdict["legible"]:
                    break
            if region_best is None:
                break  # out of time before this line was read
            on_tube = _on_tube(line, tubes) or _on_paint(scene, line)
            measurements["readings"].append({**{k: region_best[k] for k in ("text", "raw", "confidences", "score")}, "on_tube": on_tube})
            if best is None or _rank(region_best, on_tube) > best[0]:
                best = (_rank(region_best, on_tube), line, crop, region_best, on_tube)
            if (region_best["four_letters"] and on_tube) or time.monotonic() >= deadline:
                break
    except (RuntimeError, OSError) as exc:  # a failed read is reported, not hidden
        return CueResult.not_assessable(NAME, f"tesseract failed: {exc}", measurements=measurements, fields={"text": None})
    (four, _, _, score), line, crop, verdict, on_tube = best
    box = _line_box(scene, line)
    if four and _in_text_block(line, lines):
        # Four letters among other lines of text (a sign, a label) are a word, not a serial.
        measurements["text_block"] = True
        four, score = False, 0.15 * (1.0 - (score - 0.5) / 0.5)
    if four:
        measurements.update(
            {
                "char_confidences": verdict["confidences"],
                "mean_confidence": float(np.mean(verdict["confidences"])),
                "raw_reading": verdict["raw"],
                "text_height_px": float(crop.text_height),
                "angle_deg": float(np.degrees(np.arctan2(line.axis[1], line.axis[0]))),
                "polarity": "light_on_dark" if crop.light else "dark_on_light",
            }
        )
        region = Region(tuple(box), score, f"serial reads '{verdict['text']}'")
        return CueResult(NAME, CueState.PRESENT, score, (region,), measurements, fields={"text": verdict["text"]})
    measurements["best_reading"] = verdict["raw"]
    if not verdict["legible"]:
        # Text that cannot be read is a serial that cannot be seen: no evidence either way.
        return CueResult.not_assessable(NAME, "text not legible", measurements=measurements, fields={"text": None})
    if not on_tube:
        # A caption, a timestamp, a watermark (IRNA, WION) or a sign is no marking of the
        # launcher: it says nothing of who made it (see launch_tubes).
        return CueResult.not_assessable(NAME, "no marking read on a launch tube", measurements=measurements, fields={"text": None})
    regions = (Region(tuple(box), score, f"marking reads '{verdict['raw']}'"),)
    return CueResult(NAME, CueState.ABSENT, score, regions, measurements, fields={"text": None})


#: Widest gap between the characters of one word, in line heights (letters of a stencil
#: stand 0.1-0.2 heights apart, words a space of about 0.6 or more).
_WORD_SPACE = 0.6

#: Stencil capitals whose shape Tesseract also reads as a digit (a bar, a ring).
_DIGIT_AS_LETTER = str.maketrans("01", "OI")


def _hooks_to_j(image: np.ndarray, reading: ocr.LineReading) -> ocr.LineReading:
    """``reading`` with each ``I`` or ``1`` whose ink ends in a hook to the left read as ``J``.

    Tesseract reads a stencilled ``J`` with a bar on top as ``I``. In the character's box
    of ``image`` (dark ink on white) a ``J``'s bottom quarter reaches left of its stem by
    at least 0.3 of its height and not right of it; an ``I``'s (serifs or none) does neither
    or both. A word changed so is no longer taken as a dictionary word.
    """
    chars = list(reading.chars)
    for i, (ch, box) in enumerate(zip(reading.chars, reading.boxes)):
        if ch in "I1" and _hooked_left(image, box):
            chars[i] = "J"
    if chars == list(reading.chars) or len(reading.text.replace(" ", "")) != len(chars):
        return reading  # nothing changed, or symbols of several characters: leave it as read
    it = iter(chars)
    text = "".join(c if c == " " else next(it) for c in reading.text)
    return ocr.LineReading(text, tuple(chars), reading.confidences, reading.boxes, False)


def _hooked_left(image: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether the ink (``< 128``) in ``box`` (x0, y0, x1, y1, one pixel added round it) is a
    narrow stem (at most half its height wide in its middle rows) whose bottom quarter reaches
    left of the stem by 0.3 of the height or more and right of it by 0.1 or less."""
    x0, y0, x1, y1 = box
    h, w = image.shape
    ink = image[max(y0 - 1, 0) : min(y1 + 1, h), max(x0 - 1, 0) : min(x1 + 1, w)] < 128
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size < 6:
        return False
    top, height = rows[0], float(rows[-1] - rows[0] + 1)
    ink = ink[top : rows[-1] + 1]
    filled = ink.any(axis=1)
    cols = np.arange(ink.shape[1])
    left = np.where(ink, cols, ink.shape[1]).min(axis=1)
    right = np.where(ink, cols, -1).max(axis=1)
    r = np.arange(ink.shape[0])
    middle = filled & (r >= 0.35 * height) & (r <= 0.65 * height)
    bottom = filled & (r >= 0.75 * height)
    if not middle.any() or not bottom.any():
        return False
    stem_left, stem_right = float(np.median(left[middle])), float(np.median(right[middle]))
    if stem_right - stem_left + 1 > 0.5 * height:
        return False
    return stem_left - left[bottom].min() >= 0.3 * height and right[bottom].max() - stem_right <= 0.1 * height


def _rank(verdict: dict, on_tube: bool = True) -> tuple[bool, bool, bool, float]:
    """Order of :func:`_judge` verdicts, best last: four letters on a launch tube, then a
    legible reading on one, then any legible reading (a marking that is plainly no serial
    says more than text that cannot be read; off the tubes it counts for nothing, four
    letters included), then the score."""
    legible = verdict["legible"]
    return verdict["four_letters"] and on_tube, legible and on_tube, legible, verdict["score"]


#: How far along the tube from the seal tape a marking counts as on the tube, in tube
#: diameters each side (a TOW-family tube is about six diameters long).
_TUBE_REACH = 6.0


def launch_tubes(scene: Scene) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
    """Where the launch tube may be: ``(centre, axis, half_length, diameter)`` in working
    pixels, from the seal tape when found (the tube across it, :data:`_TUBE_REACH`
    diameters each side) and from the cover cue's tube finder
    (:func:`.dark_green_cover.shared_tubes` with the default cover settings) where the
    strip could be a launch tube's paint (:func:`.dark_green_cover.could_be_paint`).

    A serial, and a legible marking that is no serial, count only on one of them: US tubes
    carry lot numbers and words, but so do the captions, timestamps and watermarks of every
    repost, whatever it shows.
    """
    from . import run_cue  # the registry imports this module; resolve at call time
    from .dark_green_cover import could_be_paint, shared_tubes

    out = []
    tape = run_cue("green_seal_tape", scene)
    if tape.present and tape.regions:
        m = tape.measurements
        x, y, w, h = tape.regions[0].bbox
        centre = np.array([(x + w / 2.0) / scene.scale_x, (y + h / 2.0) / scene.scale_y])
        angle = math.radians(m["tube_axis_deg"])
        out.append((centre, np.array([math.cos(angle), math.sin(angle)]), _TUBE_REACH * m["diameter_px"], m["diameter_px"]))
    out += [(t["centre"], t["axis"], t["length"] / 2.0, t["diameter"]) for t in shared_tubes(scene) if could_be_paint(t["lab"])]
    return out


def _on_paint(scene: Scene, line: _Line) -> bool:
    """Whether a text line is stencilled on paint (a tube the finders missed): the strips
    just above and below its characters (1-1.7 character heights from its centre line, along
    its length) are one paint, as the cover cue judges a tube's interior
    (:func:`.dark_green_cover.one_paint`), of a launch tube's colour
    (:func:`.dark_green_cover.could_be_paint`). A caption on a white, black or blue banner
    at least about three text heights tall is not; nor, mostly, is a watermark over a busy
    photo. But a grey or red banner is, and a watermark over foliage or sand may be."""
    from .dark_green_cover import could_be_paint, one_paint

    u = np.asarray(line.axis, float)
    v = np.array([-u[1], u[0]])
    sides = [strip_pixels(scene.lab, np.asarray(line.centre, float) + k * 1.35 * line.height * v, u, line.length / 2.0, 0.35 * line.height) for k in (-1, 1)]
    if min(len(side) for side in sides) < 8:
        return False
    med, uniform = one_paint(lab_u8_to_float(np.concatenate(sides).reshape(-1, 1, 3)).reshape(-1, 3))
    return uniform and could_be_paint(med)


def _on_tube(line: _Line, tubes: list) -> bool:
    """Whether a text line's centre lies on one of the ``tubes`` (:func:`launch_tubes`):
    along its length, and within 0.6 of its diameter of its axis (a stencil sits inside the
    silhouette; the diameter measured beside the tape runs up to a sixth short, and its
    centre line is the tape's box centre)."""
    for centre, axis, half_length, diameter in tubes:
        off = np.asarray(line.centre, float) - centre
        along, across = float(off @ axis), float(off[0] * -axis[1] + off[1] * axis[0])
        if abs(along) <= half_length and abs(across) <= 0.6 * diameter:
            return True
    return False


def _word_of_each(reading: ocr.LineReading) -> list[int]:
    """The index of the word (in ``reading.text``) each character of ``reading.chars`` is in;
    every character in word 0 when the text does not spell the characters out.

    Examples
    --------
    >>> _word_of_each(ocr.LineReading("LOT 0472", tuple("LOT0472"), (90.0,) * 7, ((0, 0, 1, 1),) * 7))
    [0, 0, 0, 1, 1, 1, 1]
    """
    words, at = [], 0
    text = reading.text
    for n, word in enumerate(text.split()):
        for sym in reading.chars[len(words) :]:
            if not word.startswith(sym, at):
                break
            words.append(n)
            at += len(sym)
        at = 0
    if len(words) != len(reading.chars) or "".join(text.split()) != "".join(reading.chars):
        return [0] * len(reading.chars)
    return words


def _judge(reading: ocr.LineReading, cap: float, more: bool, params: Serial4LetterParams) -> dict:
    """Does a reading look like a four-letter serial, and how legible is it?

    A four-character reading with at most one ``0`` or ``1`` among capitals is read as the
    capital of the same shape (``O``, ``I``): Tesseract cannot tell a stencilled ``I``
    from a ``1``. A line of digits stays digits. The characters must be about the line's
    height ``cap`` (Tesseract invents small ones on texture) and form one word: ``more``
    says the line holds more than one (a wide space between its characters, or a marking
    running on past the crop). Four letters that make an English word (STOP, EXIT: a sign)
    are a word, not a serial; four random letters make a word of Tesseract's list (names and
    acronyms included) about 3 times in 100.

    Returns a dict: ``four_letters``; ``legible`` (four letters, or a marking that is plainly
    no serial: characters of the line's height of which three or more are read with
    ``min_char_confidence``, and those sure ones include a digit, or number five of six or
    more, or fall in two words (:func:`_word_of_each`); or an English word. One or two
    characters alone may be a blurred serial misread); ``score`` (0.5-1 for four letters, 0-0.15 for a legible
    marking that is no serial; 0.2-0.45 for an illegible one, the nearer to four letters
    the higher, which only ranks readings: the cue reports illegible text as not
    assessable); ``text`` (folded), ``raw``, ``confidences`` and ``boxes``.
    """
    raw = "".join(reading.chars)
    confs = [round(float(c), 2) for c in reading.confidences]
    out = {"four_letters": False, "legible": False, "score": 0.2, "raw": reading.text, "text": raw, "confidences": confs, "boxes": [list(b) for b in reading.boxes]}
    if not raw:
        return out
    fold = sum(ch.isdigit() for ch in raw) <= 1
    folded = raw.translate(_DIGIT_AS_LETTER) if fold else raw
    out["text"] = folded
    heights = np.array([b[3] - b[1] for b in reading.boxes], float)
    # (Tesseract's boxes for single characters are rough: the reading's typical height counts.)
    typical = float(np.median(heights))
    sized = 0.45 * cap <= typical <= 1.6 * cap
    confident = min(confs) >= params.min_char_confidence
    quality = float(np.clip((np.mean(confs) - params.min_char_confidence) / (100.0 - params.min_char_confidence), 0.0, 1.0))
    one_word = " " not in reading.text.strip()
    letters = len(folded) == 4 and folded.isalpha() and folded.isupper() and one_word and not more
    if letters and confident and sized and reading.in_dictionary:
        # An English word (STOP, EXIT on a sign) rather than a serial: four random letters
        # make a word of Tesseract's list about 3 times in 100 (measured on 400 strings).
        return {**out, "legible": True, "word": True, "score": 0.15 * (1.0 - quality)}
    if letters and confident and sized:
        return {**out, "four_letters": True, "legible": True, "score": 0.5 + 0.5 * quality}
    # What is surely read may already rule a serial out (LOT 0472, US ARMY with one
    # character doubtful): a digit, six characters with five sure, or two words.
    words = _word_of_each(reading)
    sure = [(sym.translate(_DIGIT_AS_LETTER) if fold else sym, word) for sym, c, word in zip(reading.chars, confs, words) if c >= params.min_char_confidence]
    sure_text = "".join(sym for sym, _ in sure)
    two_words = len({word for _, word in sure}) >= 2
    if sized and len(sure_text) >= 3 and (any(ch.isdigit() for ch in sure_text) or (len(folded) >= 6 and len(sure_text) >= 5) or two_words):
        return {**out, "legible": True, "score": 0.15 * (1.0 - quality)}
    # Illegible: the nearer to four letters (count, letters, confidence), the higher.
    near = (1.0 - min(abs(len(folded) - 4), 4) / 4.0) * (sum(ch.isalpha() for ch in folded) / len(folded))
    return {**out, "score": 0.2 + 0.25 * near * min(1.0, float(np.mean(confs)) / 100.0)}


def find_text_lines(scene: Scene, params: Serial4LetterParams = Serial4LetterParams()) -> list[_Line]:
    """Candidate text lines, best first, in working pixels.

    The working image is searched at a few scales (a pyramid: 1, 1/2, 1/4, ...), so that at
    one of them the characters are 3 to 12 pixels tall, whatever their size in the photo.
    At each scale, strokes lighter (top-hat) or darker (black-hat) than their surroundings by
    ``min_stroke_contrast`` are ink; an ink component is a *glyph* (a character, or a few
    run together) or, when the text is small enough for its letters to merge, a whole
    *word*. Glyphs of similar height that follow one another at character pitch are chained
    into lines. The ``max_checked`` most contrasted candidates are then checked where they
    lie (:func:`_verify`): resampled along their axis, their characters measured and their
    text-likeness scored. In foliage or gravel a stencil can rank far down by contrast, but
    letters on a tube sit on a plain surface: of the chains of three or more glyphs left
    unchecked, up to ``max_plain_checked`` with the least ink round them (:func:`_clutter`)
    are checked as well. A line lying on a better one (found at another scale, or the gaps
    between letters of the other polarity) is dropped.
    """
    lo, hi = params.char_height_range
    pyramid = [scene.lightness]
    found = []
    while True:
        level = len(pyramid) - 1
        factor = 2.0**level
        g_lo = max(3.0 if level == 0 else 5.0, lo / factor)  # glyph heights at this level; levels overlap
        g_hi = min(12.0, hi / factor)
        if g_lo > g_hi or min(pyramid[-1].shape) < 4 * g_lo:
            break
        for centre, axis, length, height, glyphs, contrast, light, clutter in _lines_at_level(pyramid[-1], params, g_lo, g_hi):
            prior = contrast * (1.0 + 0.1 * min(glyphs, 6))  # letters seen apart are good evidence
            found.append(((centre + 0.5) * factor - 0.5, axis, length * factor, height * factor, glyphs, light, prior, clutter))
        pyramid.append(cv2.pyrDown(pyramid[-1]))
    # The same line is found at neighbouring levels and, as the gaps between its letters,
    # in the other polarity: the most contrasted candidates are checked first, and a
    # candidate lying on a line already verified is not checked again.
    found.sort(key=lambda f: -f[6])
    lines: list[_Line] = []

    def check(candidates, limit):
        """Verify up to ``limit`` of ``candidates`` in turn; returns those left unchecked."""
        checks = 0
        for i, (centre, axis, length, height, glyphs, light, *_) in enumerate(candidates):
            if checks == limit:
                return candidates[i:]
            if lines and _overlaps(centre, lines):
                continue
            checks += 1
            # Checked at the pyramid level where the characters are 8 to 16 pixels tall (level 0 for smaller).
            level = min(max(int(math.floor(math.log2(max(height, 1.0) / _PATCH_HEIGHT))) + 1, 0), len(pyramid) - 1)
            factor = 2.0**level
            checked = _verify(pyramid[level], (centre + 0.5) / factor - 0.5, axis, length / factor, height / factor)
            if checked is not None and checked[3] > 0.0:
                centre, length, height, score, light = checked
                lines.append(_Line((centre + 0.5) * factor - 0.5, np.asarray(axis, float), length * factor, height * factor, light, glyphs, score))
        return []

    rest = check(found, params.max_checked)
    # A stencil on a tube among foliage or gravel can rank far down by contrast; the few
    # unchecked chains of three or more glyphs on the plainest surfaces are checked as well.
    plain = [f for f in rest if f[4] >= 3 and f[7] <= _PLAIN]
    plain.sort(key=lambda f: (round(f[7], 2), -f[6]))
    check(plain, params.max_plain_checked)
    lines.sort(key=lambda l: -l.score)
    return _suppress_overlaps(lines, params.max_lines)


#: Most :func:`_clutter` round a line on a plain surface.
_PLAIN = 0.1


def _lines_at_level(g: np.ndarray, params: Serial4LetterParams, lo: float, hi: float) -> list[tuple]:
    """Candidate lines ``(centre, axis, length, height, glyphs, contrast, light, clutter)``
    in one pyramid level ``g`` whose characters are ``lo``-``hi`` pixels tall (not yet
    verified; ``contrast``: the strokes' mean top-hat or black-hat, ``L*``; ``clutter``:
    the fraction of ink of either polarity round the line, :func:`_clutter`, measured for
    chains of three or more glyphs only, ``inf`` for the others)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (params.stroke_kernel, params.stroke_kernel))
    threshold = l_threshold(params.min_stroke_contrast)
    seed = l_threshold(params.seed_stroke_contrast)
    out: list[tuple] = []
    any_ink = np.zeros(g.shape, np.uint8)
    for light in (True, False):
        hat = cv2.morphologyEx(g, cv2.MORPH_TOPHAT if light else cv2.MORPH_BLACKHAT, kernel)
        ink = cv2.threshold(hat, threshold - 1, 1, cv2.THRESH_BINARY)[1]
        any_ink |= ink
        # Grana's labelling with statistics measured ~3x faster than OpenCV's default here.
        n, labels, stats, centres = cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_32S, cv2.CCL_GRANA)
        # Hysteresis: a component must reach the seed contrast somewhere.
        flat = np.flatnonzero(ink.view(bool).ravel())  # 1-D on bool: several times faster
        owner = labels.ravel().take(flat)  # (take: about twice as fast as indexing)
        strength = hat.ravel().take(flat)
        seeded = np.bincount(owner[strength >= seed], minlength=n)[1:] > 0
        x, y, w, h, area = stats[1:].astype(np.float64).T
        contrast = np.bincount(owner, strength, minlength=n)[1:] / np.maximum(area, 1.0) / L_SCALE  # mean top/black-hat
        centres = centres[1:]
        fill = area / np.maximum(w * h, 1.0)
        # Glyphs: about one character tall (boxes of tilted characters grow: 1.35x at 45 degrees).
        glyph = seeded & (h >= lo) & (h <= 1.35 * hi) & (w <= 2.2 * h) & (w >= 0.1 * h) & (fill >= 0.12) & (fill <= 0.95) & (area >= 4)
        members = np.flatnonzero(glyph)
        if members.size > params.max_glyphs:  # a textured scene: the largest glyphs go on
            members = members[np.argsort(-area[members])][: params.max_glyphs]
        for line in _chain(centres[members], w[members], h[members], contrast[members], params):
            out.append((*line, light))
        # Words: one elongated component (letters merged), measured by its moments; the box
        # of a word tilted by up to about 35 degrees is wider than tall.
        word = seeded & (w >= 1.1 * h) & (w >= 1.5 * lo) & (w <= 12.0 * 1.35 * hi) & (h >= lo) & (area >= 8) & (fill >= 0.2)
        if word.any():
            # Second moments of the candidates at once, from their pixels (sums by label).
            mine = word.take(owner - 1)
            pixels, label = flat[mine], owner[mine]
            ys, xs = np.divmod(pixels, g.shape[1])
            xs, ys = xs - centres[label - 1, 0], ys - centres[label - 1, 1]  # about the centroid
            count = np.maximum(area, 1.0)
            mu20 = np.bincount(label, xs * xs, minlength=n)[1:] / count
            mu02 = np.bincount(label, ys * ys, minlength=n)[1:] / count
            mu11 = np.bincount(label, xs * ys, minlength=n)[1:] / count
            half = np.sqrt((mu20 - mu02) ** 2 / 4.0 + mu11 * mu11)
            length = np.sqrt(12.0 * ((mu20 + mu02) / 2.0 + half)) + 1.0
            height = np.sqrt(12.0 * np.maximum((mu20 + mu02) / 2.0 - half, 0.0)) + 1.0
            angle = 0.5 * np.arctan2(2.0 * mu11, mu20 - mu02)
            word &= (height >= lo) & (height <= hi) & (length >= 1.6 * height) & (length <= 14.0 * height)
            word &= (np.degrees(np.abs(angle)) <= params.max_angle) & (area / (length * height) >= 0.35)  # not a curve or a corner
            for i in np.flatnonzero(word).tolist():  # (Python floats: read one by one)
                a = float(angle[i])
                out.append((centres[i], np.array([math.cos(a), math.sin(a)]), float(length[i]), float(height[i]), 1, float(contrast[i]), light))
    if not out:
        return out
    # Clutter is asked of chains of three or more glyphs only (find_text_lines' plain candidates).
    clutter = [math.inf] * len(out)
    chains = [k for k, o in enumerate(out) if o[4] >= 3]
    if chains:
        measured = _clutter(any_ink, *(np.array([out[k][f] for k in chains]) for f in range(4)))
        for k, c in zip(chains, measured.tolist()):
            clutter[k] = c
    return [(*line, c) for line, c in zip(out, clutter)]


def _clutter(ink: np.ndarray, centres: np.ndarray, axes: np.ndarray, lengths: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Fraction of ``ink`` pixels round each line (``(N, 2)`` centres and unit axes, ``(N,)``
    lengths and heights): in its box grown by a height at its ends and on each side, its own
    box left out (axis-aligned boxes of the tilted lines). Letters on a tube have almost
    none round them; foliage and gravel have ink all round."""
    total = cv2.integral(ink)
    H, W = ink.shape
    ax, ay = np.abs(axes[:, 0]), np.abs(axes[:, 1])

    def box_sum(hw, hh):
        x0 = np.clip(np.round(centres[:, 0] - hw), 0, W).astype(int)
        x1 = np.clip(np.round(centres[:, 0] + hw) + 1, 0, W).astype(int)
        y0 = np.clip(np.round(centres[:, 1] - hh), 0, H).astype(int)
        y1 = np.clip(np.round(centres[:, 1] + hh) + 1, 0, H).astype(int)
        return total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0], (x1 - x0) * (y1 - y0)

    inner, inner_area = box_sum(ax * lengths / 2 + ay * heights / 2, ay * lengths / 2 + ax * heights / 2)
    outer, outer_area = box_sum(ax * (lengths / 2 + heights) + ay * 1.5 * heights, ay * (lengths / 2 + heights) + ax * 1.5 * heights)
    return (outer - inner) / np.maximum(outer_area - inner_area, 1)


def _chain(centres: np.ndarray, widths: np.ndarray, heights: np.ndarray, contrast: np.ndarray, params: Serial4LetterParams) -> list[tuple]:
    """Chain glyphs of similar height that follow one another into lines.

    Two glyphs are linked when their heights agree within a factor 1.5, their centres are 0.3
    to 1.8 heights apart (a space between words included), and the step between them is
    within ``max_angle`` of horizontal. Returns ``(centre, axis, length, height, glyphs,
    contrast)`` for each chain of 2 to 24 glyphs lying along a straight line (``contrast``:
    the glyphs' mean).
    """
    n = centres.shape[0]
    if n < 2:
        return []
    # Candidate pairs: centres within 1.8 of the tallest height across (all pairs of a few
    # hundred glyphs cost more), then the link's conditions on each.
    i, j = _pairs_within(centres[:, 0], 1.8 * float(heights.max()))
    if i.size == 0:
        return []
    dx, dy = centres[j, 0] - centres[i, 0], centres[j, 1] - centres[i, 1]
    href = np.maximum(heights[i], heights[j])
    ratio = heights[i] / heights[j]
    dist2 = dx * dx + dy * dy
    tilt = math.tan(math.radians(params.max_angle))
    link = (ratio >= 0.67) & (ratio <= 1.5) & (dist2 >= (0.3 * href) ** 2) & (dist2 <= (1.8 * href) ** 2) & (np.abs(dy) <= tilt * np.abs(dx))
    if not link.any():
        return []
    root = _components(n, i[link], j[link])
    sizes = np.bincount(root, minlength=n)
    chains = (sizes >= 2) & (sizes <= 24)  # more: a field of blobs (gravel, foliage)
    ok = chains[root]
    if not ok.any():
        return []
    group = (np.cumsum(chains) - 1)[root[ok]]  # chains numbered in order of their first glyph
    pts, hh, ww, cc = centres[ok], heights[ok], widths[ok], contrast[ok]
    # Every chain's centre, principal axis and spread at once.
    k = int(np.count_nonzero(chains))
    size = np.bincount(group, minlength=k).astype(np.float64)
    mean = np.stack([np.bincount(group, pts[:, 0], k), np.bincount(group, pts[:, 1], k)], -1) / size[:, None]
    d = pts - mean[group]
    cxx = np.bincount(group, d[:, 0] ** 2, k)
    cyy = np.bincount(group, d[:, 1] ** 2, k)
    cxy = np.bincount(group, d[:, 0] * d[:, 1], k)
    angle = 0.5 * np.arctan2(2.0 * cxy, cxx - cyy)
    axis = np.stack([np.cos(angle), np.sin(angle)], -1)
    cos = np.abs(axis[:, 0])
    height = np.bincount(group, hh, k) / size * np.maximum(cos, 0.75)  # a tilted glyph's box is taller than the glyph
    width = np.bincount(group, ww, k) / size
    strength = np.bincount(group, cc, k) / size
    along = np.einsum("ij,ij->i", d, axis[group])
    across = np.abs(d[:, 1] * axis[group, 0] - d[:, 0] * axis[group, 1])
    lo_along = np.full(k, np.inf)
    hi_along = np.full(k, -np.inf)
    far = np.zeros(k)
    np.minimum.at(lo_along, group, along)
    np.maximum.at(hi_along, group, along)
    np.maximum.at(far, group, across)
    keep = (np.degrees(np.abs(angle)) <= params.max_angle) & (far <= 0.45 * height)
    out = []
    for i in np.flatnonzero(keep):
        length = float(hi_along[i] - lo_along[i] + width[i] * cos[i] + height[i] * (1.0 - cos[i]))
        centre = mean[i] + axis[i] * (hi_along[i] + lo_along[i]) / 2.0
        out.append((centre, axis[i], length, float(height[i]), int(size[i]), float(strength[i])))
    return out


def _pairs_within(x: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(i, j)``, ``i < j``, of the ``(N,)`` coordinates ``x`` at most ``reach``
    apart (and a few a little farther: a superset, for a test to follow), in no set order.

    The points sorted, each is paired with those after it up to ``reach`` beyond: a sweep
    over one axis (a k-d tree over both costs ~0.2 ms a call in overhead). Two points within
    ``reach`` of each other in the plane are within it along x.

    Examples
    --------
    >>> i, j = _pairs_within(np.array([0.0, 10.0, 1.0, 30.0]), 2.0)
    >>> i.tolist(), j.tolist()
    ([0], [2])
    """
    order = np.argsort(x, kind="stable")
    xs = x[order]
    n = xs.size
    # 1e-9 of slack: a pair at exactly ``reach`` is kept whatever the rounding of the sum.
    ends = np.searchsorted(xs, xs + reach * (1.0 + 1e-9) + 1e-9, side="right")
    counts = ends - np.arange(1, n + 1)
    first = np.repeat(np.arange(n), counts)
    # The k-th partner of point p in sorted order is p + 1 + k.
    second = first + 1 + np.arange(first.size) - np.repeat(np.cumsum(counts) - counts, counts)
    a, b = order[first], order[second]
    return np.minimum(a, b), np.maximum(a, b)


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected components of the graph of ``n`` nodes with edges ``(i, j)``: each node's
    label is the smallest node of its component.

    Vectorised union-find (hooking and pointer jumping, a few passes for a few hundred
    nodes): each edge hooks the root of its larger end under that of its smaller end, and
    every node is pointed at its root, until both ends of every edge share a root. A parent
    is never larger than its child, so each root is its component's smallest node.
    (``scipy.sparse.csgraph.connected_components`` costs ~0.3 ms a call in overhead.)

    Examples
    --------
    >>> _components(5, np.array([3, 1]), np.array([4, 3])).tolist()
    [0, 1, 2, 1, 1]
    """
    parent = np.arange(n)
    while True:
        a, b = parent[i], parent[j]
        differ = a != b
        if not differ.any():
            return parent
        a, b = a[differ], b[differ]
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))
        while True:  # pointer jumping: every node to its root
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up


def _rectify(image: np.ndarray, centre, axis, length: float, height: float, zoom: float, *, along: float, across: float) -> np.ndarray:
    """Resample a line of ``image`` straight: ``length`` plus ``along`` heights at each end
    by ``across`` heights each side of the axis, at ``zoom`` output pixels per image pixel.

    ``image`` is ``(H, W)`` uint8, or ``(H, W, 3)`` RGB (only the pixels under the line are
    converted to grey). Returns ``(h, w)`` uint8: rows run across the axis (down, for text
    read left to right), columns along it.
    """
    u = np.asarray(axis, np.float64)
    v = np.array([-u[1], u[0]])
    half_len, half_h = length / 2.0 + along * height, across * height
    out_w, out_h = max(int(round(2 * half_len * zoom)), 1), max(int(round(2 * half_h * zoom)), 1)
    # Output pixel (i, j) samples the image at origin + i/zoom * u + j/zoom * v.
    origin = np.asarray(centre, np.float64) - u * half_len - v * half_h
    matrix = np.array([[u[0] / zoom, v[0] / zoom, origin[0]], [u[1] / zoom, v[1] / zoom, origin[1]]], np.float64)
    # The bounding box of the output's corners in the image, in plain floats (small numpy
    # calls cost more than the sums).
    cx = [origin[0] + matrix[0, 0] * i + matrix[0, 1] * j for i in (0, out_w) for j in (0, out_h)]
    cy = [origin[1] + matrix[1, 0] * i + matrix[1, 1] * j for i in (0, out_w) for j in (0, out_h)]
    H, W = image.shape[:2]
    x0, y0 = min(max(math.floor(min(cx)) - 2, 0), W - 1), min(max(math.floor(min(cy)) - 2, 0), H - 1)
    x1, y1 = min(max(math.ceil(max(cx)) + 3, x0 + 1), W), min(max(math.ceil(max(cy)) + 3, y0 + 1), H)
    roi = np.ascontiguousarray(image[y0:y1, x0:x1])
    if roi.ndim == 3:
        roi = cv2.cvtColor(roi, cv2.COLOR_RGB2GRAY)
    matrix[:, 2] -= [x0, y0]
    flags = (cv2.INTER_CUBIC if zoom > 1.5 else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(roi, matrix, (out_w, out_h), flags=flags, borderMode=cv2.BORDER_REPLICATE)


@dataclass(frozen=True)
class _Glyphs:
    """The characters of a rectified line: ink components about one line tall through its middle."""

    keep: np.ndarray  # (h, w) bool: their pixels
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of their union
    height: float  # median component height, pixels
    pieces: int  # components kept
    cut: bool  # they run on to the crop's end: a longer marking than the line found
    spread: float  # relative spread of their heights
    light: bool  # light paint on a darker surface
    tilt: float  # slope of the characters' line in the patch (rows per column): the axis is off by atan(tilt)
    gap: float  # widest gap between neighbouring characters, in line heights (a space between words is wide)


def _middle_rows(n: int, half: float) -> slice:
    """The rows ``r`` of ``n`` within ``half`` of the middle, ``|r - (n - 1) / 2| <= half``
    (a run of rows, perhaps empty), as a slice.

    Examples
    --------
    >>> _middle_rows(48, 9.6), _middle_rows(5, 0.2)
    (slice(14, 34, None), slice(2, 3, None))
    """
    mid = (n - 1) / 2.0
    # From bounds that may be off by one (rounding), to the first and last rows passing.
    lo = max(math.ceil(mid - half) - 1, 0)
    while lo < n and abs(lo - mid) > half:
        lo += 1
    hi = min(math.floor(mid + half) + 1, n - 1)
    while hi >= lo and abs(hi - mid) > half:
        hi -= 1
    return slice(lo, hi + 1)


def _otsu_level(patch: np.ndarray, cap: float, margin: float, own_part: bool) -> float:
    """Otsu's threshold of the rows of ``patch`` within 0.6 ``cap`` of its middle: all of
    them, or (``own_part``) only the line's own part, ``margin`` pixels in from each end."""
    band = patch[_middle_rows(patch.shape[0], 0.6 * cap)]
    if own_part:
        m = int(margin)
        band = band[:, m : max(patch.shape[1] - m, m + 1)]
    return cv2.threshold(np.ascontiguousarray(band), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]


def _histogram(values: np.ndarray) -> np.ndarray:
    """Counts of the values 0-255 in the uint8 array ``values``, ``(256,)`` int."""
    return np.bincount(values.ravel(), minlength=256)


def _median_u8(values: np.ndarray) -> float:
    """Median of a non-empty uint8 array, as :func:`numpy.median`, from its histogram."""
    return histogram_quantiles(_histogram(values), (0.5,))[0]


def _glyph_line(patch: np.ndarray, cap: float, margin: float, light: bool | None = None, own_part: bool = False) -> _Glyphs | None:
    """The characters of a rectified line ``patch`` whose capitals are about ``cap`` pixels
    tall in the middle rows, the line's own part starting ``margin`` pixels from each end.

    The patch is binarised (Otsu, on the rows the characters should fill: all along, or
    with ``own_part`` only within the line's own part, :func:`_otsu_level`). The paint's
    polarity is ``light`` or, when ``None``, read from the surface: the paint beyond the
    line's ends and just above and below it is on the other side of the threshold from
    the characters. Ink is looked for within 1.2 ``cap`` of the middle row only, so
    characters near the tube's edge do not merge with the sky or ground beyond it, and long
    runs of ink along the line that reach past it (an edge, a highlight) are removed.
    Components that reach the middle rows and are about a line tall are chained outwards
    from the line's own part across gaps of at most ``cap``; those off the line's common
    top and bottom (capitals share a cap line and a baseline) are left out.
    """
    out_h, out_w = patch.shape
    mid = (out_h - 1) / 2.0
    rows, cols = np.abs(np.arange(out_h) - mid), np.arange(out_w)
    level = _otsu_level(patch, cap, margin, own_part)
    if light is None:
        ends = (cols < margin - 0.3 * cap) | (cols > out_w - margin + 0.3 * cap)
        near = (rows >= 0.9 * cap) & (rows <= 1.3 * cap)
        surface = np.zeros(patch.shape, bool)
        surface[_middle_rows(out_h, 0.6 * cap)] = ends
        surface[near] = ~ends
        values = patch[surface]
        if values.size == 0:
            return None
        light = bool(_median_u8(values) < level)
    # Ink in the rows within 1.2 cap of the middle (``band``), none beyond.
    rows_in = _middle_rows(out_h, 1.2 * cap)
    if rows_in.start >= rows_in.stop:
        return None
    ink = np.zeros_like(patch)
    band = ink[rows_in]
    (np.greater if light else np.less_equal)(patch[rows_in], level, out=band)
    # Runs of ink along the line longer than 2.5 heights that reach past the line's own part
    # are edges (the tube's outline, a highlight, the horizon beyond the tube), not strokes.
    run = max(int(round(2.5 * cap)), 3)
    if run < out_w:
        runs = cv2.morphologyEx(band, cv2.MORPH_OPEN, np.ones((1, run), np.uint8))  # row by row
        if runs.any():
            # The runs with a pixel left of margin - 0.5 cap or right of out_w - margin + 0.5 cap.
            n, labels = cv2.connectedComponents(runs, connectivity=8)
            outside = cols[(cols < margin - 0.5 * cap) | (cols + 1 > out_w - margin + 0.5 * cap)]
            beyond = np.zeros(n, bool)
            beyond[labels[:, outside]] = True
            beyond[0] = False
            band[beyond.take(labels)] = 0  # (take: about twice as fast as indexing)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return None
    # The components one by one in plain Python: a few dozen at most (6 typically), where
    # numpy's cost per call would outweigh the work.
    comps = stats[1:].tolist()  # (x, y, w, h, area) each
    xs = [c[0] for c in comps]
    ends = [c[0] + c[2] for c in comps]
    core = (margin, out_w - margin)
    widest = max(1.5 * (core[1] - core[0]), 3.0 * cap)
    ok = []
    for i, (x, y, w, h, area) in enumerate(comps):
        top_edge, bottom_edge = y <= mid - 1.2 * cap + 1, y + h >= mid + 1.2 * cap - 1
        if (
            y <= mid + 0.3 * cap
            and y + h >= mid - 0.3 * cap
            and h >= 0.45 * cap
            and area >= 0.03 * cap * cap
            and (area <= 0.85 * w * h or w <= 0.3 * h)  # a solid block is no character (an I is a bar)
            and w <= widest
            and not ((top_edge or bottom_edge) and w > 1.5 * cap)  # the surface's edge, cut by the band
            and not (top_edge and bottom_edge)  # taller than the band: not a character of this line
        ):
            ok.append(i)
    chosen = _chain_out(ok, xs, ends, core, cap)
    if not chosen:
        return None
    # Capitals share a cap line and a baseline: leave out what is off them, and chain again.
    height = median([comps[i][3] for i in chosen])
    top, bottom = median([comps[i][1] for i in chosen]), median([comps[i][1] + comps[i][3] for i in chosen])
    aligned = [i for i in ok if abs(comps[i][1] - top) <= 0.3 * height and abs(comps[i][1] + comps[i][3] - bottom) <= 0.3 * height]
    chosen = _chain_out(aligned, xs, ends, core, cap)
    if not chosen:
        return None
    heights = np.array([comps[i][3] for i in chosen], np.float64)
    height = median(heights)
    # (numpy's std, without its overhead: the same sums in the same order)
    spread = float(np.sqrt(np.square(heights - heights.sum() / heights.size).sum() / heights.size) / height) if len(chosen) > 1 else 0.0
    box = (min(xs[i] for i in chosen), min(comps[i][1] for i in chosen), max(ends[i] for i in chosen), max(comps[i][1] + comps[i][3] for i in chosen))
    if (box[2] - box[0]) < 1.2 * height:
        return None  # one compact blob: a stain or a bolt, not a line of characters
    labelled = np.array(chosen, np.intp) + 1
    lut = np.zeros(n, bool)
    lut[labelled] = True
    keep = lut.take(labels)
    # The characters' own direction: their centres' line (capitals are centred on one), or
    # the principal axis of one component holding several letters.
    if len(chosen) >= 3:
        cx, cy, wt = centroids[labelled, 0], centroids[labelled, 1], stats[labelled, 4].astype(np.float64)
        mx, my = np.average(cx, weights=wt), np.average(cy, weights=wt)
        tilt = float(np.sum(wt * (cx - mx) * (cy - my)) / max(float(np.sum(wt * (cx - mx) ** 2)), 1e-9))
    else:
        m = cv2.moments(keep.view(np.uint8), binaryImage=True)
        tilt = math.tan(0.5 * math.atan2(2.0 * m["mu11"], m["mu20"] - m["mu02"])) if m["m00"] > 0 and m["mu20"] > m["mu02"] else 0.0
    # The widest gap between a character and all those left of it.
    gap, reach = 0.0, ends[chosen[0]]
    for i in chosen[1:]:
        gap, reach = max(gap, (xs[i] - reach) / height), max(reach, ends[i])
    return _Glyphs(keep, box, height, len(chosen), box[0] <= 0 or box[2] >= out_w, spread, light, tilt, gap)


def _chain_out(idx: list[int], x: list[int], ends: list[int], core: tuple[float, float], gap: float) -> list[int]:
    """Components ``idx`` (of those spanning ``x[i]`` to ``ends[i]``) overlapping the x range
    ``core``, and those reached from them outwards across gaps of at most ``gap`` (sorted by
    x)."""
    if not idx:
        return []
    # In numpy's order of the ties (a component is reached or not depending on it).
    order = [idx[k] for k in np.argsort(np.array([x[i] for i in idx], np.float64)).tolist()]
    chosen = set(i for i in order if ends[i] >= core[0] and x[i] <= core[1])
    if not chosen:
        return []
    left, right = min(x[i] for i in chosen), max(ends[i] for i in chosen)
    for i in reversed(order):  # leftwards
        if ends[i] < left and left - ends[i] <= gap:
            chosen.add(i)
            left = x[i]
    for i in order:  # rightwards
        if x[i] > right and x[i] - right <= gap:
            chosen.add(i)
            right = ends[i]
    return sorted(chosen, key=x.__getitem__)


#: Character height, pixels, a candidate line is resampled to by :func:`_verify`.
_PATCH_HEIGHT = 16


def _verify(grey: np.ndarray, centre, axis, length: float, height: float) -> tuple | None:
    """Measure a candidate line where it lies and score how much it looks like a stencil.

    The line is resampled from ``grey`` along its axis at a fixed character height
    (:data:`_PATCH_HEIGHT`) and its characters found (:func:`_glyph_line`); when they are
    much taller, shorter or off the middle, the line is resampled once more round them.
    A line of characters has strokes crossing its middle every fraction of a height (a
    pebble, a leaf or a bolt is one solid blob), characters of one height, and sits on a
    plain surface (the paint just round it varies little against the strokes' contrast).

    The characters are first separated from the paint by a threshold taken from the whole
    resampled band, ends included. Where the ends hold something else (the tube's dark end
    cap, the sky past it), that threshold can split the surface instead of the paint: when
    the band finds no line of characters (or a score under :data:`_RETRY_SCORE`) and a
    threshold taken from the line's own part alone differs by :data:`_OWN_LEVEL_STEP` or
    more, the line is measured again with that threshold, and the better score is kept.

    Returns
    -------
    (centre, length, height, score, light) or None
        The line re-measured (pixels of ``grey``) and its score in [0, 1]; ``None`` when no
        characters were found.
    """
    n = _PATCH_HEIGHT
    if height < 1.5 or length < 1.0 * height or length > 30 * height:
        return None
    first = _rectify(grey, centre, axis, length, height, n / height, along=1.0, across=1.5)
    best = _measure_line(grey, centre, axis, length, height, first, own_part=False)
    if (best is None or best[3] < _RETRY_SCORE) and abs(_otsu_level(first, n, n, True) - _otsu_level(first, n, n, False)) >= _OWN_LEVEL_STEP:
        other = _measure_line(grey, centre, axis, length, height, first, own_part=True)
        if other is not None and (best is None or other[3] > best[3]):
            best = other
    return best


#: :func:`_verify` measures a line again on its own part's threshold when it scores less ...
_RETRY_SCORE = 0.05
#: ... and that threshold differs from the whole band's by this much (grey levels) or more.
_OWN_LEVEL_STEP = 3.0


def _measure_line(grey: np.ndarray, centre, axis, length: float, height: float, patch: np.ndarray, own_part: bool) -> tuple | None:
    """:func:`_verify` with one threshold (:func:`_glyph_line`'s ``own_part``); ``patch`` is
    the line already resampled as given."""
    n = _PATCH_HEIGHT
    u, v = np.asarray(axis, float), np.array([-axis[1], axis[0]])
    centre = np.asarray(centre, float)
    for attempt in range(3):
        if attempt > 0:
            if height < 1.5 or length < 1.0 * height or length > 30 * height:
                return None
            patch = _rectify(grey, centre, u, length, height, n / height, along=1.0, across=1.5)
        zoom = n / height
        found = _glyph_line(patch, n, margin=n, own_part=own_part)
        if found is None:
            return None
        x0, y0, x1, y1 = found.box
        rows, cols = patch.shape
        off_v = ((y0 + y1) / 2.0 - (rows - 1) / 2.0) / zoom
        off_u = ((x0 + x1) / 2.0 - (cols - 1) / 2.0) / zoom
        ratio = found.height / n
        if attempt < 2 and (found.cut or not 0.8 <= ratio <= 1.25 or abs(off_v) * zoom > 0.15 * n):
            # Resampled round the characters found; a line running off the patch, longer.
            centre = centre + u * off_u + v * off_v
            height, length = height * ratio, (x1 - x0) / zoom + (4.0 * height * ratio if found.cut else 0.0)
            continue
        break
    keep, hm = found.keep, max(found.height, 2.0)
    box = keep[y0:y1, x0:x1]
    density = float(box.mean())
    # Strokes across the middle: ink/paint changes along the middle rows, per line height.
    mh = y1 - y0
    middle = box[mh // 4 : max(3 * mh // 4, mh // 4 + 1)]
    changes = median(np.count_nonzero(middle[:, 1:] != middle[:, :-1], axis=1))
    pitch = changes / max((x1 - x0) / hm, 1.0)
    strokes = float(np.clip((pitch - 1.2) / 1.3, 0.0, 1.0)) * (1.0 if changes >= 4 else 0.5)
    # The surface: a third of a height above and below the characters, and past their ends.
    pad = max(int(hm / 3), 2)
    sy0, sy1, sx0, sx1 = max(y0 - pad, 0), min(y1 + pad, rows), max(x0 - 2 * pad, 0), min(x1 + 2 * pad, cols)
    if (sy1 - sy0) * (sx1 - sx0) - (y1 - y0) * (x1 - x0) < 8:
        return None  # too few pixels round the characters' box
    chars = patch[y0:y1, x0:x1]
    ring = _histogram(patch[sy0:sy1, sx0:sx1]) - _histogram(chars)  # the characters' box left out
    s50, s10, s90 = histogram_quantiles(ring, (0.5, 0.1, 0.9))
    contrast = abs(_median_u8(chars[box]) - s50) / L_SCALE
    q10, q90 = s10 / L_SCALE, s90 / L_SCALE
    clean = contrast / (contrast + float(q90 - q10) + 1.0)
    dense = 1.0 if 0.15 <= density <= 0.75 else 0.5  # solid blobs and faint specks are no letters
    shape = 1.0 if 1.6 <= (x1 - x0) / hm <= 9.0 else 0.6
    score = min(contrast / 25.0, 1.0) * clean * strokes * dense * shape * max(0.0, 1.0 - found.spread)
    new_centre = centre + u * off_u + v * off_v
    return new_centre, (x1 - x0) / zoom, found.height / zoom, float(np.clip(score, 0.0, 1.0)), found.light


def _in_text_block(line: _Line, lines: list[_Line]) -> bool:
    """Whether another text line of about the same height and text-likeness (score at least
    half of ``line``'s: a faint fragment of texture beside a clear stencil is no text) runs
    beside ``line`` (parallel, within three heights across it and overlapping it along): a
    block of text."""
    u, v = line.axis, np.array([-line.axis[1], line.axis[0]])
    for other in lines:
        if other is line or other.score < 0.5 * line.score or not 0.5 <= other.height / line.height <= 2.0 or abs(other.axis @ u) < 0.95:
            continue
        d = other.centre - line.centre
        if 0.9 * line.height <= abs(d @ v) <= 3.0 * line.height and abs(d @ u) <= (line.length + other.length) / 2.0:
            return True
    return False


def _overlaps(centre: np.ndarray, lines: list[_Line]) -> bool:
    """Whether ``centre`` lies on one of ``lines`` (within its length and 0.75 of its height)."""
    d = np.asarray(centre, float) - np.array([k.centre for k in lines])
    axes = np.array([k.axis for k in lines])
    along = np.abs(np.einsum("ij,ij->i", d, axes))
    across = np.abs(d[:, 1] * axes[:, 0] - d[:, 0] * axes[:, 1])
    half_length = np.array([k.length / 2 + 0.5 * k.height for k in lines])
    half_height = np.array([0.75 * k.height for k in lines])
    return bool(np.any((along <= half_length) & (across <= half_height)))


def _suppress_overlaps(lines: list[_Line], limit: int) -> list[_Line]:
    """The best ``limit`` lines (``lines`` sorted best first), leaving out any whose centre
    lies on a better line (a line found at two neighbouring scales)."""
    kept: list[_Line] = []
    for line in lines:
        if len(kept) == limit:
            break
        if not kept or not _overlaps(line.centre, kept):
            kept.append(line)
    return kept


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
    """A line prepared for OCR, and what was measured on the way."""

    small: np.ndarray  # (h, w) float32: the line's grey levels stretched from ink (0) to paint (255), at _SMALL scale
    binary: np.ndarray  # (H, W) uint8: the characters' mask, black on white
    cap: float  # capitals' height in ``binary``, pixels
    text_height: float  # capitals' height in the original photo, pixels
    light: bool  # light paint on a darker surface
    pieces: int  # ink components kept (letters, or letters run together)
    cut: bool  # the line runs on past the crop: a longer marking than was found
    quality: float  # how much the ink looks like a line of characters, 0-1
    gap: float  # widest gap between neighbouring characters, in line heights

    def renderings(self):
        """``(image, page segmentation mode, capitals' height)`` for Tesseract, in the order
        they are read, each made only when asked for: the stretched grey lightly sharpened,
        the binary mask, the stretched grey sharpened more."""
        yield _sharpen(self.small, 0.5, _SMALL * self.cap / 4.0), 7, _SMALL * self.cap
        yield self.binary, 7, self.cap
        yield _sharpen(self.small, 1.0, _SMALL * self.cap / 10.0), 7, _SMALL * self.cap


def _ocr_crop(scene: Scene, line: _Line, params: Serial4LetterParams) -> _Crop | None:
    """Rectify a line from the original photo, upscaled so its capitals are
    ``ocr_text_height`` pixels tall, find its characters, and render them dark on white
    for Tesseract (``None`` when nothing there looks like a line of characters).

    When the characters found at full resolution are much taller or shorter than the
    working-resolution estimate, or off the middle, the line is cropped once more round them.
    The renderings, read in turn until one is legible (Tesseract's reading of a blurred
    stencil changes with scale and sharpness; measured on development renders, three
    renderings read about 15 % more serials than the best one alone): the line's grey
    levels stretched from ink to paint, at 5/6 of the height, lightly sharpened; the
    characters' binary mask; the stretched grey sharpened more.
    """
    pixel = scene.working_pixel_size
    centre = line.centre * [scene.scale_x, scene.scale_y] + [scene.scale_x / 2 - 0.5, scene.scale_y / 2 - 0.5]
    text_h, length = line.height * pixel, line.length * pixel
    axis = np.asarray(line.axis, float)
    across = np.array([-axis[1], axis[0]])
    for attempt in range(3):
        zoom = float(np.clip(params.ocr_text_height / max(text_h, 1.0), 1.0, params.max_upscale))
        grey = _rectify(scene.original, centre, axis, length, text_h, zoom, along=2.0, across=1.5)
        cap = text_h * zoom
        found = _glyph_line(cv2.GaussianBlur(grey, (0, 0), max(0.5, 0.3 * zoom)), cap, margin=2.0 * cap)
        if found is None:
            return None
        # Off the middle, of another height than estimated, skewed, or running off the crop:
        # crop again round the characters.
        offset = (found.box[1] + found.box[3]) / 2.0 - (grey.shape[0] - 1) / 2.0
        along = (found.box[0] + found.box[2]) / 2.0 - (grey.shape[1] - 1) / 2.0
        skewed = abs(found.tilt) > math.tan(math.radians(1.5))
        if attempt < 2 and (found.cut or skewed or not 0.75 <= found.height / cap <= 1.33 or abs(offset) > 0.15 * cap):
            text_h *= found.height / cap
            centre = centre + (across * offset + axis * along) / zoom
            length = (found.box[2] - found.box[0]) / zoom + (4.0 * text_h if found.cut else 0.0)
            if skewed:  # deskew: turn the axis onto the characters' line
                axis = axis + found.tilt * across
                axis /= np.linalg.norm(axis)
                across = np.array([-axis[1], axis[0]])
            continue
        break
    keep, height = found.keep, found.height
    bx0, by0, bx1, by1 = found.box
    # The line's grey levels stretched from ink (black) to paint (white): Tesseract's
    # recogniser reads grey levels, and a blurred stencil keeps more of its shape there than
    # in any binarisation.
    text = 255 - grey if found.light else grey
    ink_level = _median_u8(text[keep])
    paper = text[by0:by1, bx0:bx1][~keep[by0:by1, bx0:bx1]]
    paper_level = _median_u8(paper) if paper.size else 255.0
    stretched = np.clip((text.astype(np.float32) - ink_level) * (255.0 / max(paper_level - ink_level, 1.0)), 0, 255)
    # Rows beyond the characters (the tube's edge, the sky) are left out.
    stretched[: max(by0 - int(0.25 * height), 0)] = 255.0
    stretched[by1 + int(0.25 * height) :] = 255.0
    grey_crop = _pad_box(stretched, found.box, 0.5 * height)
    small = cv2.resize(grey_crop, None, fx=_SMALL, fy=_SMALL, interpolation=cv2.INTER_AREA)
    binary = _pad_box(np.where(keep, 0, 255).astype(np.uint8), found.box, 0.5 * height)
    fill = float(keep[by0:by1, bx0:bx1].mean())
    aspect = (bx1 - bx0) / max(height, 1.0)
    pieces = {1: 0.4, 2: 0.6, 3: 0.8}.get(found.pieces, 1.0 if found.pieces <= 10 else 0.5)
    quality = pieces * max(0.0, 1.0 - found.spread) * (1.0 if 0.18 <= fill <= 0.65 else 0.4) * (1.0 if 1.6 <= aspect <= 9.0 else 0.4)
    return _Crop(small, binary, float(height), float(height / zoom), found.light, found.pieces, found.cut, quality, found.gap)


#: Scale of the grey renderings against the binary one (Tesseract reads a blurred line
#: differently at different scales; two scales read more lines than one).
_SMALL = 5.0 / 6.0


def _sharpen(image: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """Unsharp mask: ``image + amount * (image - blurred)``, as uint8 (the blur is OpenCV's
    stack blur, a fast near-Gaussian of about ``sigma``)."""
    blurred = cv2.stackBlur(image, (_odd(4.0 * sigma + 1.0),) * 2)
    return np.clip(image + amount * (image - blurred), 0, 255).astype(np.uint8)


def _pad_box(image: np.ndarray, box: tuple[int, int, int, int], pad: float) -> np.ndarray:
    """``image[box]`` with ``pad`` pixels round it (white beyond the image's edges)."""
    bx0, by0, bx1, by1 = box
    p = int(round(pad))
    out = np.full((by1 - by0 + 2 * p, bx1 - bx0 + 2 * p), 255, image.dtype)
    h, w = image.shape
    y0, y1, x0, x1 = max(by0 - p, 0), min(by1 + p, h), max(bx0 - p, 0), min(bx1 + p, w)
    out[y0 - (by0 - p) : y1 - (by0 - p), x0 - (bx0 - p) : x1 - (bx0 - p)] = image[y0:y1, x0:x1]
    return out


def _odd(value: float) -> int:
    """Nearest odd kernel size, at least 3."""
    return max(3, int(round(value)) | 1)
