"""Helpers shared by the detectors: components, second moments, oriented strips, order
statistics, and when a scene (its size, its exposure) lets a cue be judged."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..colour import L_SCALE, lab_u8_to_float
from ..normalise import Scene
from .base import CueResult, CueState

__all__ = ["Blobs", "assessability", "blobs", "edge_pair_strength", "exposure_problem", "histogram_quantiles", "median", "order_statistics", "oriented_patch", "quantiles", "soft", "strip_pixels", "strip_stats", "unless_unseen"]


def soft(value: float, zero: float, one: float) -> float:
    """A soft test: 0 at ``zero``, 1 at ``one``, linear between, clipped.

    Examples
    --------
    >>> soft(15.0, 10.0, 20.0), soft(30.0, 10.0, 20.0)
    (0.5, 1.0)
    """
    # Scalar arithmetic: the detectors call this thousands of times per photo.
    return float(min(max((value - zero) / (one - zero), 0.0), 1.0))


def quantiles(values, qs) -> np.ndarray:
    """Quantiles ``qs`` (fractions) of ``values`` along its first axis, linearly interpolated
    as :func:`numpy.quantile` by default, in float64, read from one sort: numpy's generic
    routine costs ~0.2 ms a call, mostly overhead, and the detectors ask on small arrays.

    Examples
    --------
    >>> quantiles(np.array([4, 1, 3, 2]), (0.5, 0.1)).tolist()
    [2.5, 1.3]
    """
    ordered = np.sort(np.asarray(values), axis=0)
    last = len(ordered) - 1
    at = [q * last for q in qs]
    lo = [int(t) for t in at]  # floor: t >= 0
    if ordered.ndim == 1:  # scalar arithmetic: a few microseconds instead of tens
        pairs = [(float(ordered[i]), float(ordered[min(i + 1, last)])) for i in lo]
        return np.array([a + (t - i) * (b - a) for (a, b), t, i in zip(pairs, at, lo)])
    a = ordered[lo].astype(np.float64)
    b = ordered[[min(i + 1, last) for i in lo]].astype(np.float64)
    frac = np.array([t - i for t, i in zip(at, lo)]).reshape((-1,) + (1,) * (ordered.ndim - 1))
    return a + frac * (b - a)


def median(values) -> float:
    """Median of all of ``values``, as :func:`quantiles` at 0.5 (scalar arithmetic: the
    detectors ask for thousands per photo)."""
    ordered = np.sort(values, axis=None)
    at = 0.5 * (ordered.size - 1)
    i = int(at)
    lo, hi = float(ordered[i]), float(ordered[min(i + 1, ordered.size - 1)])
    return lo + (at - i) * (hi - lo)


def order_statistics(counts: np.ndarray, ranks) -> list[int]:
    """The ``k``-th smallest (from 0) of the 8-bit values counted in ``counts`` (256 bins),
    for each ``k`` in ``ranks``: the first value whose cumulative count exceeds ``k``.
    Reading a histogram costs a few microseconds where sorting the values costs tens to
    hundreds.

    Examples
    --------
    >>> order_statistics(np.bincount([4, 1, 3, 2], minlength=256), (0, 3))
    [1, 4]
    """
    return np.cumsum(counts).searchsorted(ranks, "right").tolist()


def histogram_quantiles(counts: np.ndarray, qs) -> list[float]:
    """Quantiles ``qs`` (fractions) of the 8-bit values counted in ``counts`` (256 bins, not
    all zero): :func:`quantiles` of the values themselves (linear interpolation between
    order statistics), read from the counts (:func:`order_statistics`).

    Examples
    --------
    >>> histogram_quantiles(np.bincount([4, 1, 3, 2], minlength=256), (0.5, 0.1))
    [2.5, 1.3]
    """
    last = int(np.sum(counts)) - 1
    at = [q * last for q in qs]
    lo = [int(t) for t in at]  # floor: t >= 0
    values = order_statistics(counts, lo + [min(i + 1, last) for i in lo])
    return [a + (t - i) * (b - a) for a, b, t, i in zip(values, values[len(lo):], at, lo)]


def assessability(scene: Scene, *, min_side: int) -> str | None:
    """Reason a detector cannot look at this scene at all (too few working pixels), or ``None``.

    Exposure is judged separately (:func:`exposure_problem`): a photo mostly clipped or
    crushed still shows what is in its well-exposed part.
    """
    h, w = scene.shape
    if min(h, w) < min_side:
        return f"too small ({w}x{h} working pixels, need {min_side} on the short side)"
    return None


def exposure_problem(scene: Scene) -> str | None:
    """Why most of the photo shows nothing, or ``None``.

    Returns
    -------
    str or None
        ``"overexposed ..."`` when more than 60 % of the working pixels have ``L*`` >= 97,
        ``"too dark ..."`` when more than 60 % have ``L*`` <= 4 or the median ``L*`` is
        below 4.

    Examples
    --------
    >>> import numpy as np
    >>> from vision.normalise import normalise
    >>> exposure_problem(normalise(np.full((64, 64, 3), 255, np.uint8)))
    'overexposed (most pixels clipped to white)'
    """
    exposure = scene.exposure
    if exposure["overexposed_fraction"] > 0.6:
        return "overexposed (most pixels clipped to white)"
    if exposure["underexposed_fraction"] > 0.6 or exposure["median_lightness"] < 4:
        return "too dark (most pixels crushed to black)"
    return None


def unless_unseen(result: CueResult, scene: Scene) -> CueResult:
    """A search that did not find its mark (``absent``: no seal tape passed, no group of three
    bands) on a photo mostly clipped or crushed (:func:`exposure_problem`) is not
    assessable, not evidence of absence: the mark may lie where the photo shows nothing.
    The measurements and fields are kept (a pair of bands seen keeps ``count`` 2), the
    regions dropped. A mark found in the well-exposed part (a launcher lit against a night
    sky or a dark uniform) stands, and so does any other result.

    Examples
    --------
    >>> import numpy as np
    >>> from vision.normalise import normalise
    >>> dark = normalise(np.zeros((64, 64, 3), np.uint8))
    >>> unless_unseen(CueResult("c", CueState.ABSENT, 0.1, fields={"count": 1}), dark).reason
    'too dark (most pixels crushed to black)'
    """
    reason = exposure_problem(scene) if result.state is CueState.ABSENT else None
    if reason is None:
        return result
    return CueResult.not_assessable(result.name, reason, measurements=result.measurements, fields=result.fields)


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
    Labelling runs on the bounding box of the mask's pixels (cue masks are sparse); areas,
    boxes and moments come from the mask's pixels with ``bincount`` for all components at
    once (OpenCV's own statistics pass measured several times slower than the labelling).

    Examples
    --------
    >>> m = np.zeros((20, 30), bool)
    >>> m[2:6, 3:13] = True                      # a 10x4 bar
    >>> m[10:12, 20:22] = True                   # a 2x2 speck
    >>> b = blobs(m, min_area=5, max_area=100)
    >>> len(b), b.area.tolist(), b.box.tolist()
    (1, [40.0], [[3.0, 2.0, 10.0, 4.0]])
    """
    mask8 = mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8, copy=False)
    labels = np.zeros(mask8.shape, np.int32)
    x, y, w, h = cv2.boundingRect(mask8)
    if w == 0 or h == 0:
        return _no_blobs(labels)
    crop = np.ascontiguousarray(mask8[y : y + h, x : x + w])
    n, crop_labels = cv2.connectedComponents(crop, connectivity=8, ltype=cv2.CV_32S)
    labels[y : y + h, x : x + w] = crop_labels
    flat = np.flatnonzero(crop.view(bool) if mask.dtype == bool else crop)  # 1-D on bool: several times faster than 2-D np.nonzero
    lab_ids = crop_labels.ravel()[flat]
    cnt = np.bincount(lab_ids, minlength=n).astype(np.float64)
    keep = (cnt >= min_area) & (cnt <= max_area)
    keep[0] = False
    if seeds is not None and keep.any():
        seed_flat = seeds[y : y + h, x : x + w].ravel()[flat].astype(bool, copy=False)
        keep &= np.bincount(lab_ids[seed_flat], minlength=n) > 0
    ids = np.flatnonzero(keep)
    if ids.size == 0:
        return _no_blobs(labels)
    inside = keep[lab_ids]
    lab_ids, flat = lab_ids[inside], flat[inside]
    ys, xs = np.divmod(flat, w)
    xs = xs.astype(np.float64) + x
    ys = ys.astype(np.float64) + y
    sx = np.bincount(lab_ids, xs, n)
    sy = np.bincount(lab_ids, ys, n)
    sxx = np.bincount(lab_ids, xs * xs, n)
    syy = np.bincount(lab_ids, ys * ys, n)
    sxy = np.bincount(lab_ids, xs * ys, n)
    lo = np.full((2, n), np.inf)
    hi = np.full((2, n), -np.inf)
    np.minimum.at(lo[0], lab_ids, xs)
    np.minimum.at(lo[1], lab_ids, ys)
    np.maximum.at(hi[0], lab_ids, xs)
    np.maximum.at(hi[1], lab_ids, ys)
    c = cnt[ids]
    mx, my = sx[ids] / c, sy[ids] / c
    vxx = sxx[ids] / c - mx * mx
    vyy = syy[ids] / c - my * my
    vxy = sxy[ids] / c - mx * my
    cov = np.stack([vxx, vxy, vxy, vyy], -1).reshape(-1, 2, 2)
    box = np.stack([lo[0, ids], lo[1, ids], hi[0, ids] - lo[0, ids] + 1.0, hi[1, ids] - lo[1, ids] + 1.0], -1)
    return Blobs(labels, ids, c, box, np.stack([mx, my], -1), cov)


def _no_blobs(labels: np.ndarray) -> Blobs:
    """No components (over the label image ``labels``)."""
    return Blobs(labels, np.zeros(0, int), np.zeros(0), np.zeros((0, 4)), np.zeros((0, 2)), np.zeros((0, 2, 2)))


_SIGNS = np.array([(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)])  # corner order of an oriented strip


def strip_pixels(image: np.ndarray, centre, u, half_u: float, half_v: float) -> np.ndarray:
    """Pixels of ``image`` in the oriented rectangle ``centre ± u·half_u ± v·half_v``: ``(n, 3)``
    of an 8-bit Lab image, ``(n,)`` of one plane (lightness, the ``(a, b)`` index), in its dtype.

    ``u`` is a unit vector and ``v`` its perpendicular. Parts outside the image are dropped.
    """
    u = np.asarray(u, dtype=np.float64)
    v = np.array([-u[1], u[0]])
    c = np.asarray(centre, dtype=np.float64)
    corners = c + np.outer(_SIGNS[:, 0] * half_u, u) + np.outer(_SIGNS[:, 1] * half_v, v)
    h, w = image.shape[:2]
    x0 = int(max(np.floor(corners[:, 0].min()), 0))
    y0 = int(max(np.floor(corners[:, 1].min()), 0))
    x1 = int(min(np.ceil(corners[:, 0].max()) + 1, w))
    y1 = int(min(np.ceil(corners[:, 1].max()) + 1, h))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0,) + image.shape[2:], image.dtype)
    poly = np.round(corners - [x0, y0]).astype(np.int32)
    m = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(m, poly, 1)
    return image[y0:y1, x0:x1][m.astype(bool)]


def oriented_patch(image: np.ndarray, centre, axis, length: float, width: float) -> np.ndarray:
    """Resample the rectangle ``centre``, ``length`` along unit ``axis`` by ``width`` across it.

    Returns an array whose rows run *across* the axis and columns *along* it (bilinear,
    edges replicated), so ``patch.mean(axis=1)`` is the profile across the axis.
    """
    # Scalar arithmetic (the same float64 operations as on arrays): detectors call this
    # for many small patches per photo.
    ax, ay = float(axis[0]), float(axis[1])
    cx, cy = float(centre[0]), float(centre[1])
    cols, rows = max(int(round(length)), 1), max(int(round(width)), 1)
    ox = cx - ax * (cols - 1) / 2.0 + ay * (rows - 1) / 2.0  # across the axis is (-ay, ax)
    oy = cy - ay * (cols - 1) / 2.0 - ax * (rows - 1) / 2.0
    matrix = np.array([[ax, -ay, ox], [ay, ax, oy]], np.float32)
    return cv2.warpAffine(image, matrix, (cols, rows), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)


def edge_pair_strength(lab: np.ndarray, centre, axis, length: float, diameter: float) -> float:
    """How clearly a bar about ``diameter`` wide, running along ``axis``, shows both edges.

    The mean CIELAB profile across the axis (over ``length`` along it) is searched on each
    side of ``centre`` for its strongest step between ``0.2`` and ``1.3`` diameters out
    (shading and glints inside the bar are weaker than its silhouette). The two steps must
    be ``0.45`` to ``1.6`` diameters apart (a painted band or a tape measures a little
    wider than the bar under it once blurred): the bar is about as wide as expected, though
    ``centre`` need not be on its middle line. Returns the weaker step (CIE76), or 0.
    """
    half_width = 1.3 * diameter + 2.0
    patch = oriented_patch(lab, centre, axis, max(length, 2.0), 2.0 * half_width)
    # The mean along the axis, equal bit for bit to ``patch.astype(np.float32).mean(axis=1)``
    # (sums of 8-bit values are exact in any order; numpy divides them in float64) and
    # several times faster on these small patches.
    sums = cv2.reduce(patch, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).reshape(-1, 3)
    profile = (sums / patch.shape[1]).astype(np.float32)
    profile[:, 0] /= 2.55  # 8-bit lightness to L*
    rows = profile.shape[0]
    middle = (rows - 1) / 2.0
    k = max(1, int(round(0.06 * diameter)))
    if rows <= 2 * k + 2:
        return 0.0
    jump = profile[2 * k :] - profile[: -2 * k]
    steps = np.sqrt(np.add.reduce(jump * jump, axis=1))  # CIE76 step centred at i + k
    # Offsets from the centre grow with i, so each side's window is a run of indices.
    offset = np.arange(steps.size) + k - middle
    distance = np.abs(offset)
    inside = np.flatnonzero((distance >= 0.2 * diameter) & (distance <= 1.3 * diameter))
    left, right = inside[offset[inside] < 0], inside[offset[inside] > 0]
    if not left.size or not right.size:
        return 0.0
    found = []
    for run in (left, right):
        best = run[0] + int(np.argmax(steps[run[0] : run[-1] + 1]))  # the first strongest
        found.append((float(steps[best]), float(offset[best])))
    (s1, o1), (s2, o2) = found
    if not 0.45 * diameter <= o2 - o1 <= 1.6 * diameter:
        return 0.0
    return min(s1, s2)


def strip_stats(pixels: np.ndarray) -> dict[str, float] | None:
    """Median CIELAB and interquartile spreads (lightness; the larger of a*, b*) of 8-bit Lab
    pixels, or ``None`` when too few."""
    if len(pixels) < 4:
        return None
    q25, med, q75 = quantiles(lab_u8_to_float(pixels), (0.25, 0.5, 0.75))
    iqr = q75 - q25
    return {
        "L": float(med[0]),
        "a": float(med[1]),
        "b": float(med[2]),
        "L_iqr": float(iqr[0]),
        "ab_iqr": float(max(iqr[1], iqr[2])),
        "n": int(len(pixels)),
    }


def lab_of(stats: dict[str, float]) -> np.ndarray:
    return np.array([stats["L"], stats["a"], stats["b"]])


def l_threshold(l_star: float) -> int:
    """8-bit lightness value for an ``L*`` threshold."""
    return int(round(l_star * L_SCALE))
