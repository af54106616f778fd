"""The tripod-band detector: three bands on a leg, and what must not count as the pattern."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision import synth
from vision.cues import CueState, run_cue
from vision.normalise import Scene

YELLOW = (235, 200, 30)


def leg_with_bands(positions=(60, 95, 130), band=10, leg=(45, 45, 45), background=(140, 150, 130), angle=0.0):
    """A dark leg (vertical, then rotated) with yellow bands centred at ``positions``."""
    img = np.full((240, 240, 3), background, np.uint8)
    img[20:220, 113:127] = leg
    for p in positions:
        img[p - band // 2 : p + band // 2, 113:127] = YELLOW
    if angle:
        m = cv2.getRotationMatrix2D((120, 120), angle, 1.0)
        img = cv2.warpAffine(img, m, (240, 240), borderValue=tuple(int(c) for c in background))
    return img


def hazard_panel():
    """Many alternating yellow and black stripes: a hazard marking, not three bands."""
    img = np.full((240, 320, 3), (120, 120, 120), np.uint8)
    for i in range(8):
        x = 20 + i * 36
        img[90:150, x : x + 18] = YELLOW
        img[90:150, x + 18 : x + 36] = 20
    return img


def dashed_line():
    """Road-line dashes: long along the line, so not bands round a leg."""
    img = np.full((240, 320, 3), (70, 70, 70), np.uint8)
    for x in (20, 110, 200):
        img[115:125, x : x + 60] = YELLOW
    return img


@pytest.mark.parametrize(
    "image, state, count",
    [
        (leg_with_bands(), CueState.PRESENT, 3),
        (leg_with_bands(angle=35.0), CueState.PRESENT, 3),
        (leg_with_bands(positions=(60, 95)), CueState.ABSENT, 2),
        (leg_with_bands(positions=(95,)), CueState.ABSENT, 1),
        (leg_with_bands(positions=()), CueState.ABSENT, 0),
        (hazard_panel(), CueState.ABSENT, None),
        (dashed_line(), CueState.ABSENT, None),
    ],
)
def test_states_and_count(image, state, count):
    result = run_cue("yellow_bands", Scene(image))
    assert result.state is state
    if count is not None:
        assert result.fields["count"] == count
    assert result.fields["groups"] == (1 if state is CueState.PRESENT else 0)


def test_spacing_is_measured():
    m = run_cue("yellow_bands", Scene(leg_with_bands())).measurements
    assert m["spacing_px"] == pytest.approx(35, abs=3)
    assert m["spacing_irregularity"] < 0.1


def test_three_legs_are_three_groups():
    img = np.full((300, 420, 3), (140, 150, 130), np.uint8)
    for x in (80, 200, 320):
        img[30:280, x : x + 14] = 45
        for y in (90, 130, 170):
            img[y : y + 10, x : x + 14] = YELLOW
    result = run_cue("yellow_bands", Scene(img))
    assert result.present and result.fields["groups"] == 3 and len(result.regions) == 9


@pytest.mark.parametrize("kind", ["hazard_stripes", "road_lines", "yellow_flowers", "yellow_sign", "camera_tripod"])
@pytest.mark.parametrize("seed", [11, 12])
def test_look_alikes_are_not_the_pattern(kind, seed):
    scene = synth.render_scene(kind, seed, (960, 720))
    assert not run_cue("yellow_bands", Scene(synth.jpeg_roundtrip(scene.image, 80))).present


def test_band_paint_in_every_gap_is_a_striped_pole_not_a_leg():
    """Three bands whose gaps hold more of the same yellow paint (a hazard-striped pole
    whose in-between stripes merge into one large component, e.g. through a yellow
    highlight along the pole) are not the Toofan pattern; bare gaps are."""
    from vision.cues import yellow_bands as Y
    from vision.cues._shapes import blobs

    img = leg_with_bands()
    bands_only = Scene(img)
    striped = img.copy()
    for p in (77, 112):  # stripes of band paint in both gaps
        striped[p - 4 : p + 4, 113:127] = YELLOW
    scene = Scene(striped)
    limit = Y.YellowBandsParams().max_band_paint_between
    for sc, is_striped in ((bands_only, False), (scene, True)):
        mask = np.zeros(sc.shape, bool)
        for p in (60, 95, 130):  # the three bands are the only blobs
            mask[p - 5 : p + 5, 113:127] = True
        found = blobs(mask, min_area=4, max_area=10_000)
        pixels = Y._Pixels(sc, found, mask, mask)
        chains = Y._Chains(found, np.array([[0, 1, 2]]), Y.YellowBandsParams())
        fraction = pixels.band_paint_between(chains, 15.0)[0]
        assert (fraction > 2 * limit) if is_striped else (fraction == 0.0)
