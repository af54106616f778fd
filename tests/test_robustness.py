"""Social-media damage must not change which cues are found on a clear photo.

The scenes are rendered Toofan launchers with all three colour cues showing; each is
re-encoded after a +-20 % per-channel cast, at JPEG quality 35 and downscaled by half.
"""

from __future__ import annotations

import numpy as np
import pytest

from vision import synth
from vision.pipeline import analyse

SEEDS = [100, 101, 102, 105, 106]
DAMAGE = {
    **{f"cast {g}": (lambda img, g=g: synth.jpeg_roundtrip(synth.colour_cast(img, g), 90)) for g in ([1.2, 1, 1], [0.8, 1, 1], [1, 1.2, 1], [1, 0.8, 1], [1, 1, 1.2], [1, 1, 0.8])},
    "jpeg 35": lambda img: synth.jpeg_roundtrip(img, 35),
    "half size": lambda img: synth.jpeg_roundtrip(synth.downscale(img, 0.5), 90),
}


def states(image):
    """States of the three colour cues (the OCR cue is tested in test_serial_4_letter.py)."""
    return {name: r.state.value for name, r in analyse(image).cues.items() if name != "serial_4_letter"}


@pytest.fixture(scope="module", params=SEEDS)
def scene(request):
    image = synth.render_scene("toofan", request.param, (1280, 960)).image
    return image, states(synth.jpeg_roundtrip(image, 90))


def test_clear_scene_shows_all_cues(scene):
    _, base = scene
    assert base == {"green_seal_tape": "present", "yellow_bands": "present", "dark_green_cover": "present"}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_keeps_cue_states(scene, damage):
    image, base = scene
    assert states(DAMAGE[damage](image)) == base


def test_negative_scene_stays_negative():
    image = synth.render_scene("vegetation", 7, (1280, 960)).image
    for damage in DAMAGE.values():
        assert analyse(damage(image)).identification.confidence < 0.5
