"""vision.ocr: the in-process Tesseract engine (tesserocr), the model lookup and line reads."""

from __future__ import annotations

import multiprocessing
import os

import cv2
import numpy as np
import pytest

from vision import ocr

CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

needs_tesseract = pytest.mark.skipif(
    ocr.tesseract_path() is None and not os.environ.get("CI"), reason="tesseract not installed (scripts/setup.sh installs it)"
)


def line(text: str, height: int = 70) -> np.ndarray:
    """Dark text on white, one line."""
    img = np.full((height, 60 + 40 * len(text)), 255, np.uint8)
    cv2.putText(img, text, (15, int(0.75 * height)), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
    return img


@needs_tesseract
def test_reads_lines_with_characters_confidences_and_boxes():
    readings = ocr.read_lines([line("ABCD"), line("1234"), line("AB        12")], whitelist=CAPITALS)
    assert [r.text for r in readings] == ["ABCD", "1234", "AB 12"]
    assert all(len(r.chars) == len(r.confidences) == len(r.boxes) for r in readings)
    assert readings[2].chars == ("A", "B", "1", "2")  # spaces separate words in text only
    assert all(50.0 <= c <= 100.0 for c in readings[0].confidences)
    x0, y0, x1, y1 = readings[0].boxes[0]
    assert 0 <= x0 < x1 <= 60 and 0 <= y0 < y1 <= 70


@needs_tesseract
@pytest.mark.parametrize("text, word", [("STOP", True), ("EXIT", True), ("KXRW", False), ("4721", False)])
def test_dictionary_words_are_flagged(text, word):
    reading = ocr.read_lines([line(text)], whitelist=CAPITALS)[0]
    assert reading.text == text and reading.in_dictionary is word


@needs_tesseract
def test_blank_crop_reads_nothing():
    assert ocr.read_lines([np.full((40, 100), 255, np.uint8), np.zeros((40, 100), np.uint8)], whitelist="ABC") == [
        ocr.LineReading("", (), (), ()),
        ocr.LineReading("", (), (), ()),
    ]


@needs_tesseract
def test_whitelist_limits_the_characters():
    assert set(ocr.read_lines([line("ABCD")], whitelist="0123456789")[0].text) <= set("0123456789")


@needs_tesseract
def test_one_engine_per_process_reused():
    ocr.read_lines([line("AB")], whitelist=CAPITALS)
    first = ocr._engines.api
    ocr.read_lines([line("CD")], whitelist=CAPITALS)
    assert ocr._engines.api is first


def _read_in_child(queue):
    queue.put(ocr.read_lines([line("WXYZ")], whitelist=CAPITALS)[0].text)


@needs_tesseract
def test_forked_worker_gets_its_own_engine():
    ocr.read_lines([line("AB")], whitelist=CAPITALS)  # the parent's engine exists before the fork
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_read_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == "WXYZ"


@needs_tesseract
def test_version_and_model_folder():
    assert ocr.tesseract_version().split(".")[0] in {"4", "5"}
    assert os.path.isfile(os.path.join(ocr.tesseract_path(), "eng.traineddata"))


@pytest.mark.parametrize("as_parent", [False, True])
def test_tessdata_prefix_is_tried_first(monkeypatch, tmp_path, as_parent):
    folder = tmp_path / "tessdata"
    folder.mkdir()
    (folder / "eng.traineddata").write_bytes(b"")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path if as_parent else folder))
    assert ocr.tessdata_path() == str(folder) + os.sep


def test_no_model_means_not_installed(monkeypatch, tmp_path):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.setattr(ocr, "TESSDATA_DIRS", ())
    assert ocr.tessdata_path() is None and ocr.tesseract_path() is None and ocr.tesseract_version() is None
    with pytest.raises(FileNotFoundError, match="tesseract not installed"):
        ocr.read_lines([np.full((40, 100), 255, np.uint8)], whitelist="ABC")


def test_no_engine_means_not_installed(monkeypatch):
    monkeypatch.setattr(ocr, "tesserocr", None)
    assert ocr.tesseract_path() is None
    with pytest.raises(FileNotFoundError, match="tesseract not installed"):
        ocr.read_lines([np.full((40, 100), 255, np.uint8)], whitelist="ABC")


@pytest.mark.parametrize(
    "images, whitelist, variables, error",
    [
        ([np.zeros((10, 10, 3), np.uint8)], "ABC", None, ValueError),
        ([np.zeros((10, 10), np.float32)], "ABC", None, ValueError),
        (["not an image"], "ABC", None, ValueError),
        ([np.zeros((10, 10), np.uint8)], "", None, ValueError),
        ([np.zeros((10, 10), np.uint8)], "AB C", None, ValueError),
        ([np.zeros((10, 10), np.uint8)], "AB'C", None, ValueError),
        ([], "ABC", None, None),
    ],
)
def test_read_lines_validates_input(images, whitelist, variables, error):
    if error is None:
        assert ocr.read_lines(images, whitelist=whitelist) == []
    else:
        with pytest.raises(error, match="images\\[0\\]|whitelist"):
            ocr.read_lines(images, whitelist=whitelist, variables=variables)


@needs_tesseract
def test_unknown_variable_is_refused():
    with pytest.raises(ValueError, match="no parameter 'no_such_parameter'"):
        ocr.read_lines([line("AB")], whitelist=CAPITALS, variables={"no_such_parameter": "1"})


@needs_tesseract
def test_variables_hold_for_one_call_only():
    ocr.read_lines([line("AB")], whitelist=CAPITALS)
    api = ocr._engines.api
    before = api.GetVariableAsString("textord_min_xheight")
    ocr.read_lines([line("AB")], whitelist=CAPITALS, variables={"textord_min_xheight": "4"})
    assert api.GetVariableAsString("textord_min_xheight") == before
