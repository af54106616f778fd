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

import cv2
import numpy as np

from ..colour import ciede2000, hue_chroma_table, lab_u8_to_float
from ..normalise import Scene
from ._shapes import assessability, strip_pixels
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
    lengths = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    seg, lengths = seg[np.argsort(-lengths)][:40], np.sort(lengths)[::-1][:40]
    angles = np.arctan2(seg[:, 3] - seg[:, 1], seg[:, 2] - seg[:, 0]) % np.pi
    dmin, dmax = params.diameter_range[0] * long_side, params.diameter_range[1] * long_side
    # Pair tests for all segment pairs at once: parallel, a tube diameter apart, overlapping.
    u_all = np.stack([np.cos(angles), np.sin(angles)], -1)
    v_all = np.stack([-u_all[:, 1], u_all[:, 0]], -1)
    p0, p1 = seg[:, :2], seg[:, 2:]
    mid = (p0 + p1) / 2.0
    a_idx, b_idx = np.triu_indices(len(seg), 1)
    dtheta = np.abs(angles[a_idx] - angles[b_idx])
    dtheta = np.minimum(dtheta, np.pi - dtheta)
    u_a, v_a, origin = u_all[a_idx], v_all[a_idx], p0[a_idx]
    dist = np.einsum("ni,ni->n", mid[b_idx] - origin, v_a)
    ta0 = np.zeros(len(a_idx))
    ta1 = np.einsum("ni,ni->n", p1[a_idx] - origin, u_a)
    tb0 = np.einsum("ni,ni->n", p0[b_idx] - origin, u_a)
    tb1 = np.einsum("ni,ni->n", p1[b_idx] - origin, u_a)
    lo = np.maximum(np.minimum(ta0, ta1), np.minimum(tb0, tb1))
    hi = np.minimum(np.maximum(ta0, ta1), np.maximum(tb0, tb1))
    overlap = hi - lo
    ok = (
        (dtheta <= np.radians(5.0))
        & (np.abs(dist) >= max(dmin, 3.0))
        & (np.abs(dist) <= dmax)
        & (overlap >= params.min_tube_length * long_side)
        & (overlap >= params.min_aspect * np.abs(dist))
    )
    cand = np.flatnonzero(ok)[np.argsort(-overlap[ok])][:30]
    if cand.size == 0:
        return []
    u, v = u_all[a_idx[cand]], v_all[a_idx[cand]]
    length, diameter = overlap[cand], np.abs(dist[cand])
    centre = origin[cand] + u * ((lo[cand] + hi[cand]) / 2.0)[:, None] + v * (dist[cand] / 2.0)[:, None]
    # Every candidate's interior (the middle 60 % of its width) and the strips just outside
    # each edge, sampled on one grid for all candidates at once.
    inner = _sample(small, centre, u, v, length * 0.45, diameter, np.linspace(-0.3, 0.3, 5))
    count = np.count_nonzero(~np.isnan(inner[..., 0]), axis=1)
    med = _nan_median(inner)  # (n, 3); rows without samples are dropped below
    # Mostly one paint: markings, tape and glints may cover part of the tube.
    close = np.linalg.norm((inner - med[:, None, :]) * [0.5, 1.0, 1.0], axis=2) <= params.paint_tolerance
    uniformity = close.sum(axis=1) / np.maximum(count, 1)
    contrast = np.zeros(len(cand))
    for sign in (-1.0, 1.0):
        ring = _sample(small, centre, u, v, length * 0.45, diameter, sign * np.linspace(0.65, 1.05, 3))
        usable = np.count_nonzero(~np.isnan(ring[..., 0]), axis=1) >= 4
        ring_med = _nan_median(ring)
        contrast = np.maximum(contrast, np.where(usable, np.linalg.norm(ring_med - med, axis=1), 0.0))
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
    return tubes[:limit]


def _sample(lab: np.ndarray, centre: np.ndarray, u: np.ndarray, v: np.ndarray, half_length: np.ndarray, diameter: np.ndarray, across: np.ndarray) -> np.ndarray:
    """Float CIELAB samples ``(n, 32 * len(across), 3)`` of ``n`` oriented strips.

    Strip ``i`` runs ``± half_length[i]`` along ``u[i]`` from ``centre[i]``, at offsets
    ``across * diameter[i]`` along ``v[i]``; nearest-pixel samples, NaN outside the image.
    """
    t = np.linspace(-1.0, 1.0, 32)
    along = t[None, :, None] * half_length[:, None, None]  # (n, 32, 1)
    off = across[None, None, :] * diameter[:, None, None]  # (n, 1, k)
    x = centre[:, 0, None, None] + along * u[:, 0, None, None] + off * v[:, 0, None, None]
    y = centre[:, 1, None, None] + along * u[:, 1, None, None] + off * v[:, 1, None, None]
    x, y = np.rint(x).reshape(len(centre), -1).astype(int), np.rint(y).reshape(len(centre), -1).astype(int)
    h, w = lab.shape[:2]
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    px = lab_u8_to_float(lab[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)]).astype(np.float64)
    px[~inside] = np.nan
    return px


def _nan_median(samples: np.ndarray) -> np.ndarray:
    """Per-row median ``(n, 3)`` of ``(n, m, 3)`` samples, NaNs left out (0 for a row of NaNs).

    ``np.nanmedian`` goes through masked arrays and costs ~1 ms per call; sorting puts the
    NaNs last, so the median is read at half of each row's count.
    """
    ordered = np.sort(samples, axis=1)
    count = np.count_nonzero(~np.isnan(samples[..., 0]), axis=1)
    lo = np.maximum(count - 1, 0) // 2
    hi = np.maximum(count, 1) // 2
    rows = np.arange(len(samples))
    med = (ordered[rows, lo] + ordered[rows, np.where(count > 0, hi, 0)]) / 2.0
    return np.where(count[:, None] > 0, med, 0.0)


def _tube_colour(scene: Scene, tube: dict) -> tuple[np.ndarray, int]:
    """Median CIELAB of the tube's paint at working resolution, leaving out tape,
    yellow markings, stencils and specular highlights."""
    px = strip_pixels(scene.lab, tube["centre"], tube["axis"], tube["length"] / 2.0 * 0.9, tube["diameter"] * 0.3)
    if len(px) == 0:
        return tube["lab"], 0
    ab = (px[:, 1].astype(np.uint16) << 8) | px[:, 2]
    marking = hue_chroma_table(105.0, 175.0, 30.0)[ab] | hue_chroma_table(62.0, 112.0, 36.0)[ab]
    lab = lab_u8_to_float(px[~marking]) if (~marking).sum() >= 4 else lab_u8_to_float(px)
    keep = lab[:, 0] < 88.0
    if keep.sum() >= 4:
        lab = lab[keep]
    return np.median(lab, axis=0), int(len(lab))


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
        ``max_delta_e``; ``not_assessable`` when no tube is found or it is too dark or
        bright to judge; field ``colour`` names the nearest reference.

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
    reason = assessability(scene, min_side=48)
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
        tubes = find_tubes(scene, params)
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
    refs = np.array([_lch_to_lab(lch) for _, lch in params.references])
    dist = ciede2000(colour[None, :], refs, kL=2.0)
    nearest = names[int(np.argmin(dist))]
    t = names.index(params.target)
    d_target = float(dist[t])
    d_other = float(np.min(np.delete(dist, t)))
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
