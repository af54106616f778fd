"""Geometry helpers shared by the detectors: components, second moments, oriented strips."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..colour import L_SCALE, lab_u8_to_float
from ..normalise import Scene

__all__ = ["Blobs", "assessability", "blobs", "strip_pixels", "strip_stats"]


def assessability(scene: Scene, *, min_side: int) -> str | None:
    """Reason the colour cues cannot be judged in this scene, or ``None``."""
    h, w = scene.shape
    if min(h, w) < min_side:
        return f"too small ({w}x{h} working pixels, need {min_side} on the short side)"
    exposure = scene.exposure
    if exposure["overexposed_fraction"] > 0.6:
        return "overexposed (most pixels clipped to white)"
    if exposure["underexposed_fraction"] > 0.6 or exposure["median_lightness"] < 4:
        return "too dark (most pixels crushed to black)"
    return None


@dataclass(frozen=True)
class Blobs:
    """Connected components of a mask with their second moments (one row per blob)."""

    labels: np.ndarray  # (h, w) int32 label image
    ids: np.ndarray  # (n,) label ids kept
    area: np.ndarray  # (n,) pixel counts
    box: np.ndarray  # (n, 4) x, y, w, h in working pixels
    centre: np.ndarray  # (n, 2) x, y
    cov: np.ndarray  # (n, 2, 2) covariance of pixel coordinates

    def __len__(self) -> int:
        return int(self.ids.size)

    def extent(self, index: int, direction: np.ndarray) -> float:
        """Extent of blob ``index`` along a unit ``direction`` (uniform-bar estimate, sqrt(12)·sd)."""
        var = float(direction @ self.cov[index] @ direction)
        return float(np.sqrt(12.0 * max(var, 0.0)) + 1.0)

    def principal(self, index: int) -> tuple[np.ndarray, float]:
        """Unit major axis and elongation (major/minor extent) of blob ``index``."""
        vals, vecs = np.linalg.eigh(self.cov[index])
        major = np.sqrt(12.0 * max(vals[1], 0.0)) + 1.0
        minor = np.sqrt(12.0 * max(vals[0], 0.0)) + 1.0
        return vecs[:, 1], float(major / minor)


def blobs(mask: np.ndarray, *, min_area: int, max_area: int, seeds: np.ndarray | None = None) -> Blobs:
    """Components of a uint8/bool ``mask`` with ``min_area <= area <= max_area``.

    With ``seeds``, keep only components containing at least one seed pixel (hysteresis).
    Moments are computed for all components at once with ``bincount`` over mask pixels.
    """
    mask8 = mask.astype(np.uint8, copy=False)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask8, connectivity=8)
    area_all = stats[:, cv2.CC_STAT_AREA]
    keep = (area_all >= min_area) & (area_all <= max_area)
    keep[0] = False
    if seeds is not None and keep.any():
        seeded = np.bincount(labels[seeds.astype(bool)], minlength=n) > 0
        keep &= seeded
    ids = np.flatnonzero(keep)
    if ids.size == 0:
        empty = np.zeros((0,))
        return Blobs(labels, ids, empty, np.zeros((0, 4)), np.zeros((0, 2)), np.zeros((0, 2, 2)))
    ys, xs = np.nonzero(mask8)
    lab_ids = labels[ys, xs]
    xs = xs.astype(np.float64)
    ys = ys.astype(np.float64)
    cnt = np.bincount(lab_ids, minlength=n).astype(np.float64)
    sx = np.bincount(lab_ids, xs, n)
    sy = np.bincount(lab_ids, ys, n)
    sxx = np.bincount(lab_ids, xs * xs, n)
    syy = np.bincount(lab_ids, ys * ys, n)
    sxy = np.bincount(lab_ids, xs * ys, n)
    c = cnt[ids]
    mx, my = sx[ids] / c, sy[ids] / c
    vxx = sxx[ids] / c - mx * mx
    vyy = syy[ids] / c - my * my
    vxy = sxy[ids] / c - mx * my
    cov = np.stack([np.stack([vxx, vxy], -1), np.stack([vxy, vyy], -1)], -2)
    box = stats[ids, :4].astype(np.float64)
    return Blobs(labels, ids, c, box, np.stack([mx, my], -1), cov)


def strip_pixels(lab: np.ndarray, centre, u, half_u: float, half_v: float) -> np.ndarray:
    """Pixels (``(n, 3)`` 8-bit Lab) of the oriented rectangle ``centre ± u·half_u ± v·half_v``.

    ``u`` is a unit vector and ``v`` its perpendicular. Parts outside the image are dropped.
    """
    u = np.asarray(u, dtype=np.float64)
    v = np.array([-u[1], u[0]])
    c = np.asarray(centre, dtype=np.float64)
    corners = np.array([c + su * half_u * u + sv * half_v * v for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    h, w = lab.shape[:2]
    x0 = int(max(np.floor(corners[:, 0].min()), 0))
    y0 = int(max(np.floor(corners[:, 1].min()), 0))
    x1 = int(min(np.ceil(corners[:, 0].max()) + 1, w))
    y1 = int(min(np.ceil(corners[:, 1].max()) + 1, h))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 3), np.uint8)
    poly = np.round(corners - [x0, y0]).astype(np.int32)
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(m, poly, 1)
    return lab[y0:y1, x0:x1][m.astype(bool)]


def strip_stats(pixels: np.ndarray) -> dict[str, float] | None:
    """Median CIELAB and lightness spread of 8-bit Lab pixels, or ``None`` when too few."""
    if len(pixels) < 4:
        return None
    lab = lab_u8_to_float(pixels)
    med = np.median(lab, axis=0)
    q25, q75 = np.percentile(lab[:, 0], [25, 75])
    return {
        "L": float(med[0]),
        "a": float(med[1]),
        "b": float(med[2]),
        "L_iqr": float(q75 - q25),
        "n": int(len(pixels)),
    }


def lab_of(stats: dict[str, float]) -> np.ndarray:
    return np.array([stats["L"], stats["a"], stats["b"]])


def l_threshold(l_star: float) -> int:
    """8-bit lightness value for an ``L*`` threshold."""
    return int(round(l_star * L_SCALE))
