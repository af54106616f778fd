from __future__ import annotations

import numpy as np
import pytest

from vision import synth
from vision.normalise import NormaliseParams, Scene, estimate_illuminant, to_working_resolution


@pytest.mark.parametrize(
    "shape, max_side, work_shape",
    [((960, 1280), 1024, (480, 640)), ((1000, 1000), 1024, (1000, 1000)), ((3000, 4000), 1024, (750, 1000)), ((721, 1283), 640, (240, 428))],
)
def test_working_resolution_uses_integer_factors(shape, max_side, work_shape):
    work, sx, sy = to_working_resolution(np.zeros(shape + (3,), np.uint8), max_side)
    assert work.shape[:2] == work_shape
    assert sx == pytest.approx(shape[1] / work_shape[1]) and sy == pytest.approx(shape[0] / work_shape[0])


def test_boxes_map_back_exactly():
    scene = Scene(np.zeros((960, 1280, 3), np.uint8))
    assert scene.box_to_original(10, 20, 5, 6) == [20, 40, 10, 12]
    assert scene.box_to_original(630, 470, 50, 50) == [1260, 940, 20, 20]  # clipped to the photo


def test_illuminant_estimate_follows_a_cast():
    """Grey-edge is equivariant: a per-channel cast divides the gains by the same factors."""
    image = synth.render_scene("toofan", 3, (640, 480)).image
    base = estimate_illuminant(image)
    cast = np.array([1.15, 1.0, 0.87])
    shifted = estimate_illuminant(synth.colour_cast(image, cast))
    ratio = (shifted * cast) / base
    np.testing.assert_allclose(ratio / ratio.mean(), 1.0, atol=0.03)


def test_gains_are_bounded():
    image = np.zeros((100, 100, 3), np.uint8)
    image[..., 0] = np.tile(np.linspace(20, 240, 100, dtype=np.uint8), (100, 1))  # only red edges
    gains = estimate_illuminant(image, max_gain=1.25)
    assert gains.max() <= 1.25 + 1e-9 and gains.min() >= 0.8 - 1e-9


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(max_side=10), "max_side"), (dict(max_gain=0.5), "max_gain"), (dict(correction_strength=2.0), "correction_strength")],
)
def test_params_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NormaliseParams(**kwargs)


def test_scene_rejects_bad_images():
    with pytest.raises(ValueError, match=r"expected \(H, W, 3\) RGB image"):
        Scene(np.zeros((10, 10), np.uint8))


def test_zoom_reads_original_pixels_and_maps_boxes_back():
    rgb = np.random.default_rng(0).integers(0, 256, (960, 1280, 3), dtype=np.uint8)
    scene = Scene(rgb)
    assert scene.scale_x == 2.0 and scene.offset == (0, 0)
    zoom = scene.zoom(300, 200, 500, 260)
    assert zoom.shape == (60, 200) and zoom.scale_x == zoom.scale_y == 1.0 and zoom.offset == (300, 200)
    np.testing.assert_array_equal(zoom.gains, scene.gains)  # the photo's illuminant, not the crop's
    corrected = np.clip(np.round(rgb[200:260, 300:500] * scene.gains), 0, 255)
    assert np.abs(zoom.work.astype(int) - corrected).max() <= 1
    assert zoom.box_to_original(10, 5, 20, 8) == [310, 205, 20, 8]
    edge = scene.zoom(-50, 900, 40, 2000)  # clipped to the photo
    assert edge.shape == (60, 40) and edge.offset == (0, 900)
    with pytest.raises(ValueError, match="no pixel"):
        scene.zoom(2000, 0, 2100, 10)
