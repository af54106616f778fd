"""The seal-tape detector on scenes built in code: painted tubes, and the look-alikes."""

from __future__ import annotations

import numpy as np
import pytest

from vision import synth
from vision.cues import CueState, run_cue
from vision.cues.green_seal_tape import GreenSealTapeParams
from vision.normalise import Scene


def painted_tube(tape_rgb=(60, 190, 80), tube_rgb=(40, 62, 44), background=(150, 140, 120), size=(400, 300)):
    """A horizontal tube with a band of tape across it, lightly shaded like a cylinder."""
    w, h = size
    img = np.full((h, w, 3), background, np.float32)
    y0, y1 = 120, 170
    shade = 0.75 + 0.35 * np.sin(np.linspace(0, np.pi, y1 - y0))[:, None, None]
    img[y0:y1, 40:360] = np.array(tube_rgb, np.float32) * shade
    if tape_rgb is not None:
        img[y0:y1, 190:215] = np.array(tape_rgb, np.float32) * shade
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "image, expected",
    [
        (painted_tube(), CueState.PRESENT),
        (painted_tube(tape_rgb=None), CueState.ABSENT),
        (painted_tube(tape_rgb=(200, 180, 40)), CueState.ABSENT),  # a yellow band is not the seal
        (np.full((20, 20, 3), 120, np.uint8), CueState.NOT_ASSESSABLE),  # too small
        (np.full((300, 400, 3), 255, np.uint8), CueState.NOT_ASSESSABLE),  # overexposed
    ],
)
def test_states(image, expected):
    assert run_cue("green_seal_tape", Scene(image)).state is expected


def test_region_maps_to_original_pixels():
    big = np.repeat(np.repeat(painted_tube(), 4, axis=0), 4, axis=1)  # 1600 x 1200: worked at 1/2
    result = run_cue("green_seal_tape", Scene(big))
    assert result.present
    x, y, w, h = result.regions[0].bbox
    assert abs(x - 190 * 4) <= 12 and abs((x + w) - 215 * 4) <= 12
    assert abs(y - 120 * 4) <= 12 and abs((y + h) - 170 * 4) <= 12


@pytest.mark.parametrize("kind", ["vegetation", "green_tarp", "empty"])
@pytest.mark.parametrize("seed", [11, 12])
def test_look_alikes_are_not_tape(kind, seed):
    scene = synth.render_scene(kind, seed, (960, 720))
    assert not run_cue("green_seal_tape", Scene(synth.jpeg_roundtrip(scene.image, 80))).present


def test_measurements_explain_the_finding():
    m = run_cue("green_seal_tape", Scene(painted_tube())).measurements
    assert m["lab"][1] < -20  # green: negative a*
    assert m["rectangularity"] > 0.9
    assert m["flank_contrast_L"] > 10


def test_misspelt_parameter_fails_loudly():
    from vision.cues import make_params

    with pytest.raises(ValueError, match="unknown parameter"):
        make_params("green_seal_tape", {"min_chroma_": 10})
    with pytest.raises(ValueError, match="max_area_fraction"):
        GreenSealTapeParams(max_area_fraction=2.0)
