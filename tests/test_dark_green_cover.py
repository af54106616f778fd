"""The cover-colour cue: the tube's paint against named references, by CIEDE2000."""

from __future__ import annotations

import numpy as np
import pytest

from vision.colour import ciede2000, rgb_to_lab
from vision.cues import CueState, run_cue
from vision.cues.dark_green_cover import REFERENCES_LCH, DarkGreenCoverParams, _lch_to_lab
from vision.normalise import Scene


def tube(rgb, background=(170, 160, 150)):
    img = np.full((300, 400, 3), background, np.uint8)
    img[130:170, 40:360] = rgb
    return img


@pytest.mark.parametrize(
    "rgb, state, colour",
    [
        ((38, 72, 50), CueState.PRESENT, "dark_green"),
        ((95, 90, 55), CueState.ABSENT, "olive_drab"),
        ((190, 165, 125), CueState.ABSENT, "tan"),
    ],
)
def test_named_colours(rgb, state, colour):
    result = run_cue("dark_green_cover", Scene(tube(rgb, background=(120, 140, 190) if colour == "tan" else (170, 160, 150))))
    assert result.state is state
    assert result.fields["colour"] == colour
    m = result.measurements
    assert min(m["delta_e2000"], key=m["delta_e2000"].get) == colour


def test_no_tube_is_not_assessable():
    result = run_cue("dark_green_cover", Scene(np.full((300, 400, 3), (120, 130, 110), np.uint8)))
    assert result.state is CueState.NOT_ASSESSABLE
    assert result.reason == "no launch tube found"


def test_references_are_far_apart():
    """The named paints must be distinguishable: CIEDE2000 (kL = 2) between them > 10."""
    labs = [_lch_to_lab(v) for v in REFERENCES_LCH.values()]
    for i in range(len(labs)):
        for j in range(i + 1, len(labs)):
            assert float(ciede2000(labs[i], labs[j], kL=2.0)) > 10


def test_dark_green_reference_is_green():
    lab = _lch_to_lab(REFERENCES_LCH["dark_green"])
    assert lab[1] < 0 and float(ciede2000(lab, rgb_to_lab([38, 72, 50]), kL=2.0)) < 12


def test_unknown_target_fails():
    with pytest.raises(ValueError, match="target must be one of"):
        DarkGreenCoverParams(target="pink")
