"""serial_4_letter: four stencilled capitals read by Tesseract, on painted tubes built in code."""

from __future__ import annotations

import os
import warnings

import cv2
import numpy as np
import pytest

from vision import ocr
from vision.cues import REGISTRY, CueState, run_cue, serial_4_letter
from vision.cues.serial_4_letter import Serial4LetterParams, _judge, _rank, detect, find_text_lines
from vision.normalise import normalise
from vision.synth import jpeg_roundtrip

DARK_GREEN = (38, 62, 44)
TAN = (196, 174, 132)
LIGHT_PAINT = (236, 234, 222)
DARK_PAINT = (28, 26, 24)


def painted_tube(text: str, *, angle: float = 0.0, cap: float = 24.0, tube=DARK_GREEN, paint=LIGHT_PAINT, quality: int | None = None, size=(640, 480)) -> np.ndarray:
    """A tube across a plain background with ``text`` stencilled along it, capitals ``cap``
    pixels tall, the whole scene turned by ``angle`` degrees (counter-clockwise)."""
    w, h = size
    img = np.full((h, w, 3), (150, 160, 170), np.uint8)
    diameter = int(max(3.2 * cap, 40))
    top = h // 2 - diameter // 2
    img[top : top + diameter, 40 : w - 40] = tube
    scale = cap / 22.0  # Hershey simplex capitals are about 22 px tall at scale 1
    thick = max(1, int(round(cap / 9.0)))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    cv2.putText(img, text, (w // 2 - tw // 2, h // 2 + th // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, paint, thick, cv2.LINE_AA)
    if angle:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if quality is not None:
        img = jpeg_roundtrip(img, quality)
    return img


# Tesseract is a declared requirement: tests may skip without it on a developer's machine,
# never in CI (test_tesseract_is_installed_in_ci fails there instead).
needs_tesseract = pytest.mark.skipif(
    ocr.tesseract_path() is None and not os.environ.get("CI"), reason="tesseract not installed (scripts/setup.sh installs it)"
)


def test_tesseract_is_installed_in_ci():
    """CI must fail, not skip, when Tesseract is missing."""
    if os.environ.get("CI"):
        assert ocr.tesserocr is not None, "tesserocr is not installed: pip install -e . (scripts/setup.sh)"
        assert ocr.tesseract_path() is not None, "eng.traineddata not found: run scripts/setup.sh as root (apt-get install tesseract-ocr)"


def test_registered_and_in_the_profile():
    from vision.evidence import load_profile

    assert REGISTRY[serial_4_letter.NAME].params is Serial4LetterParams
    profile = load_profile("toofan")
    cue = next(c for c in profile.cues if c.name == serial_4_letter.NAME)
    # A four-letter reading (0.5-1) is evidence for, a legible marking that is no serial
    # (digits, words: 0-0.15) evidence against.
    assert cue.log10_lr(0.05) < 0 < cue.log10_lr(0.6) <= cue.log10_lr(1.0)


@needs_tesseract
@pytest.mark.parametrize(
    "case, text, kwargs, state, reading",
    [
        ("level, light on dark", "KXRW", {}, CueState.PRESENT, "KXRW"),
        ("rotated +30", "HDGP", {"angle": 30.0}, CueState.PRESENT, "HDGP"),
        ("rotated -30", "BTEZ", {"angle": -30.0}, CueState.PRESENT, "BTEZ"),
        ("dark on light (tan tube)", "MYSK", {"tube": TAN, "paint": DARK_PAINT}, CueState.PRESENT, "MYSK"),
        ("10 px tall", "HWDG", {"cap": 10.0}, CueState.PRESENT, "HWDG"),
        ("JPEG quality 40", "FHAX", {"quality": 40}, CueState.PRESENT, "FHAX"),
        ("rotated, dark on light, JPEG 40", "NSEW", {"angle": 20.0, "tube": TAN, "paint": DARK_PAINT, "quality": 40}, CueState.PRESENT, "NSEW"),
        ("digits-only marking", "4721", {}, CueState.ABSENT, None),
        ("lot number", "LOT 0472", {}, CueState.ABSENT, None),
        ("two words", "US ARMY", {}, CueState.ABSENT, None),
        ("an English word on the tube", "STOP", {}, CueState.ABSENT, None),
    ],
)
def test_reads_the_serial(case, text, kwargs, state, reading):
    result = detect(normalise(painted_tube(text, **kwargs)))
    assert result.state is state, (case, dict(result.measurements))
    assert result.fields["text"] == reading
    assert 1 <= result.measurements["ocr_regions"] <= Serial4LetterParams().max_regions
    if state is CueState.PRESENT:
        assert result.score >= 0.5
        confidences = result.measurements["char_confidences"]
        assert len(confidences) == 4 and all(0.0 <= c <= 100.0 for c in confidences)
        assert reading in result.regions[0].label  # the overlay tag shows the reading
        d = result.to_dict()
        assert d["text"] == reading and d["present"] is True
    else:
        assert result.score < 0.5


@needs_tesseract
@pytest.mark.parametrize(
    "case, image, reason",
    [
        ("plain tube", painted_tube(""), "no text found"),
        ("flat grey", np.full((300, 400, 3), 128, np.uint8), "no text found"),
        ("tiny photo", np.full((20, 30, 3), 128, np.uint8), "too small"),
        ("a blurred stencil", cv2.GaussianBlur(painted_tube("KXRW", cap=12.0), (0, 0), 1.5), "text not legible"),
    ],
)
def test_nothing_to_read_is_not_assessable(case, image, reason):
    """A serial that cannot be seen or read is no evidence either way (never silent evidence
    against, nor for: illegible texture is as common beside a US tube as beside a Toofan)."""
    result = detect(normalise(image))
    assert result.state is CueState.NOT_ASSESSABLE, case
    assert result.reason.startswith(reason)
    assert result.score == 0.0 and result.fields["text"] is None


def _reading(text: str, confidences: list[float]) -> ocr.LineReading:
    chars = tuple(text.replace(" ", ""))
    return ocr.LineReading(text, chars, tuple(map(float, confidences)), tuple((0, 0, 12, 24) for _ in chars))


@pytest.mark.parametrize(
    "text, confidences, four_letters, legible",
    [
        ("KXRW", [95, 95, 95, 95], True, True),
        ("KXRW", [95, 95, 40, 95], False, False),  # a blurred serial: no evidence either way
        ("K XRW", [30, 95, 95, 95], False, False),  # the doubtful K alone makes no second word
        ("KX RW", [95, 95, 95, 95], False, True),  # two words
        ("LOT 0472", [95, 95, 95, 40, 95, 95, 95], False, True),  # sure digits
        ("USARMY", [95, 95, 5, 95, 95, 95], False, True),  # six characters, five sure
        ("KXRWQ", [95, 95, 95, 95, 95], False, False),  # five: perhaps a serial and a speck
        ("K7RW", [95, 95, 95, 95], False, True),  # a sure digit among letters
    ],
)
def test_judge_works_on_what_is_surely_read(text, confidences, four_letters, legible):
    verdict = _judge(_reading(text, confidences), 24.0, False, Serial4LetterParams())
    assert (verdict["four_letters"], verdict["legible"]) == (four_letters, legible)
    assert 0.0 <= verdict["score"] <= (1.0 if four_letters else 0.15 if legible else 0.45)


def test_a_legible_marking_outranks_illegible_text():
    params = Serial4LetterParams()
    digits = _judge(_reading("4721", [95, 95, 95, 95]), 24.0, False, params)
    blurred = _judge(_reading("KXRW", [95, 95, 40, 95]), 24.0, False, params)
    serial = _judge(_reading("KXRW", [70, 70, 70, 70]), 24.0, False, params)
    assert blurred["score"] > digits["score"]  # nearer to four letters ...
    assert _rank(digits) > _rank(blurred)  # ... but a legible reading says more
    assert _rank(serial) > _rank(digits)
    assert _rank(digits, on_tube=True) > _rank(digits, on_tube=False) > _rank(blurred, on_tube=True)


def captioned(text: str, caption: str) -> np.ndarray:
    """:func:`painted_tube` with ``text`` on the tube, reposted with a white caption bar
    below the photo holding ``caption`` in black (a timestamp, a like count)."""
    photo = painted_tube(text)
    bar = np.full((70, photo.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, caption, (20, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 2, cv2.LINE_AA)
    return np.vstack([photo, bar])


@needs_tesseract
@pytest.mark.parametrize(
    "case, text, caption, state",
    [
        ("caption digits, nothing on the tube", "", "0472", CueState.NOT_ASSESSABLE),
        ("caption digits, digits on the tube", "4721", "0472", CueState.ABSENT),
        ("caption digits, a serial on the tube", "KXRW", "0472", CueState.PRESENT),
        ("a four-letter watermark, nothing on the tube", "", "IRNA", CueState.NOT_ASSESSABLE),
        ("a four-letter watermark, a serial on the tube", "KXRW", "IRNA", CueState.PRESENT),
    ],
)
def test_only_a_marking_on_a_launch_tube_counts(case, text, caption, state):
    """A repost's caption, timestamp or like count says nothing about who made the launcher:
    a legible marking that is no serial is evidence against only on a launch tube."""
    result = detect(normalise(captioned(text, caption)))
    assert result.state is state, (case, dict(result.measurements))
    if state is CueState.NOT_ASSESSABLE:
        assert result.reason == "no marking read on a launch tube"
        assert any(r["raw"].replace(" ", "") == caption and not r["on_tube"] for r in result.measurements["readings"])
    if state is CueState.PRESENT:
        assert result.fields["text"] == text  # the tube's serial, not the caption


@needs_tesseract
def test_a_banner_across_the_photo_is_no_launch_tube():
    """A white news banner (text about a third of its height) is a long, even strip like a
    tube, but in no launch tube's paint."""
    img = painted_tube("")
    img[360:450, :] = 250
    cv2.putText(img, "0472", (260, 418), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 2, cv2.LINE_AA)
    result = detect(normalise(img))
    assert result.state is CueState.NOT_ASSESSABLE and result.reason == "no marking read on a launch tube"


def tape_and_marking(text: str, tape: bool = True) -> np.ndarray:
    """:func:`painted_tube` with a green seal tape across the tube left of ``text``, at three
    times the size (worked at half resolution)."""
    img = painted_tube(text)
    if tape:
        img[240 - 38 : 240 + 38, 170:195] = (60, 190, 80)
    return cv2.resize(img, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)


@needs_tesseract
@pytest.mark.parametrize("tape, state", [(True, CueState.ABSENT), (False, CueState.NOT_ASSESSABLE)])
def test_the_seal_tape_locates_the_tube(monkeypatch, tape, state):
    """With the tube finder blind (and the paint test off), a marking counts when it lies on
    the seal tape's tube, in working pixels of a photo reduced by two."""
    from vision.cues import dark_green_cover

    monkeypatch.setattr(dark_green_cover, "find_tubes", lambda *args, **kwargs: [])
    monkeypatch.setattr(serial_4_letter, "_on_paint", lambda *args: False)
    scene = normalise(tape_and_marking("4721", tape))
    assert scene.scale_x == 2.0
    assert run_cue("green_seal_tape", scene).present is tape
    result = detect(scene)
    assert result.state is state, dict(result.measurements)


@pytest.mark.parametrize(
    "surface, expected",
    [((38, 62, 44), True), ((196, 174, 132), True), ((250, 250, 250), False), ((8, 8, 10), False), ((0, 90, 200), False)],
)
def test_text_on_paint_counts_where_no_tube_was_located(surface, expected):
    """Dark green or tan paint around a stencil; not a white, black or blue banner."""
    from vision.cues.serial_4_letter import _Line, _on_paint

    img = np.full((240, 320, 3), (150, 160, 170), np.uint8)
    img[60:180, 40:280] = surface
    line = _Line(np.array([160.0, 120.0]), np.array([1.0, 0.0]), 90.0, 24.0, True, 4, 1.0)
    assert _on_paint(normalise(img), line) is expected


def test_on_tube_is_within_the_tube_strip():
    from vision.cues.serial_4_letter import _Line, _on_tube

    tube = (np.array([200.0, 100.0]), np.array([np.cos(0.5), np.sin(0.5)]), 120.0, 40.0)  # tilted tube
    def line(along, across):
        c = tube[0] + along * tube[1] + across * np.array([-tube[1][1], tube[1][0]])
        return _Line(c, tube[1], 60.0, 12.0, True, 4, 1.0)
    assert _on_tube(line(100.0, 15.0), [tube])
    assert not _on_tube(line(130.0, 0.0), [tube])  # beyond its end
    assert not _on_tube(line(0.0, 25.0), [tube])  # beside it
    assert not _on_tube(line(0.0, 0.0), [])  # no tube known


@needs_tesseract
def test_a_legible_marking_that_is_no_serial_scores_lowest():
    digits = detect(normalise(painted_tube("4721")))
    assert digits.state is CueState.ABSENT and digits.score <= 0.15
    assert "4721" in [r["raw"].replace(" ", "") for r in digits.measurements["readings"]]
    assert digits.measurements["best_reading"].replace(" ", "") == "4721"


@needs_tesseract
def test_region_is_in_original_pixels():
    image = painted_tube("KXRW", size=(2048, 1536), cap=40.0)  # reduced by 2 for the working image
    result = detect(normalise(image))
    assert result.present
    x, y, w, h = result.regions[0].bbox
    ink = np.argwhere(np.abs(image.astype(int) - LIGHT_PAINT).sum(axis=2) < 60)
    (y0, x0), (y1, x1) = ink.min(axis=0), ink.max(axis=0)
    assert x <= x0 + 8 and y <= y0 + 8 and x + w >= x1 - 8 and y + h >= y1 - 8


@pytest.mark.parametrize("angle", [-30.0, 0.0, 30.0])
def test_text_line_found_along_the_text(angle):
    """Localisation alone (no OCR): the best line lies on the stencil, along it, of its height."""
    scene = normalise(painted_tube("KXRW", angle=angle))
    line = find_text_lines(scene)[0]
    assert np.hypot(*(line.centre - [320, 240])) < 12
    tilt = np.degrees(np.arctan2(-line.axis[1], line.axis[0]))  # image y points down
    assert abs(tilt - angle) < 5
    assert 18 <= line.height <= 30


def test_photo_without_text_has_no_line():
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), (0, 0), 6)  # smooth blotches
    assert find_text_lines(normalise(image)) == []


@pytest.mark.parametrize("missing", ["engine", "model"])
def test_missing_tesseract_is_not_assessable(monkeypatch, tmp_path, missing):
    if missing == "engine":
        monkeypatch.setattr(ocr, "tesserocr", None)
    else:  # tesserocr present, no eng.traineddata anywhere
        monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
        monkeypatch.setattr(ocr, "TESSDATA_DIRS", ())
    monkeypatch.setattr(ocr, "_warned", False)
    scene = normalise(painted_tube("KXRW"))
    with pytest.warns(ocr.TesseractMissingWarning, match="tesseract not installed"):
        result = run_cue(serial_4_letter.NAME, scene)
    assert result.state is CueState.NOT_ASSESSABLE
    assert result.reason == "tesseract not installed"
    assert result.fields["text"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per process: the second photo is silent
        assert run_cue(serial_4_letter.NAME, normalise(painted_tube("HDGP"))).reason == "tesseract not installed"


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"stroke_kernel": 4}, "stroke_kernel"),
        ({"max_regions": 0}, "max_regions"),
        ({"char_height_range": (10.0, 5.0)}, "char_height_range"),
        ({"whitelist": "0123456789"}, "whitelist"),
        ({"max_checked": 0}, "max_checked"),
        ({"max_plain_checked": -1}, "max_plain_checked"),
    ],
)
def test_params_validate(overrides, error):
    with pytest.raises(ValueError, match=error):
        Serial4LetterParams(**overrides)


def _line_before_end_cap() -> np.ndarray:
    """Grey levels of a line of four light characters (rings 18 px tall) on a tube, the tube's
    dark end cap just past them and the sky beyond: a band along the line is mostly sky and
    cap at its end, the characters' own part tube and paint."""
    g = np.full((96, 240), 90, np.uint8)
    g[:24] = g[72:] = 230
    for k in range(4):
        cv2.rectangle(g, (40 + 14 * k, 40), (49 + 14 * k, 55), 150, 2)
    g[24:72, 100:108] = 25
    g[:, 108:] = 235
    return cv2.GaussianBlur(g, (0, 0), 0.8)


def test_a_line_beside_the_end_cap_is_measured_on_its_own_part():
    """The whole band's threshold splits the sky from the tube and finds no characters; the
    line's own part's threshold finds them, and the line is verified at their height."""
    g = _line_before_end_cap()
    centre, axis, length, height = (68.0, 47.5), (1.0, 0.0), 64.0, 16.0
    patch = serial_4_letter._rectify(g, centre, axis, length, height, 1.0, along=1.0, across=1.5)
    assert serial_4_letter._glyph_line(patch, 16.0, 16.0) is None
    assert serial_4_letter._glyph_line(patch, 16.0, 16.0, own_part=True) is not None
    checked = serial_4_letter._verify(g, centre, axis, length, height)
    assert checked is not None
    (cx, cy), found_length, found_height, score, light = checked
    assert light and score > 0.1
    assert found_height == pytest.approx(18.0, abs=2.0) and abs(cy - 47.5) < 2.0 and 40 < found_length < 70


def _tube_beside_gravel() -> np.ndarray:
    """A faint serial on a tube above a strip of gravel (bright specks on black), whose specks
    are far more contrasted than the paint."""
    img = painted_tube("KXRW", paint=(120, 140, 125))
    img[380:470, 20:620] = 20
    rng = np.random.default_rng(0)
    for _ in range(160):
        x, y = int(rng.integers(25, 615)), int(rng.integers(385, 465))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(3, 9)), y + int(rng.integers(8, 14))), (250, 250, 250), -1)
    return img


@pytest.mark.parametrize("plain_checks, found", [(0, False), (4, True)])
def test_a_line_on_a_plain_surface_is_checked_beyond_the_most_contrasted(plain_checks, found):
    """With one check, the gravel's specks take it; the serial's chain, on the plainest
    surface, is checked besides when ``max_plain_checked`` allows."""
    scene = normalise(_tube_beside_gravel())
    params = Serial4LetterParams(max_checked=1, max_plain_checked=plain_checks)
    lines = find_text_lines(scene, params)
    on_tube = [line for line in lines if abs(line.centre[1] - 240) < 15 and abs(line.centre[0] - 320) < 40]
    assert bool(on_tube) == found


@needs_tesseract
def test_serial_beside_gravel_is_read():
    assert detect(normalise(_tube_beside_gravel()), Serial4LetterParams(max_checked=1)).fields["text"] == "KXRW"


def _glyph(strokes) -> np.ndarray:
    """A white 60 x 50 crop with black rectangles ``(x0, y0, x1, y1)``, the character's box
    being (10, 10, 40, 51)."""
    img = np.full((60, 50), 255, np.uint8)
    for x0, y0, x1, y1 in strokes:
        img[y0:y1, x0:x1] = 0
    return img


STEM = (24, 10, 32, 51)


@pytest.mark.parametrize(
    "case, strokes, read, expected",
    [
        ("J with a bar on top, hooked left", [(10, 10, 40, 16), STEM, (10, 44, 32, 51), (10, 36, 16, 51)], "KTIC", "KTJC"),
        ("J read as the digit 1", [(10, 10, 40, 16), STEM, (10, 44, 32, 51), (10, 36, 16, 51)], "KT1C", "KTJC"),
        ("I as a plain bar", [STEM], "KTIC", "KTIC"),
        ("I with serifs both ways", [(14, 10, 42, 16), STEM, (14, 45, 42, 51)], "KTIC", "KTIC"),
        ("a hooked shape read as another letter", [(10, 10, 40, 16), STEM, (10, 44, 32, 51), (10, 36, 16, 51)], "KTLC", "KTLC"),
    ],
)
def test_a_stencilled_j_read_as_i_is_read_as_j(case, strokes, read, expected):
    image = _glyph(strokes)
    boxes = ((0, 0, 5, 5), (0, 0, 5, 5), (10, 10, 40, 51), (0, 0, 5, 5))  # only the third is looked at
    reading = ocr.LineReading(read, tuple(read), (95.0,) * 4, boxes, in_dictionary=True)
    mended = serial_4_letter._hooks_to_j(image, reading)
    assert "".join(mended.chars) == mended.text == expected
    assert mended.in_dictionary == (expected == read)


def _line(y: float, score: float) -> serial_4_letter._Line:
    return serial_4_letter._Line(np.array([100.0, y]), np.array([1.0, 0.0]), 60.0, 12.0, True, 4, score)


@pytest.mark.parametrize(
    "case, other_score, expected",
    [
        ("another line of text beside it: a sign", 0.5, True),
        ("a faint fragment of texture beside a clear stencil", 0.1, False),
    ],
)
def test_text_block_needs_a_comparable_line(case, other_score, expected):
    line = _line(50.0, 0.6)
    assert serial_4_letter._in_text_block(line, [line, _line(70.0, other_score)]) is expected


@needs_tesseract
def test_out_of_time_judges_what_was_read(monkeypatch):
    """When the time runs out after a reading, that reading is judged (not thrown away as a
    failed read)."""
    import types

    clock = [0.0]
    monkeypatch.setattr(serial_4_letter, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    read_lines = ocr.read_lines

    def slow(*args, **kwargs):
        out = read_lines(*args, **kwargs)
        clock[0] += 100.0  # each read takes longer than the whole budget
        return out

    monkeypatch.setattr(ocr, "read_lines", slow)
    # A blurred stencil: its first rendering reads nothing sure, and a sharper one would be
    # tried next, but the time is up.
    result = detect(normalise(cv2.GaussianBlur(painted_tube("KXRW", cap=12.0), (0, 0), 1.5)))
    assert result.measurements["ocr_images"] == 1
    assert result.state is CueState.NOT_ASSESSABLE and result.reason == "text not legible"
