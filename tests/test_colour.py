"""Colour maths checked against independent references (scikit-image, colorsys-style formulas)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from vision.colour import ab_index, ciede2000, hue_chroma_table, lab_u8_to_float, rgb_to_lab, rgb_to_lab_u8


def test_ciede2000_matches_scikit_image():
    rng = np.random.default_rng(0)
    lab1 = np.column_stack([rng.uniform(0, 100, 500), rng.uniform(-80, 80, 500), rng.uniform(-80, 80, 500)])
    lab2 = np.column_stack([rng.uniform(0, 100, 500), rng.uniform(-80, 80, 500), rng.uniform(-80, 80, 500)])
    for kL in (1.0, 2.0):
        np.testing.assert_allclose(ciede2000(lab1, lab2, kL=kL), deltaE_ciede2000(lab1, lab2, kL=kL), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "lab1, lab2, expected",
    [  # Sharma, Wu and Dalal (2005), table 1
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ],
)
def test_ciede2000_published_pairs(lab1, lab2, expected):
    assert float(ciede2000(lab1, lab2)) == pytest.approx(expected, abs=1e-4)


def test_fast_lab_close_to_scikit_image():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    ours = lab_u8_to_float(rgb_to_lab_u8(rgb))
    ref = rgb2lab(rgb)
    assert np.abs(ours - ref).max() < 1.5  # 8-bit quantisation only
    np.testing.assert_allclose(rgb_to_lab(rgb), ref, atol=0.5)  # OpenCV and scikit-image round sRGB differently


@pytest.mark.parametrize("hue_min, hue_max, chroma_min", [(80.0, 100.0, 40.0), (115.0, 175.0, 30.0), (330.0, 20.0, 10.0)])
def test_hue_chroma_table_matches_direct_formula(hue_min, hue_max, chroma_min):
    rng = np.random.default_rng(2)
    lab = rng.integers(0, 256, size=(2000, 1, 3), dtype=np.uint8)
    a = lab[..., 1].astype(float) - 128
    b = lab[..., 2].astype(float) - 128
    hue = np.degrees(np.arctan2(b, a)) % 360
    inside = ((hue >= hue_min) & (hue <= hue_max)) if hue_min <= hue_max else ((hue >= hue_min) | (hue <= hue_max))
    expected = inside & (np.hypot(a, b) >= chroma_min)
    assert np.array_equal(hue_chroma_table(hue_min, hue_max, chroma_min)[ab_index(lab)], expected)
