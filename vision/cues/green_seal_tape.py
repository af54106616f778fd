"""Green security-seal tape: a saturated, uniform green band crossing a darker tube.

Physics and geometry, not colour memorisation:

1. *Colour*: a bright green in CIELAB (hue sector around 140 deg, high chroma, high
   lightness) after illuminant correction. Foliage, tarps and signs pass this step too.
2. *Shape*: a tape is a band with straight edges: its pixels fill their minimum-area
   rectangle (leaves are ellipses, area ratio ~0.785), and its colour is uniform.
3. *Context*: the band crosses a tube, so along the tube axis it is flanked on *both*
   sides by the same, darker, uniform surface (the tube) that is not tape-coloured.
   Either rectangle axis may be the tube axis; the better-supported one is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..colour import hue_chroma_table
from ..normalise import Scene
from ._shapes import assessability, blobs, edge_pair_strength, l_threshold, lab_of, soft, strip_pixels, strip_stats
from .base import CueResult, CueState, Region

NAME = "green_seal_tape"


@dataclass(frozen=True)
class GreenSealTapeParams:
    """Settings of :func:`detect`.

    Attributes
    ----------
    hue_range : (float, float)
        CIELAB hue sector of the tape green, degrees (yellow-green to blue-green).
    min_chroma, min_lightness : float
        The tape is a saturated, light green (``C*``, ``L*``).
    min_area : int
        Smallest band, working pixels.
    max_area_fraction : float
        Largest band as a fraction of the working image (tarps and signs are bigger).
    min_rectangularity : float
        Convex-hull area / its minimum-area rectangle; an ellipse (a leaf) gives 0.785.
    min_solidity : float
        Band pixels / convex-hull area (a logo or glint may cut into the tape, not halve it).
    end_weight : float
        Weight of the tube evidence when only one side of the band shows a tube (a tape at
        the tube's end) relative to a tape with the tube on both sides.
    min_split_area : int
        Components of at least this many pixels that fail the shape test are split into
        their two colours and tried again (a tape touching a leaf or a lit tube).
    grow_chroma, grow_lightness, grow_steps : float, float, int
        The tape mask grows up to ``grow_steps`` pixels from saturated seeds through pixels
        of a similar hue with at least this chroma and lightness (shaded edges, glints).
    min_flank_contrast : float
        How much lighter (``L*``) the tape must be than the tube on both sides.
    max_flank_difference : float
        CIE76 difference allowed between the two flanks (both are the same tube).
    max_flank_chroma_iqr : float
        Interquartile range of ``a*`` and ``b*`` allowed within a flank: paint is one colour
        (its lightness varies with the cylinder's shading), foliage is not.
    min_tube_extent : float
        Diameters of tube (the flank's colour, uniform, with edges) along the axis, both sides
        of the tape together, that count as full evidence of a tube.
    max_flank_tape_fraction : float
        Flanks must not themselves be tape-coloured.
    min_tube_edge : float
        CIE76 step of the tube's two edges beside the tape (found at matching distances
        either side) that counts as full evidence of a tube; a leaf in shadow has none.
    min_quality : float
        Mean of the soft tests (rectangularity, chroma, flank contrast, flank similarity,
        flank uniformity, tube edges, tube extent) needed to call the band a tape.
    min_side : int
        Working images with a shorter side are not assessable.
    """

    hue_range: tuple[float, float] = (120.0, 175.0)
    min_chroma: float = 30.0
    min_lightness: float = 38.0
    min_area: int = 16
    max_area_fraction: float = 0.03
    min_rectangularity: float = 0.82
    min_solidity: float = 0.6
    grow_chroma: float = 12.0
    grow_lightness: float = 25.0
    grow_steps: int = 3
    min_split_area: int = 60
    end_weight: float = 0.9
    min_flank_contrast: float = 5.0
    max_flank_difference: float = 25.0
    max_flank_chroma_iqr: float = 16.0
    min_tube_extent: float = 2.0
    min_quality: float = 0.68
    max_flank_tape_fraction: float = 0.2
    min_tube_edge: float = 20.0
    min_side: int = 48

    def __post_init__(self) -> None:
        if not 0.0 < self.max_area_fraction <= 1.0:
            raise ValueError(f"max_area_fraction must be in (0, 1], got {self.max_area_fraction!r}")
        if self.min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {self.min_area!r}")


def detect(scene: Scene, params: GreenSealTapeParams = GreenSealTapeParams()) -> CueResult:
    """Find green security-seal tape across a tube.

    Parameters
    ----------
    scene : Scene
        Normalised photo (:func:`vision.normalise.normalise`).
    params : GreenSealTapeParams

    Returns
    -------
    CueResult
        ``present`` with one region per tape found; measurements give the tape's CIELAB
        colour, area fraction, rectangularity, elongation and the flank (tube) colour.

    Examples
    --------
    >>> import numpy as np
    >>> from vision.normalise import normalise
    >>> img = np.full((120, 200, 3), 150, np.uint8)
    >>> img[50:70, :] = (40, 60, 40)          # a dark tube along x
    >>> img[50:70, 90:100] = (40, 200, 70)    # a green tape across it
    >>> detect(normalise(img)).state.value
    'present'
    """
    reason = assessability(scene, min_side=params.min_side)
    if reason:
        return CueResult.not_assessable(NAME, reason)
    lab = scene.lab
    h, w = scene.shape
    table = hue_chroma_table(params.hue_range[0], params.hue_range[1], params.min_chroma)
    seeds = (table[scene.ab] & (scene.lightness >= l_threshold(params.min_lightness))).astype(np.uint8)
    # Grow a few pixels through weaker greens of the same hue: the tape's shaded edges and
    # a glint across it belong to the band (hysteresis, bounded so it cannot flood a field).
    lo, hi = params.hue_range
    grow = hue_chroma_table(lo - 10.0, hi + 10.0, params.grow_chroma)[scene.ab] & (scene.lightness >= l_threshold(params.grow_lightness))
    mask = seeds
    for _ in range(params.grow_steps):
        mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)) & (grow | seeds).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    found = blobs(mask, min_area=params.min_area, max_area=int(params.max_area_fraction * h * w))

    candidates = []
    order = np.argsort(-found.area)[:25]
    for i in order:
        x, y, bw, bh = (int(v) for v in found.box[i])
        comp = (found.labels[y : y + bh, x : x + bw] == found.ids[i]).astype(np.uint8)
        cand = _assess_band(scene, comp, x, y, mask, seeds, params)
        if cand is not None:
            candidates.append(cand)

    measurements: dict = {"candidates": len(found), "mask_fraction": float(mask.mean())}
    good = [c for c in candidates if c["passes"]]
    if not good:
        best = max(candidates, key=lambda c: c["partial"], default=None)
        score = 0.45 * best["partial"] if best else 0.0
        if best:
            measurements["best_rejected"] = {k: v for k, v in best.items() if k not in ("passes", "box", "area")}
        return CueResult(NAME, CueState.ABSENT, score, (), measurements)

    good.sort(key=lambda c: -c["quality"])
    regions = tuple(
        Region(tuple(scene.box_to_original(*c["box"])), 0.5 + 0.5 * c["quality"], "green seal tape") for c in good[:5]
    )
    top = good[0]
    measurements.update({k: v for k, v in top.items() if k not in ("passes", "box", "partial", "area")})
    measurements["area_fraction"] = float(top["area"] / (h * w))
    return CueResult(NAME, CueState.PRESENT, 0.5 + 0.5 * top["quality"], regions, measurements)


def _flank(scene: Scene, mask: np.ndarray, centre: np.ndarray, axis: np.ndarray, half_len: float, diameter: float) -> dict | None:
    """Colour of the tube beside the tape, and the strength of the tube's two edges there
    (they must lie where the tape's ends are: the tape covers the tube's diameter)."""
    stats = strip_stats(strip_pixels(scene.lab, centre, axis, half_len, 0.35 * diameter))
    if stats is None:
        return None
    in_mask = strip_pixels(mask[..., None], centre, axis, half_len, 0.35 * diameter)
    stats["tape_fraction"] = float(in_mask.mean()) if len(in_mask) else 1.0
    stats["edge"] = edge_pair_strength(scene.lab, centre, axis, 2.0 * half_len, diameter)
    return stats


def _tube_run(scene, mask, centre, axis, start: float, step: float, diameter: float, ref: dict, params) -> float:
    """Length (in diameters) over which the tube continues on one side of the tape.

    Walks outwards in flank-sized steps from the near flank ``ref`` while each strip keeps
    its colour, its chroma uniformity and its two edges; one odd step (a stencil, a strap)
    is allowed, two end the tube.
    """
    length = step
    misses = 0
    for k in range(1, 6):
        f = _flank(scene, mask, centre + (start + k * step) * axis, axis, step / 2.0, diameter)
        if f is None:
            break
        if (
            np.linalg.norm(lab_of(f) - lab_of(ref)) > params.max_flank_difference
            or f["ab_iqr"] > params.max_flank_chroma_iqr
            or f["edge"] < params.min_tube_edge / 2.0
            or f["tape_fraction"] > params.max_flank_tape_fraction
        ):
            misses += 1
            if misses > 1:
                break
            continue
        length += step * (1 + misses)
        misses = 0
    return length / diameter


def _side_evidence(tape: dict, flank: dict, run: float, params) -> float:
    """0..1: how much one flank looks like a tube running away from the tape."""
    return float(
        np.mean(
            [
                soft(tape["L"] - flank["L"], params.min_flank_contrast, params.min_flank_contrast + 20.0),
                1.0 - soft(flank["ab_iqr"], 5.0, params.max_flank_chroma_iqr),
                1.0 - soft(flank["tape_fraction"], 0.05, params.max_flank_tape_fraction),
                soft(flank["edge"], 0.0, params.min_tube_edge),
                soft(run, 0.6, params.min_tube_extent),
            ]
        )
    )


def _split_by_colour(scene: Scene, comp: np.ndarray, x: int, y: int) -> list[np.ndarray]:
    """Split a component that is two things touching (a tape and a leaf, a tape and a lit
    tube) into its two colour clusters (k-means in CIELAB), largest connected part of each."""
    sel = comp.astype(bool)
    pixels = scene.lab[y : y + comp.shape[0], x : x + comp.shape[1]][sel].astype(np.float32)
    if len(pixels) < 40:
        return []
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    # Deterministic start (lighter / darker half), so a photo scores the same in any batch.
    start = (pixels[:, 0] > np.median(pixels[:, 0])).astype(np.int32).reshape(-1, 1)
    _, labels, centres = cv2.kmeans(pixels, 2, start, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    if np.linalg.norm((centres[0] - centres[1]) * [1 / 2.55, 1.0, 1.0]) < 10.0:
        return []  # one colour: nothing to split
    parts = []
    for k in range(2):
        part = np.zeros(comp.shape, np.uint8)
        part[sel] = (labels.ravel() == k).astype(np.uint8)
        n, lab, stats, _ = cv2.connectedComponentsWithStats(part, connectivity=8)
        if n > 1:
            largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
            parts.append((lab == largest).astype(np.uint8))
    return parts


def _assess_band(scene: Scene, comp: np.ndarray, x: int, y: int, mask: np.ndarray, seeds: np.ndarray, params: GreenSealTapeParams, split: bool = True) -> dict | None:
    """Shape and flank tests for one green component (``comp``: its mask cropped at ``x, y``);
    ``None`` if it cannot be a band at all. A component failing the shape test is tried
    again split into its two colours (``split``)."""
    bh, bw = comp.shape
    area = int(np.count_nonzero(comp))
    contours, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = cv2.convexHull(np.concatenate(contours))
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(hull)
    # Contour points are pixel centres: the pixels' own rectangle is one pixel larger.
    rw, rh = rw + 1.0, rh + 1.0
    # The band's outline is its convex hull, so a printed logo or a glint cutting into the
    # tape does not spoil its shape; an ellipse (a leaf) fills pi/4 = 0.785 of its rectangle.
    filled = np.zeros_like(comp)
    cv2.drawContours(filled, [hull], -1, 1, thickness=cv2.FILLED)
    hull_area = max(np.count_nonzero(filled), 1)
    rect_fill = float(min(hull_area / (rw * rh), 1.0))
    solidity = float(area / hull_area)
    base = {"area": area, "box": (x, y, bw, bh), "passes": False, "quality": 0.0, "rectangularity": rect_fill, "solidity": solidity}
    if rect_fill < params.min_rectangularity or solidity < params.min_solidity or min(rw, rh) < 2.0:
        best = {**base, "partial": 0.0}
        for part in _split_by_colour(scene, comp, x, y) if split and area >= params.min_split_area else []:
            ys, xs = np.nonzero(part)
            if len(ys) < params.min_area:
                continue
            y0, x0 = int(ys.min()), int(xs.min())
            cand = _assess_band(scene, part[y0 : ys.max() + 1, x0 : xs.max() + 1], x + x0, y + y0, mask, seeds, params, split=False)
            if cand is not None and (cand["passes"], cand.get("quality", 0.0)) > (best["passes"], best.get("quality", 0.0)):
                best = cand
        return best
    pixels = scene.lab[y : y + bh, x : x + bw][comp.astype(bool) & seeds[y : y + bh, x : x + bw].astype(bool)]
    tape = strip_stats(pixels)
    if tape is None:
        return None
    ab = pixels[:, 1:].astype(np.float64) - 128.0
    chroma = float(np.hypot(tape["a"], tape["b"]))
    ab_spread = float(np.sqrt(ab.var(axis=0).sum()))
    theta = np.radians(angle)
    axis_w = np.array([np.cos(theta), np.sin(theta)])
    axis_h = np.array([-np.sin(theta), np.cos(theta)])
    centre = np.array([cx + x, cy + y])

    best = None
    # Try each rectangle axis as the tube axis: the tape's width runs along it,
    # the tube's visible diameter across it.
    for tube_axis, tape_width, diameter in ((axis_w, rw, rh), (axis_h, rh, rw)):
        if not 0.5 <= diameter / tape_width <= 10.0 or diameter < 3.0:
            continue
        flank_len = max(3.0, 0.6 * min(diameter, 3 * tape_width))
        offset = tape_width / 2.0 + 1.5 + flank_len / 2.0
        sides = []
        for sign in (-1.0, 1.0):
            direction = sign * tube_axis
            flank = _flank(scene, mask, centre + offset * direction, tube_axis, flank_len / 2.0, diameter)
            if flank is None:
                continue
            run = _tube_run(scene, mask, centre, direction, offset, flank_len, diameter, flank, params)
            sides.append((flank, run, _side_evidence(tape, flank, run, params)))
        if not sides:
            continue
        # The tape sits on the tube: either in its middle (both flanks are the same tube) or
        # at one end (one flank is an end cap or the background). Take the better reading.
        # A tape at the tube's end has one tube side only: weaker evidence than two.
        one_sided = params.end_weight * max(ev for _, _, ev in sides)
        two_sided = 0.0
        flank_diff = float("inf")
        if len(sides) == 2:
            (f1, r1, e1), (f2, r2, e2) = sides
            flank_diff = float(np.linalg.norm(lab_of(f1) - lab_of(f2)))
            two_sided = float(np.mean([min(e1, e2), 1.0 - soft(flank_diff, 5.0, params.max_flank_difference), soft(r1 + r2, 1.2, params.min_tube_extent)]))
            two_sided = max(two_sided, 0.0) * 0.5 + 0.5 * float(np.mean([e1, e2]))
        tube = max(two_sided, one_sided)
        main = max(sides, key=lambda t: t[2])
        flank, run = main[0], main[1]
        contrast = tape["L"] - flank["L"]
        gates = [
            contrast >= params.min_flank_contrast,
            flank["tape_fraction"] <= params.max_flank_tape_fraction,
            ab_spread <= 0.45 * chroma,
        ]
        # Shape and colour weigh 2, the tube around the band 3: a band of green is a tape
        # when it sits across a tube.
        quality = float(
            (2.0 * soft(rect_fill, params.min_rectangularity, 0.95) + 2.0 * soft(chroma, params.min_chroma, params.min_chroma + 25.0) + 6.0 * tube) / 10.0
        )
        gates.append(quality >= params.min_quality)
        cand = {
            **base,
            "passes": all(gates),
            "partial": float(np.mean(gates)),
            "quality": quality,
            "tube_evidence": tube,
            "tape_position": "middle" if two_sided >= one_sided else "end",
            "lab": [tape["L"], tape["a"], tape["b"]],
            "chroma": chroma,
            "elongation": float(max(diameter, tape_width) / min(diameter, tape_width)),
            "flank_contrast_L": float(contrast),
            "flank_difference": flank_diff if np.isfinite(flank_diff) else None,
            "flank_chroma_iqr": float(flank["ab_iqr"]),
            "tube_edge_difference": float(flank["edge"]),
            "tube_extent_diameters": float(sum(r for _, r, _ in sides)),
            "tube_lab": [flank["L"], flank["a"], flank["b"]],
            "tube_axis_deg": float(np.degrees(np.arctan2(tube_axis[1], tube_axis[0])) % 180.0),
        }
        key = (cand["passes"], cand["quality"] if cand["passes"] else cand["partial"])
        if best is None or key > (best["passes"], best["quality"] if best["passes"] else best["partial"]):
            best = cand
    return best if best is not None else {**base, "partial": 0.0}
