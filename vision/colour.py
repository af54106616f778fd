"""Colour science used by the detectors: CIELAB, hue/chroma look-up tables, CIEDE2000.

Conventions
-----------
- ``rgb`` arrays are sRGB ``(..., 3) uint8`` (see :mod:`vision.io`).
- Float CIELAB is ``L*`` in [0, 100], ``a*``/``b*`` roughly in [-128, 127], D65 white.
- OpenCV's 8-bit Lab stores ``L*·255/100`` and ``a*+128``, ``b*+128``; the per-pixel
  hot path stays in that 8-bit form and classifies pixels through 65 536-entry
  ``(a, b)`` look-up tables, built once from hue-angle and chroma limits in float.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

__all__ = [
    "LAB_U8_LEVELS",
    "L_SCALE",
    "ab_index",
    "ciede2000",
    "hue_chroma_table",
    "lab_u8_to_float",
    "rgb_to_lab",
    "rgb_to_lab_u8",
]

#: 8-bit Lab lightness units per L* unit.
L_SCALE = 255.0 / 100.0


def rgb_to_lab_u8(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8 ``(H, W, 3)`` to OpenCV 8-bit Lab ``(H, W, 3) uint8`` (fast path)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)


def lab_u8_to_float(lab: np.ndarray) -> np.ndarray:
    """OpenCV 8-bit Lab (uint8, or means of it) to float CIELAB ``(..., 3) float32``."""
    lab = np.asarray(lab)
    if lab.dtype == np.uint8 and lab.size:
        # A table look-up: the detectors convert many patches per photo.
        flat = np.ascontiguousarray(lab).reshape(-1, 1, 3)
        return cv2.LUT(flat, _LAB_U8_TABLE).reshape(lab.shape)
    lab = lab.astype(np.float32)
    out = np.empty_like(lab)
    out[..., 0] = lab[..., 0] / L_SCALE
    out[..., 1:] = lab[..., 1:] - 128.0
    return out


_LEVELS = np.arange(256, dtype=np.float32)
#: :func:`lab_u8_to_float` of every 8-bit value, ``(256, 3) float32``: row ``v`` holds the
#: L*, a* and b* that the code ``v`` stands for in each channel (read-only).
LAB_U8_LEVELS = np.stack([_LEVELS / L_SCALE, _LEVELS - 128.0, _LEVELS - 128.0], axis=-1)
LAB_U8_LEVELS.setflags(write=False)
_LAB_U8_TABLE = LAB_U8_LEVELS.reshape(1, 256, 3)  # the same, shaped for cv2.LUT


def rgb_to_lab(rgb) -> np.ndarray:
    """Exact sRGB (uint8 values, any leading shape ``(..., 3)``) to float CIELAB (D65).

    Examples
    --------
    >>> np.round(rgb_to_lab([255, 255, 255]), 1).tolist()
    [100.0, 0.0, 0.0]
    """
    arr = np.asarray(rgb, dtype=np.float32)
    if arr.shape[-1] != 3:
        raise ValueError(f"rgb: expected (..., 3) values, got shape {arr.shape}")
    flat = (arr.reshape(-1, 1, 3) / 255.0).astype(np.float32)
    lab = cv2.cvtColor(flat, cv2.COLOR_RGB2Lab)
    return lab.reshape(arr.shape).astype(np.float64)


def ab_index(lab_u8: np.ndarray) -> np.ndarray:
    """Flat 16-bit index ``a*256 + b`` of each pixel of an 8-bit Lab image, for table look-ups."""
    return (lab_u8[..., 1].astype(np.uint16) << 8) | lab_u8[..., 2]


@lru_cache(maxsize=32)
def hue_chroma_table(hue_min: float, hue_max: float, chroma_min: float) -> np.ndarray:
    """65 536-entry bool table: is the ``(a*, b*)`` pair inside a hue sector with enough chroma.

    Parameters
    ----------
    hue_min, hue_max : float
        CIELAB hue angle ``h_ab`` limits in degrees, [0, 360); the sector may wrap through 0.
    chroma_min : float
        Minimum ``C*_ab``.

    Examples
    --------
    >>> t = hue_chroma_table(80.0, 100.0, 40.0)   # yellows
    >>> bool(t[(128 << 8) | (128 + 60)])            # a*=0, b*=60: hue 90 deg, chroma 60
    True
    """
    a = np.arange(256, dtype=np.float64)[:, None] - 128.0
    b = np.arange(256, dtype=np.float64)[None, :] - 128.0
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a)) % 360.0
    if hue_min <= hue_max:
        in_sector = (hue >= hue_min) & (hue <= hue_max)
    else:
        in_sector = (hue >= hue_min) | (hue <= hue_max)
    table = (in_sector & (chroma >= chroma_min)).ravel()
    table.setflags(write=False)
    return table


def ciede2000(lab1, lab2, *, kL: float = 1.0, kC: float = 1.0, kH: float = 1.0) -> np.ndarray:
    """CIEDE2000 colour difference between broadcastable float CIELAB arrays ``(..., 3)``.

    Follows Sharma, Wu and Dalal (2005). ``kL = 2`` down-weights lightness, as is usual
    for textured or unevenly lit surfaces.

    Examples
    --------
    >>> round(float(ciede2000([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485])), 4)
    2.0425
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c1 = np.hypot(a1, b1)
    c2 = np.hypot(a2, b2)
    c_bar7 = ((c1 + c2) / 2.0) ** 7
    g = 0.5 * (1.0 - np.sqrt(c_bar7 / (c_bar7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    zero = (c1p * c2p) == 0

    dLp = L2 - L1
    dCp = c2p - c1p
    dhp = h2p - h1p
    dhp = np.where(dhp > 180.0, dhp - 360.0, np.where(dhp < -180.0, dhp + 360.0, dhp))
    dhp = np.where(zero, 0.0, dhp)
    dHp = 2.0 * np.sqrt(c1p * c2p) * np.sin(np.radians(dhp) / 2.0)

    Lbp = (L1 + L2) / 2.0
    Cbp = (c1p + c2p) / 2.0
    hsum = h1p + h2p
    hbp = np.where(np.abs(h1p - h2p) > 180.0, np.where(hsum < 360.0, hsum + 360.0, hsum - 360.0), hsum) / 2.0
    hbp = np.where(zero, hsum, hbp)
    t = (
        1.0
        - 0.17 * np.cos(np.radians(hbp - 30.0))
        + 0.24 * np.cos(np.radians(2.0 * hbp))
        + 0.32 * np.cos(np.radians(3.0 * hbp + 6.0))
        - 0.20 * np.cos(np.radians(4.0 * hbp - 63.0))
    )
    d_theta = 30.0 * np.exp(-(((hbp - 275.0) / 25.0) ** 2))
    cbp7 = Cbp**7
    rc = 2.0 * np.sqrt(cbp7 / (cbp7 + 25.0**7))
    sl = 1.0 + 0.015 * (Lbp - 50.0) ** 2 / np.sqrt(20.0 + (Lbp - 50.0) ** 2)
    sc = 1.0 + 0.045 * Cbp
    sh = 1.0 + 0.015 * Cbp * t
    rt = -np.sin(np.radians(2.0 * d_theta)) * rc
    tl, tc, th = dLp / (kL * sl), dCp / (kC * sc), dHp / (kH * sh)
    return np.sqrt(tl**2 + tc**2 + th**2 + rt * tc * th)
