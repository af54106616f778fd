"""Publication images: callouts where the cues are, insets, caption, Arabic-script text."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.ft2font import FT2Font
from PIL import Image, ImageDraw, ImageFont

from vision.annotate import COMPLEX_LAYOUT, PublicationAnnotator, callout_text, find_record, font_path, load_font
from vision.cli import main
from vision.io import load_image, write_image
from vision.overlay import CUE_COLOURS

PERSIAN = "نوار امنیتی سبز ۱۲۳"  # "green security tape 123"
ARABIC = "شريط أمني أخضر"


def cue(state: str, boxes=(), **fields) -> dict:
    return {
        "state": state,
        "present": state == "present",
        "score": 0.9 if state == "present" else 0.1,
        "reason": None,
        "regions": [{"bbox": list(b), "score": 0.9} for b in boxes],
        "measurements": {},
        **fields,
    }


def scene(w: int = 640, h: int = 480) -> tuple[np.ndarray, dict]:
    """A grey photo with a green tape box and three yellow bands, and its record."""
    rgb = np.full((h, w, 3), 110, np.uint8)
    rgb[200:260, 300:330] = (40, 200, 60)
    bands = [(150, 300 + 30 * k, 14, 10) for k in range(3)]
    for x, y, bw, bh in bands:
        rgb[y : y + bh, x : x + bw] = (230, 200, 30)
    record = {
        "image": "scene.png",
        "sha256": "0" * 64,
        "status": "ok",
        "width": w,
        "height": h,
        "cues": {
            "green_seal_tape": cue("present", [(300, 200, 30, 60)]),
            "yellow_bands": cue("present", bands, count=3, groups=1),
            "dark_green_cover": cue("absent", [(10, 10, 50, 50)], colour="olive_drab"),
        },
        "identification": {"profile": "toofan", "label": "toofan", "confidence": 0.97, "log_lr": 2.0, "verbal": "", "evidence": []},
    }
    return rgb, record


def colour_mask(image: np.ndarray, colour, tol: int = 40) -> np.ndarray:
    return np.all(np.abs(image.astype(int) - np.array(colour)) <= tol, axis=2)


@pytest.mark.parametrize(
    "name, fields, expected",
    [
        ("green_seal_tape", {}, "green security seal"),
        ("yellow_bands", {"count": 3, "groups": 3}, "three yellow bands on each leg"),
        ("yellow_bands", {"count": 3, "groups": 1}, "three yellow bands on a leg"),
        ("dark_green_cover", {"colour": "dark_green"}, "dark green launch tube"),
        ("serial_4_letter", {"text": "IAQB"}, "serial \u201cIAQB\u201d"),
        ("serial_4_letter", {"text": None}, "stencilled serial"),
        ("new_cue", {}, "new cue"),
    ],
)
def test_callout_text(name, fields, expected):
    assert callout_text(name, fields) == expected


def test_callouts_point_at_present_cues_only():
    rgb, record = scene()
    out = PublicationAnnotator(credit=False).annotate(rgb, record, caption="caption")
    h, w = rgb.shape[:2]
    assert out.shape[1] == w and out.shape[0] > h, "caption band under the photo"
    photo = out[:h]
    tape = colour_mask(photo, CUE_COLOURS["green_seal_tape"])
    # the tape's outline runs along its box edges
    assert tape[205:255, 299:304].any(axis=1).all() and tape[205:255, 326:331].any(axis=1).all()
    # the tape colour also appears away from the box: the label frame and the arrow
    far = tape.copy()
    far[190:270, 290:340] = False
    assert far.sum() > 200
    bands = colour_mask(photo, CUE_COLOURS["yellow_bands"])
    assert bands[300:310, 146:152].any(), "each band is outlined"
    # the absent cover gets no outline at its box
    assert not colour_mask(photo[5:65, 5:65], CUE_COLOURS["dark_green_cover"], tol=30).any()


def test_insets_add_a_strip_and_caption_wraps():
    rgb, record = scene()
    plain = PublicationAnnotator(credit=False).annotate(rgb, record, caption="short")
    with_insets = PublicationAnnotator(insets=True, credit=False).annotate(rgb, record, caption="short")
    assert with_insets.shape[0] > plain.shape[0] + 0.25 * rgb.shape[0]
    long = PublicationAnnotator(credit=False).annotate(rgb, record, caption="word " * 200, source="somewhere", date="2024-05-01")
    assert long.shape[0] > plain.shape[0] + 50, "a long caption wraps onto several lines"


def test_dejavu_covers_persian_and_arabic():
    # independent reference: FreeType's character map of the same font file (via matplotlib)
    for path in (font_path(), font_path(bold=True)):
        font = FT2Font(str(path))
        missing = [ch for ch in PERSIAN + ARABIC if not ch.isspace() and font.get_char_index(ord(ch)) == 0]
        assert not missing, f"{path.name} lacks {missing}"


def _render(text: str, layout) -> np.ndarray:
    font = ImageFont.truetype(str(font_path()), 32, layout_engine=layout)
    image = Image.new("L", (600, 60), 0)
    ImageDraw.Draw(image).text((5, 5), text, font=font, fill=255)
    return np.asarray(image)


def test_persian_text_renders_as_glyphs_not_boxes():
    notdef = "\ue000" * len(PERSIAN.replace(" ", ""))
    assert FT2Font(str(font_path())).get_char_index(0xE000) == 0, "U+E000 draws the missing-glyph box"
    glyphs = _render(PERSIAN.replace(" ", ""), ImageFont.Layout.BASIC)
    boxes = _render(notdef, ImageFont.Layout.BASIC)
    assert glyphs.any() and not np.array_equal(glyphs > 0, boxes > 0)


@pytest.mark.skipif(not COMPLEX_LAYOUT, reason="Pillow without Raqm: no Arabic shaping (documented fallback)")
def test_arabic_letters_are_joined_and_right_to_left():
    shaped = _render("سلام", ImageFont.Layout.RAQM)
    unshaped = _render("سلام", ImageFont.Layout.BASIC)
    assert not np.array_equal(shaped > 0, unshaped > 0)
    # right to left: the first letter (seen) is drawn on the right
    seen = _render("س", ImageFont.Layout.RAQM)
    word_cols = np.nonzero(shaped.any(axis=0))[0]
    assert np.nonzero(seen.any(axis=0))[0].max() < word_cols.max()
    assert load_font(20).layout_engine == ImageFont.Layout.RAQM


def test_labels_in_persian_are_drawn():
    rgb, record = scene()
    english = PublicationAnnotator(credit=False).annotate(rgb, record)
    persian = PublicationAnnotator(credit=False, labels={"green_seal_tape": PERSIAN}).annotate(rgb, record, caption=ARABIC, source=PERSIAN)
    assert not np.array_equal(english, persian)


@pytest.mark.parametrize(
    "kwargs, record_change, image_shape, error, message",
    [
        ({}, {"status": "error"}, None, ValueError, "status ok"),
        ({}, {}, (100, 100, 3), ValueError, "record's size"),
        ({}, {}, (100, 100), ValueError, r"\(H, W, 3\)"),
        ({"font_scale": 0}, {}, None, ValueError, "font_scale"),
        ({"labels": {"green_seal_tape": 3}}, {}, None, TypeError, "labels"),
    ],
)
def test_bad_input(kwargs, record_change, image_shape, error, message):
    rgb, record = scene()
    record.update(record_change)
    image = rgb if image_shape is None else np.zeros(image_shape, np.uint8)
    with pytest.raises(error, match=message):
        PublicationAnnotator(**kwargs).annotate(image, record)


def test_find_record(tmp_path):
    rgb, record = scene()
    photo = write_image(tmp_path / "a.png", rgb)
    copy = tmp_path / "copy.png"
    shutil.copy(photo, copy)
    record["sha256"] = __import__("hashlib").sha256(photo.read_bytes()).hexdigest()
    other = {**record, "image": str(tmp_path / "b.png"), "sha256": "1" * 64}
    assert find_record([other, record], copy) is record, "found by content"
    moved = {**record, "image": str(photo), "sha256": "2" * 64}
    assert find_record([other, moved], photo) is moved, "found by path"
    with pytest.raises(ValueError, match="scan it first"):
        find_record([other], copy)
    with pytest.raises(ValueError, match="error record"):
        find_record([{"image": str(photo), "sha256": record["sha256"], "status": "error", "error": "x"}], photo)


def test_command_line(tmp_path):
    rgb, record = scene()
    photo = write_image(tmp_path / "scene.png", rgb)
    record["sha256"] = __import__("hashlib").sha256(photo.read_bytes()).hexdigest()
    record["image"] = str(photo)
    results = tmp_path / "scan"
    results.mkdir()
    (results / "results.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "pub.png"
    argv = ["annotate", str(photo), "--results", str(results), "--out", str(out), "--insets", "--caption", "Toofan", "--source", PERSIAN, "--date", "2024-05-01", "--label", f"green_seal_tape={PERSIAN}"]
    assert main(argv) == 0
    assert load_image(out).rgb.shape[1] == rgb.shape[1]
    with pytest.raises(SystemExit):
        main([*argv[:6], "--label", "no_such_cue=x"])
