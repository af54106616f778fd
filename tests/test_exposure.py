"""Photos mostly crushed to black or clipped to white: a mark found in the well-exposed part
counts, finding nothing is not assessable (never evidence of absence), and the cover's
colour is not judged (the illuminant cannot be estimated)."""

from __future__ import annotations

import numpy as np
import pytest

from test_green_seal_tape import painted_tube as tape_tube
from test_serial_4_letter import needs_tesseract
from test_serial_4_letter import painted_tube as stencilled_tube
from test_yellow_bands import leg_with_bands
from vision.cues import CueState, run_cue
from vision.cues._shapes import exposure_problem
from vision.normalise import Scene

DARK = "too dark (most pixels crushed to black)"
BRIGHT = "overexposed (most pixels clipped to white)"


def framed(image: np.ndarray, level: int) -> np.ndarray:
    """``image`` in the middle of a frame three times its size of grey ``level``: 8/9 of the
    photo is the frame (a launcher lit against a night sky, or a blown-out sky)."""
    h, w = image.shape[:2]
    out = np.full((3 * h, 3 * w, 3), level, np.uint8)
    out[h : 2 * h, w : 2 * w] = image
    return out


@pytest.mark.parametrize(
    "cue, image, state, reason",
    [
        ("green_seal_tape", framed(tape_tube(), 3), CueState.PRESENT, None),
        ("green_seal_tape", framed(tape_tube(), 255), CueState.PRESENT, None),
        ("green_seal_tape", framed(tape_tube(tape_rgb=None), 3), CueState.NOT_ASSESSABLE, DARK),
        ("green_seal_tape", framed(tape_tube(tape_rgb=None), 255), CueState.NOT_ASSESSABLE, BRIGHT),
        ("yellow_bands", framed(leg_with_bands(), 3), CueState.PRESENT, None),
        ("yellow_bands", framed(leg_with_bands(positions=(60, 95)), 3), CueState.NOT_ASSESSABLE, DARK),
        ("yellow_bands", framed(leg_with_bands(positions=()), 255), CueState.NOT_ASSESSABLE, BRIGHT),
        ("dark_green_cover", framed(tape_tube(), 3), CueState.NOT_ASSESSABLE, DARK),
        ("dark_green_cover", framed(tape_tube(), 255), CueState.NOT_ASSESSABLE, BRIGHT),
        ("green_seal_tape", tape_tube(tape_rgb=None), CueState.ABSENT, None),  # the same scene, well exposed
        ("yellow_bands", leg_with_bands(positions=(60, 95)), CueState.ABSENT, None),
    ],
)
def test_marks_are_sought_in_the_exposed_part(cue, image, state, reason):
    result = run_cue(cue, Scene(image))
    assert result.state is state
    assert result.reason == reason


def test_what_was_seen_is_kept_when_not_assessable():
    result = run_cue("yellow_bands", Scene(framed(leg_with_bands(positions=(60, 95)), 3)))
    assert result.reason == DARK
    assert result.fields["count"] == 2 and result.measurements["yellow_blobs"] == 2


@needs_tesseract
@pytest.mark.parametrize("text, state, reason", [("KXRW", CueState.PRESENT, None), ("4721", CueState.ABSENT, None)])
def test_serial_in_the_dark(text, state, reason):
    """Four letters and a legible marking that is no serial are both what was read: they count."""
    result = run_cue("serial_4_letter", Scene(framed(stencilled_tube(text, size=(400, 300)), 3)))
    assert result.state is state
    assert result.reason == reason


@pytest.mark.parametrize(
    "image, reason",
    [
        (np.full((90, 120, 3), 128, np.uint8), None),
        (np.zeros((90, 120, 3), np.uint8), DARK),
        (np.full((90, 120, 3), 255, np.uint8), BRIGHT),
        (framed(np.full((30, 40, 3), 128, np.uint8), 0), DARK),  # 8/9 crushed
        (framed(np.full((30, 40, 3), 0, np.uint8), 128), None),  # 1/9 crushed
    ],
)
def test_exposure_problem(image, reason):
    assert exposure_problem(Scene(image)) == reason
