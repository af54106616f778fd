"""Cover colour: the measured colour of the launch tube against named paint references.

Where the green seal tape is found, the tube's paint is read beside it (the tape marks the
tube for certain). Otherwise the tube is found from geometry: a pair of long, nearly
parallel edges a tube diameter apart (Hough segments on a reduced image) with a uniform interior that differs from its
surroundings. Its colour (median over the interior, with tape-, marking- and specular
pixels left out) is compared in CIELAB, after illuminant correction, with named
references by CIEDE2000 with ``kL = 2`` (lightness down-weighted: shading and dirt change
lightness more than hue). ``colour`` names the nearest reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..colour import LAB_U8_LEVELS, ciede2000, hue_chroma_table, lab_u8_to_float
from ..normalise import Scene
from ._shapes import assessability, exposure_problem, order_statistics, strip_pixels
from .base import CueResult, CueState, Region

NAME = "dark_green_cover"

#: Named paint references in CIELAB (D65): (L*, C*, hue angle in degrees), approximating
#: published swatches: Iranian dark-green canisters, US olive drab (FS 34087 family) and
#: desert tan (FS 33446 family).
REFERENCES_LCH: dict[str, tuple[float, float, float]] = {
    "dark_green": (30.0, 20.0, 150.0),
    "olive_drab": (38.0, 20.0, 95.0),
    "tan": (64.0, 22.0, 78.0),
}


def _lch_to_lab(lch: tuple[float, float, float]) -> np.ndarray:
    l, c, h = lch
    return np.array([l, c * np.cos(np.radians(h)), c * np.sin(np.radians(h))])


@lru_cache(maxsize=8)
def _reference_labs(references: tuple[tuple[str, tuple[float, float, float]], ...]) -> np.ndarray:
    """CIELAB ``(k, 3)`` of named ``(L*, C*, hue)`` references (read-only: shared between calls)."""
    labs = np.array([_lch_to_lab(lch) for _, lch in references])
    labs.setflags(write=False)
    return labs


@dataclass(frozen=True)
class DarkGreenCoverParams:
    """Settings of :func:`detect`.

    Attributes
    ----------
    references : tuple of (name, (L*, C*, hue))
        Named reference colours.
    target : str
        The reference that makes the cue present.
    max_delta_e : float
        The tube must be within this CIEDE2000 distance (``kL = 2``) of the target.
    min_tube_length : float
        Shortest tube, as a fraction of the image's long side.
    diameter_range : (float, float)
        Tube diameter as a fraction of the long side.
    min_aspect : float
        Tube length / diameter.
    paint_tolerance, min_paint_fraction : float
        At least ``min_paint_fraction`` of the tube's interior must lie within
        ``paint_tolerance`` (CIE76, lightness at half weight for shading) of its median
        colour: one paint, with room for tape, markings and glints.
    min_surround_difference : float
        CIE76 difference between the tube and its surroundings on at least one side.
    analysis_side : int
        Long side of the reduced image the edges are searched on.
    """

    references: tuple[tuple[str, tuple[float, float, float]], ...] = tuple(REFERENCES_LCH.items())
    target: str = "dark_green"
    max_delta_e: float = 20.0
    min_tube_length: float = 0.12
    diameter_range: tuple[float, float] = (0.015, 0.2)
    min_aspect: float = 2.5
    paint_tolerance: float = 12.0
    min_paint_fraction: float = 0.45
    min_surround_difference: float = 8.0
    analysis_side: int = 400

    def __post_init__(self) -> None:
        names = [n for n, _ in self.references]
        if self.target not in names:
            raise ValueError(f"target must be one of the reference names {names}, got {self.target!r}")
        object.__setattr__(self, "references", tuple((str(n), tuple(float(v) for v in lch)) for n, lch in self.references))


#: Sample positions along a candidate tube, as fractions of its half-length.
_ALONG = np.linspace(-1.0, 1.0, 32)
#: Offsets across a candidate tube, in diameters, at which :func:`find_tubes` samples it:
#: its interior (the middle 60 % of its width), then the strips just outside either edge.
_INTERIOR = np.linspace(-0.3, 0.3, 5)
_FLANK = np.linspace(0.65, 1.05, 3)
_ACROSS = np.concatenate([_INTERIOR, -_FLANK, _FLANK])
#: Longest segments paired up, and most segment pairs examined as tubes.
_MAX_SEGMENTS, _MAX_CANDIDATES = 40, 30
#: Segment pairs ``(a, b)`` to test: each pair once, ``b`` after ``a``.
_PAIRS = np.triu(np.ones((_MAX_SEGMENTS, _MAX_SEGMENTS), bool), 1)


#: ``L*`` range of a surface that could be a launch tube's paint (:func:`could_be_paint`):
#: the references are L* 30-64; lighter is a white caption banner, darker a black one.
PAINT_L = (12.0, 90.0)


def find_tubes(scene: Scene, params: DarkGreenCoverParams = DarkGreenCoverParams(), limit: int = 3) -> list[dict]:
    """Tube-like strips: long parallel edge pairs with a uniform interior.

    Returns
    -------
    list of dict
        Best first; each has ``centre`` and ``axis`` (working pixels, unit vector),
        ``length``, ``diameter``, ``lab`` (median CIELAB), ``paint_fraction``, ``surround_difference``,
        ``score``.
    """
    lab = scene.lab
    factor = 1
    small = lab
    while max(small.shape[:2]) > params.analysis_side:
        small = cv2.pyrDown(small)
        factor *= 2
    light = cv2.GaussianBlur(small[..., 0], (3, 3), 0)
    edges = cv2.Canny(light, 20, 50)
    long_side = max(small.shape[:2])
    segments = cv2.HoughLinesP(
        edges, 1, np.pi / 90, threshold=20, minLineLength=int(params.min_tube_length * long_side * 0.6), maxLineGap=10
    )
    if segments is None:
        return []
    seg = np.asarray(segments).reshape(-1, 4).astype(np.float64)
    seg = seg[np.argsort(-np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]))[:_MAX_SEGMENTS]]
    angles = np.arctan2(seg[:, 3] - seg[:, 1], seg[:, 2] - seg[:, 0]) % np.pi
    dmin, dmax = params.diameter_range[0] * long_side, params.diameter_range[1] * long_side
    # Pair tests for all segment pairs at once, as (a, b) matrices in segment a's frame
    # (origin at its start, u along it, v across): parallel, a tube diameter apart, overlapping.
    x0, y0, x1, y1 = seg.T
    ux, uy = np.cos(angles), np.sin(angles)
    u_all = np.stack([ux, uy], -1)
    v_all = np.stack([-uy, ux], -1)
    dtheta = np.abs(angles[:, None] - angles)
    dtheta = np.minimum(dtheta, np.pi - dtheta)
    dist = ((x0 + x1) / 2.0 - x0[:, None]) * -uy[:, None] + ((y0 + y1) / 2.0 - y0[:, None]) * ux[:, None]
    # Along u, segment a runs from 0 to ta1 and segment b from tb0 to tb1; they overlap on [lo, hi].
    ta1 = ((x1 - x0) * ux + (y1 - y0) * uy)[:, None]
    tb0 = (x0 - x0[:, None]) * ux[:, None] + (y0 - y0[:, None]) * uy[:, None]
    tb1 = (x1 - x0[:, None]) * ux[:, None] + (y1 - y0[:, None]) * uy[:, None]
    lo = np.maximum(np.minimum(0.0, ta1), np.minimum(tb0, tb1))
    hi = np.minimum(np.maximum(0.0, ta1), np.maximum(tb0, tb1))
    overlap = hi - lo
    ok = (
        _PAIRS[: len(seg), : len(seg)]
        & (dtheta <= np.radians(5.0))
        & (np.abs(dist) >= max(dmin, 3.0))
        & (np.abs(dist) <= dmax)
        & (overlap >= params.min_tube_length * long_side)
        & (overlap >= params.min_aspect * np.abs(dist))
    )
    a, b = np.nonzero(ok)
    best = np.argsort(-overlap[a, b])[:_MAX_CANDIDATES]
    if best.size == 0:
        return []
    a, b = a[best], b[best]
    u, v = u_all[a], v_all[a]
    lo, hi, dist = lo[a, b], hi[a, b], dist[a, b]
    length, diameter = overlap[a, b], np.abs(dist)
    centre = seg[a, :2] + u * ((lo + hi) / 2.0)[:, None] + v * (dist / 2.0)[:, None]
    # Every candidate's interior and the strips just outside each edge, sampled on one grid
    # for all candidates at once, then taken apart.
    samples, inside = _sample(small, centre, u, v, length * 0.45, diameter, _ACROSS)
    ends = np.cumsum([0, _INTERIOR.size, _FLANK.size, _FLANK.size]) * _ALONG.size
    (inner, count), *rings = [(samples[:, i:j], np.count_nonzero(inside[:, i:j], axis=1)) for i, j in zip(ends[:-1], ends[1:])]
    med = _nan_median(inner, count)  # (n, 3); rows without samples are dropped below
    # Mostly one paint: markings, tape and glints may cover part of the tube.
    off = inner - med[:, None, :]
    uniformity = _near_paint(off, params).sum(axis=1) / np.maximum(count, 1)
    contrast = np.zeros(len(best))
    for ring, ring_count in rings:
        ring_med = _nan_median(ring, ring_count)
        contrast = np.maximum(contrast, np.where(ring_count >= 4, np.linalg.norm(ring_med - med, axis=1), 0.0))
    good = (count >= 8) & (uniformity >= params.min_paint_fraction) & (contrast >= params.min_surround_difference)
    size = np.minimum(1.0, diameter / (0.04 * long_side))
    score = length / long_side * size * np.minimum(1.0, contrast / 25.0) * uniformity
    tubes = [
        {
            "centre": centre[n] * factor,
            "axis": u[n],
            "length": float(length[n]) * factor,
            "diameter": float(diameter[n]) * factor,
            "lab": med[n],
            "paint_fraction": float(uniformity[n]),
            "surround_difference": float(contrast[n]),
            "score": float(score[n]),
        }
        for n in np.flatnonzero(good)
    ]
    tubes.sort(key=lambda t: -t["score"])
    for t in tubes[:limit]:  # shared between cues through the scene's memo: read-only
        for key in ("centre", "axis", "lab"):
            t[key] = np.array(t[key], np.float64)
            t[key].setflags(write=False)
    return tubes[:limit]


def shared_tubes(scene: Scene, params: DarkGreenCoverParams = DarkGreenCoverParams()) -> list[dict]:
    """:func:`find_tubes` once per scene and settings: the cover reads the best tube, the
    serial cue looks for a marking on any of them."""
    return scene.memo(("launch tubes", params), lambda: find_tubes(scene, params))


def _near_paint(off: np.ndarray, params: DarkGreenCoverParams) -> np.ndarray:
    """Which CIELAB offsets ``(..., 3)`` from a paint's median lie within
    ``params.paint_tolerance`` (CIE76, lightness at half weight for shading)."""
    return np.sqrt((off[..., 0] * 0.5) ** 2 + off[..., 1] ** 2 + off[..., 2] ** 2) <= params.paint_tolerance


def one_paint(lab: np.ndarray, params: DarkGreenCoverParams = DarkGreenCoverParams()) -> tuple[np.ndarray, bool]:
    """Median of CIELAB pixels ``(n, 3)`` and whether they are one paint, as a tube's
    interior is judged (:func:`find_tubes`): ``min_paint_fraction`` of them within
    ``paint_tolerance`` of the median."""
    med = np.median(lab, axis=0)
    return med, bool(_near_paint(lab - med, params).mean() >= params.min_paint_fraction)


def could_be_paint(lab: np.ndarray, params: DarkGreenCoverParams = DarkGreenCoverParams(), margin: float = 1.5) -> bool:
    """Whether a CIELAB colour could be a launch tube's paint: ``L*`` within
    :data:`PAINT_L` and CIEDE2000 (``kL = 2``) within ``margin * params.max_delta_e`` of a
    named reference.

    The margin allows for a poor illuminant estimate. The test leaves out white, black and
    blue caption banners, but not a red one (CIEDE2000 compresses high chroma: a saturated
    red is about 29 from the nearest reference) nor a grey one (every neutral grey of
    L* 13-89 is within 17).
    """
    lab = np.asarray(lab, np.float64)
    if not PAINT_L[0] <= lab[0] <= PAINT_L[1]:
        return False
    return float(ciede2000(lab[None, :], _reference_labs(params.references), kL=2.0).min()) <= margin * params.max_delta_e


def _sample(lab: np.ndarray, centre: np.ndarray, u: np.ndarray, v: np.ndarray, half_length: np.ndarray, diameter: np.ndarray, across: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float CIELAB samples of ``n`` oriented strips of an 8-bit Lab image.

    Strip ``i`` runs ``± half_length[i]`` along ``u[i]`` from ``centre[i]``, at offsets
    ``across * diameter[i]`` along ``v[i]``; nearest-pixel samples.

    Returns
    -------
    samples : (n, len(across) * 32, 3) float32 ndarray
        Per strip the 32 samples along it at ``across[0]``, then those at ``across[1]``, and
        so on; NaN outside the image.
    inside : (n, len(across) * 32) bool ndarray
        Which samples lie in the image.
    """
    along = _ALONG[None, None, :] * half_length[:, None, None]  # (n, 1, 32)
    off = across[None, :, None] * diameter[:, None, None]  # (n, k, 1)
    x = np.rint(centre[:, 0, None, None] + along * u[:, 0, None, None] + off * v[:, 0, None, None]).reshape(len(centre), -1)
    y = np.rint(centre[:, 1, None, None] + along * u[:, 1, None, None] + off * v[:, 1, None, None]).reshape(len(centre), -1)
    h, w = lab.shape[:2]
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    # Whole-pixel coordinates, so nearest-neighbour remapping reads exactly those pixels.
    px = lab_u8_to_float(cv2.remap(lab, x.astype(np.float32), y.astype(np.float32), cv2.INTER_NEAREST))
    px[~inside] = np.nan
    return px, inside


def _nan_median(samples: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per-row median ``(n, 3) float64`` of ``(n, m, 3)`` samples, NaNs left out (0 for a row of NaNs).

    ``count`` holds each row's number of samples that are not NaN. ``np.nanmedian`` goes
    through masked arrays and costs ~1 ms per call; sorting puts the NaNs last, so the
    median is read at half of each row's count.
    """
    ordered = np.sort(samples, axis=1)
    rows = np.arange(len(samples))
    lo, hi = ordered[rows, np.maximum(count - 1, 0) // 2], ordered[rows, np.where(count > 0, count // 2, 0)]
    med = (lo.astype(np.float64) + hi) / 2.0
    return np.where(count[:, None] > 0, med, 0.0)


def _tube_colour(scene: Scene, tube: dict) -> tuple[np.ndarray, int]:
    """Median CIELAB of the tube's paint at working resolution, leaving out tape,
    yellow markings, stencils and specular highlights.

    Returns
    -------
    lab : (3,) float32 ndarray
        The median (``tube["lab"]`` when the strip has no pixels).
    n : int
        Pixels the median is taken over.
    """
    strip = (tube["centre"], tube["axis"], tube["length"] / 2.0 * 0.9, tube["diameter"] * 0.3)
    # The lightness and (a, b) planes separately: picking 1- and 2-byte pixels out of an
    # image costs a third of picking 3-byte ones.
    lightness, ab = strip_pixels(scene.lightness, *strip), strip_pixels(scene.ab, *strip)
    if len(ab) == 0:
        return tube["lab"], 0
    paint = ~(hue_chroma_table(105.0, 175.0, 30.0)[ab] | hue_chroma_table(62.0, 112.0, 36.0)[ab])
    if np.count_nonzero(paint) < 4:
        paint[:] = True
    unlit = paint & (LAB_U8_LEVELS[lightness, 0] < 88.0)
    if np.count_nonzero(unlit) >= 4:
        paint = unlit
    channels = (lightness, (ab >> 8).astype(np.uint8), (ab & 0xFF).astype(np.uint8))
    return _median_u8(channels, paint), int(np.count_nonzero(paint))


def _median_u8(channels: tuple[np.ndarray, np.ndarray, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """``np.median(lab_u8_to_float(px[rows]), axis=0)`` of 8-bit Lab pixels ``px``, given
    as their three channels, from per-channel histograms.

    The 8-bit to float conversion is increasing in each channel, so the middle values are
    the conversions of the middle 8-bit codes; an even count averages the two (float32, as
    ``np.median`` does). A histogram costs less than selecting the rows and sorting them.

    Parameters
    ----------
    channels : three (n,) uint8 ndarrays
        L, a and b codes of the pixels.
    rows : (n,) bool ndarray
        The pixels to take, at least one.

    Returns
    -------
    (3,) float32 ndarray
    """
    mask = rows.view(np.uint8)
    count = np.count_nonzero(rows)
    middle = [(count - 1) // 2, count // 2]  # ranks of the middle one or two values
    med = np.empty(3, np.float32)
    for c, codes in enumerate(channels):
        counts = cv2.calcHist([codes], [0], mask, [256], [0, 256]).ravel()  # float32, exact below 2**24
        lo, hi = LAB_U8_LEVELS[order_statistics(counts, middle), c]
        med[c] = (lo + hi) / np.float32(2.0)
    return med


def detect(scene: Scene, params: DarkGreenCoverParams = DarkGreenCoverParams()) -> CueResult:
    """Measure the launch tube's colour and name the nearest reference.

    Parameters
    ----------
    scene : Scene
    params : DarkGreenCoverParams

    Returns
    -------
    CueResult
        ``present`` when the nearest reference is ``params.target`` within
        ``max_delta_e``; ``not_assessable`` when no tube is found, or when it or most of
        the photo is too dark or bright to judge (:func:`._shapes.exposure_problem`); field
        ``colour`` names the nearest reference.

    Examples
    --------
    >>> import numpy as np
    >>> from vision.normalise import normalise
    >>> img = np.full((300, 400, 3), (170, 160, 150), np.uint8)
    >>> img[130:170, 40:360] = (38, 72, 50)   # a dark-green tube
    >>> r = detect(normalise(img))
    >>> r.state.value, r.fields["colour"]
    ('present', 'dark_green')
    """
    # A colour judgement needs the illuminant, which a photo mostly clipped or crushed does
    # not show: unlike the marks, the cover is not judged in such a photo at all.
    reason = assessability(scene, min_side=48) or exposure_problem(scene)
    if reason:
        return CueResult.not_assessable(NAME, reason, fields={"colour": None})
    # The seal tape, when found, marks the tube for certain: its flanks are the tube's paint.
    from . import run_cue  # the registry imports this module; resolve at call time

    tape = run_cue("green_seal_tape", scene)
    if tape.present:
        colour = np.asarray(tape.measurements["tube_lab"], dtype=np.float64)
        n = 0
        tube = None
        source = "beside the seal tape"
    else:
        tubes = shared_tubes(scene, params)
        if not tubes:
            return CueResult.not_assessable(NAME, "no launch tube found", fields={"colour": None})
        tube = tubes[0]
        colour, n = _tube_colour(scene, tube)
        source = "tube found from its edges"
    if colour[0] < 8.0:
        return CueResult.not_assessable(NAME, "tube too dark to judge its colour", fields={"colour": None})
    if colour[0] > 92.0:
        return CueResult.not_assessable(NAME, "tube overexposed", fields={"colour": None})
    names = [n_ for n_, _ in params.references]
    dist = ciede2000(colour[None, :], _reference_labs(params.references), kL=2.0)
    nearest = names[int(np.argmin(dist))]
    t = names.index(params.target)
    d_target = float(dist[t])
    d_other = min(d for i, d in enumerate(dist.tolist()) if i != t)
    similarity = d_other / (d_target + d_other + 1e-9)
    present = nearest == params.target and d_target <= params.max_delta_e
    score = similarity if present else min(similarity, 0.49)
    chroma = float(np.hypot(colour[1], colour[2]))
    measurements = {
        "lab": colour,
        "lch": [float(colour[0]), chroma, float(np.degrees(np.arctan2(colour[2], colour[1])) % 360.0)],
        "delta_e2000": dict(zip(names, dist.tolist())),
        "tube_source": source,
    }
    if tube is None:
        box = list(tape.regions[0].bbox)
    else:
        c = tube["centre"]
        u = tube["axis"]
        v = np.array([-u[1], u[0]])
        corners = np.array([c + su * tube["length"] / 2 * u + sv * tube["diameter"] / 2 * v for su in (-1, 1) for sv in (-1, 1)])
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        box = scene.box_to_original(max(x0, 0), max(y0, 0), x1 - max(x0, 0), y1 - max(y0, 0))
        measurements.update(
            {
                "tube_length_px": float(tube["length"] * scene.working_pixel_size),
                "tube_diameter_px": float(tube["diameter"] * scene.working_pixel_size),
                "tube_paint_fraction": tube["paint_fraction"],
                "tube_surround_difference": tube["surround_difference"],
                "pixels": n,
            }
        )
    region = Region(tuple(box), float(score), f"tube: {nearest.replace('_', ' ')}")
    state = CueState.PRESENT if present else CueState.ABSENT
    return CueResult(NAME, state, float(score), (region,), measurements, fields={"colour": nearest})
