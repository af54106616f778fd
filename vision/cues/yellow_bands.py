"""Yellow tripod bands: three evenly spaced yellow bands round a leg.

A Toofan tripod leg carries three short yellow bands, each about as wide as the leg and
short along it, with gaps of the same order. The detector:

1. finds small yellow components with hysteresis in CIELAB (a weak chroma limit grows
   regions from strongly yellow seeds, because 4:2:0 JPEG smears the colour of thin marks);
2. looks for *triples* of similar blobs whose centres are collinear and evenly spaced,
   whose extent along the chain is short relative to the spacing, whose long axes (when
   they have one) cross the chain, and whose gaps are darker and not yellow (the leg);
3. rejects chains that continue with a fourth band (hazard stripes) and components that
   are dashes along the chain
   (road markings) or too large (signs);
4. keeps the best disjoint groups (one per leg), and drops a group that sits in a field of
   other yellow blobs (flowers, a yellow-textured surface), the other legs' bands aside.

``count`` is the number of bands in the best group (3 for the pattern, 2 or 1 when only
part of it is found); ``groups`` is the number of legs showing a full group of three.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..colour import hue_chroma_table, lab_u8_to_float
from ..normalise import Scene
from ._shapes import Blobs, assessability, blobs, edge_pair_strength, l_threshold, soft
from .base import CueResult, CueState, Region

NAME = "yellow_bands"


@dataclass(frozen=True)
class YellowBandsParams:
    """Settings of :func:`detect`.

    Attributes
    ----------
    hue_range : (float, float)
        CIELAB hue sector of yellow paint (amber to lemon), degrees.
    seed_chroma, grow_chroma : float
        Hysteresis chroma limits (``C*``): seeds reach ``seed_chroma``; regions grow by at
        most one pixel through pixels above ``grow_chroma``.
    faint_chroma, mark_size, min_mark_contrast : float, int, float
        A pixel with only ``faint_chroma`` is also a seed when it lies on a mark narrower
        than ``mark_size`` working pixels that is at least ``min_mark_contrast`` (``L*``)
        brighter than its surroundings (white top-hat): the lightness of a thin band
        survives chroma subsampling.
    min_lightness : float
        Yellow paint is light (``L*``).
    min_area : int
        Smallest band (working pixels).
    max_area_fraction : float
        Largest band as a fraction of the working image.
    max_spacing_ratio : float
        Largest centre spacing relative to band size.
    spacing_to_length : (float, float)
        Allowed centre spacing / band length along the leg ("gaps of the same order").
    max_spacing_irregularity : float
        ``|d1 - d2| / mean(d)`` allowed for the two gaps of a triple.
    max_area_ratio : float
        Bands of one group have similar size.
    max_dash_ratio : float
        Band length along the chain / width across it; above this it is a dash, not a band.
    min_gap_contrast : float
        The leg between bands must differ this much (CIE76) from the bands' colour.
    max_neighbours : int
        More other yellow blobs than this around a triple means a field (flowers, gravel).
    min_group_quality : float
        Mean of the soft group tests (regular spacing, gap colour, equal sizes, leg edges)
        a group of three needs; none of them alone is decisive.
    min_leg_edge : float
        CIE76 step of the leg's two edges between the bands (a bar about as wide as the
        bands); flowers and speckles have no leg between them.
    max_blobs : int
        At most this many yellow blobs (the largest) are searched for groups of three.
    max_pair_blobs : int
        Partial patterns (two bands) are only sought among this many yellow blobs at most;
        more is a yellow-textured scene where a pair means nothing.
    min_side : int
        Working images with a shorter side are not assessable.
    """

    hue_range: tuple[float, float] = (62.0, 118.0)
    seed_chroma: float = 40.0
    grow_chroma: float = 28.0
    faint_chroma: float = 18.0
    mark_size: int = 9
    min_mark_contrast: float = 15.0
    min_lightness: float = 35.0
    min_area: int = 4
    max_area_fraction: float = 0.004
    max_spacing_ratio: float = 9.0
    spacing_to_length: tuple[float, float] = (1.4, 8.0)
    max_spacing_irregularity: float = 0.3
    max_area_ratio: float = 3.5
    max_dash_ratio: float = 2.2
    min_gap_contrast: float = 15.0
    max_neighbours: int = 10
    min_leg_edge: float = 4.0
    min_group_quality: float = 0.6
    max_pair_blobs: int = 60
    max_blobs: int = 150
    min_side: int = 64

    def __post_init__(self) -> None:
        lo, hi = self.spacing_to_length
        if not 1.0 <= lo < hi:
            raise ValueError(f"spacing_to_length must satisfy 1 <= low < high, got {self.spacing_to_length!r}")
        if not self.faint_chroma <= self.grow_chroma <= self.seed_chroma:
            raise ValueError("expected faint_chroma <= grow_chroma <= seed_chroma")
        if self.mark_size < 3 or self.mark_size % 2 == 0:
            raise ValueError(f"mark_size must be an odd int >= 3, got {self.mark_size!r}")


def detect(scene: Scene, params: YellowBandsParams = YellowBandsParams()) -> CueResult:
    """Find groups of three yellow bands along thin linear structures.

    Parameters
    ----------
    scene : Scene
    params : YellowBandsParams

    Returns
    -------
    CueResult
        ``present`` when at least one leg shows three bands; fields ``count`` and
        ``groups``; one region per band of each group found.

    Examples
    --------
    >>> import numpy as np
    >>> from vision.normalise import normalise
    >>> img = np.full((200, 200, 3), 140, np.uint8)
    >>> img[20:180, 95:105] = 45                      # a dark leg
    >>> for y in (60, 90, 120):
    ...     img[y:y + 8, 95:105] = (235, 200, 30)     # three yellow bands
    >>> r = detect(normalise(img))
    >>> r.state.value, r.fields["count"], r.fields["groups"]
    ('present', 3, 1)
    """
    reason = assessability(scene, min_side=params.min_side)
    if reason:
        return CueResult.not_assessable(NAME, reason, fields={"count": 0, "groups": 0})
    h, w = scene.shape
    light = scene.lightness >= l_threshold(params.min_lightness)
    lo, hi = params.hue_range
    grow = hue_chroma_table(lo, hi, params.grow_chroma)[scene.ab] & light
    # Seeds: clearly yellow pixels, or faintly yellow pixels on a mark that is brighter than
    # its surroundings (4:2:0 JPEG halves the colour of a thin band, not its lightness).
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (params.mark_size, params.mark_size))
    tophat = cv2.morphologyEx(scene.lightness, cv2.MORPH_TOPHAT, kernel)
    faint = hue_chroma_table(lo, hi, params.faint_chroma)[scene.ab] & light
    seeds = (hue_chroma_table(lo, hi, params.seed_chroma)[scene.ab] & light) | (faint & (tophat >= l_threshold(params.min_mark_contrast)))
    # Growth is bounded to a pixel around the seeds, so a band does not leak along a tan leg.
    near = cv2.dilate(seeds.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    weak = seeds | (grow & near)
    found = blobs(weak, min_area=params.min_area, max_area=max(params.min_area, int(params.max_area_fraction * h * w)), seeds=seeds)
    measurements: dict = {"yellow_blobs": len(found), "yellow_fraction": float(weak.mean())}

    # A scene with hundreds of yellow specks (flowers, gravel) is searched among its largest
    # blobs only: the cost of the triple search grows with the square of the count.
    if len(found) > params.max_blobs:
        found = _largest(found, params.max_blobs)
    triples = _triples(scene, found, params) if len(found) >= 3 else []
    groups: list[dict] = []
    used: set[int] = set()
    for t in sorted(triples, key=lambda t: -t["quality"]):
        if used.isdisjoint(t["members"]):
            groups.append(t)
            used.update(t["members"])
    groups = [g for g in groups if _in_context(found, g, frozenset(used) - set(g["members"]), params)]
    if groups:
        best = groups[0]
        score = min(1.0, 0.6 + 0.3 * best["quality"] + 0.05 * (len(groups) - 1))
        regions = []
        for g_index, g in enumerate(groups):
            for k, m in enumerate(g["members"]):
                box = scene.box_to_original(*found.box[m])
                label = f"leg {g_index + 1}: 3 bands" if k == 0 else ""  # one tag per leg keeps overlays legible
                regions.append(Region(tuple(box), 0.6 + 0.4 * g["quality"], label))
        measurements.update({k: v for k, v in best.items() if k not in ("members", "quality")})
        measurements["group_quality"] = best["quality"]
        return CueResult(NAME, CueState.PRESENT, score, tuple(regions), measurements, fields={"count": 3, "groups": len(groups)})

    pair = _best_pair(scene, found, params) if 2 <= len(found) <= params.max_pair_blobs else None
    if pair is not None:
        measurements.update({k: v for k, v in pair.items() if k != "members"})
        regions = tuple(Region(tuple(scene.box_to_original(*found.box[m])), 0.3, "band (pair)") for m in pair["members"])
        return CueResult(NAME, CueState.ABSENT, 0.3, regions, measurements, fields={"count": 2, "groups": 0})
    count = 1 if len(found) and bool(np.any(_major_axes(found)[1] <= 6.0)) else 0
    return CueResult(NAME, CueState.ABSENT, 0.1 * count, (), measurements, fields={"count": count, "groups": 0})


def _largest(found: Blobs, n: int) -> Blobs:
    """The ``n`` largest blobs (same label image)."""
    keep = np.sort(np.argsort(-found.area, kind="stable")[:n])
    return Blobs(found.labels, found.ids[keep], found.area[keep], found.box[keep], found.centre[keep], found.cov[keep])


def _neighbour_pairs(found: Blobs, params: YellowBandsParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i, j) of blobs close enough to be neighbouring bands, with their distance."""
    size = np.sqrt(found.area)
    diff = found.centre[:, None, :] - found.centre[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    limit = params.max_spacing_ratio * np.maximum(size[:, None], size[None, :]) + 2.0
    area_ratio = np.maximum(found.area[:, None], found.area[None, :]) / np.minimum(found.area[:, None], found.area[None, :])
    ok = (dist > 1.5) & (dist <= limit) & (area_ratio <= params.max_area_ratio)
    i, j = np.nonzero(ok)
    return i, j, dist[i, j]


def _extent(found: Blobs, members: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Extents (uniform-bar estimate) of blobs ``members`` along per-row unit ``direction``."""
    var = np.einsum("ni,nij,nj->n", direction, found.cov[members], direction)
    return np.sqrt(12.0 * np.maximum(var, 0.0)) + 1.0


def _major_axes(found: Blobs) -> tuple[np.ndarray, np.ndarray]:
    """Unit major axis ``(n, 2)`` and elongation ``(n,)`` of every blob (closed-form 2x2 eigen)."""
    vxx, vyy, vxy = found.cov[:, 0, 0], found.cov[:, 1, 1], found.cov[:, 0, 1]
    mean = (vxx + vyy) / 2.0
    diff = np.sqrt(((vxx - vyy) / 2.0) ** 2 + vxy**2)
    major = np.sqrt(12.0 * np.maximum(mean + diff, 0.0)) + 1.0
    minor = np.sqrt(12.0 * np.maximum(mean - diff, 0.0)) + 1.0
    angle = 0.5 * np.arctan2(2.0 * vxy, vxx - vyy)
    return np.stack([np.cos(angle), np.sin(angle)], -1), major / minor


def _triples(scene: Scene, found: Blobs, params: YellowBandsParams) -> list[dict]:
    """Valid evenly spaced collinear triples of band-like blobs.

    Geometric tests run vectorised over all candidate triples; only the survivors get the
    pixel-level tests (continuation, crowding, gap contrast).
    """
    i, j, d = _neighbour_pairs(found, params)
    if i.size == 0:
        return []
    # Predicted third band: k = 2*c_j - c_i; nearest blob to that point.
    pred = 2.0 * found.centre[j] - found.centre[i]
    gap = pred[:, None, :] - found.centre[None, :, :]
    err = np.hypot(gap[..., 0], gap[..., 1])
    k = np.argmin(err, axis=1)
    keep = (err[np.arange(k.size), k] <= 0.3 * d) & (k != i) & (k != j) & (i < k)
    a, b, c = i[keep], j[keep], k[keep]
    if a.size == 0:
        return []
    ca, cb, cc = found.centre[a], found.centre[b], found.centre[c]
    span = cc - ca
    length = np.hypot(span[:, 0], span[:, 1])
    u = span / length[:, None]
    v = np.stack([-u[:, 1], u[:, 0]], -1)
    d1 = np.hypot(*(cb - ca).T)
    d2 = np.hypot(*(cc - cb).T)
    mean_d = (d1 + d2) / 2.0
    areas = np.stack([found.area[a], found.area[b], found.area[c]], -1)
    along = np.stack([_extent(found, m, u) for m in (a, b, c)], -1)
    across = np.stack([_extent(found, m, v) for m in (a, b, c)], -1)
    axes, elongation = _major_axes(found)
    crossing = np.ones(a.size, bool)
    for m in (a, b, c):
        cos = np.abs(np.einsum("ni,ni->n", axes[m], u))
        crossing &= (elongation[m] < 1.6) | (cos <= np.cos(np.radians(65.0))) | (cos >= np.cos(np.radians(25.0)))
    lo, hi = params.spacing_to_length
    ratio = mean_d / along.mean(axis=1)
    ok = (
        (areas.max(axis=1) / areas.min(axis=1) <= params.max_area_ratio)
        & (np.abs(d1 - d2) / mean_d <= params.max_spacing_irregularity)
        & (np.abs(np.einsum("ni,ni->n", cb - ca, v)) <= 0.2 * mean_d + 1.0)
        & np.all(along <= params.max_dash_ratio * across, axis=1)
        & (ratio >= lo)
        & (ratio <= hi)
        & (np.minimum(d1, d2) >= along.max(axis=1) + 1.0)
        & crossing
    )
    out = []
    for n in np.flatnonzero(ok)[:200]:
        t = _check_chain(scene, found, [int(a[n]), int(b[n]), int(c[n])], params)
        if t is not None:
            out.append(t)
    return out


def _chain_geometry(found: Blobs, members: list[int], params: YellowBandsParams) -> dict | None:
    """Shape tests shared by pairs and triples; ``None`` when they fail."""
    centres = found.centre[members]
    span = centres[-1] - centres[0]
    length = float(np.hypot(*span))
    if length < 2.0:
        return None
    u = span / length
    v = np.array([-u[1], u[0]])
    along = np.array([found.extent(m, u) for m in members])
    across = np.array([found.extent(m, v) for m in members])
    if np.any(along > params.max_dash_ratio * across):
        return None  # dashes along the line (road markings), not bands round a leg
    for m in members:
        axis, elongation = found.principal(m)
        if elongation >= 1.6 and np.cos(np.radians(65.0)) < abs(float(axis @ u)) < np.cos(np.radians(25.0)):
            return None  # elongated blob oblique to the chain (diagonal hazard stripes)
    spacing = np.hypot(*np.diff(centres, axis=0).T)
    ratio = float(spacing.mean() / along.mean())
    lo, hi = params.spacing_to_length
    if not lo <= ratio <= hi:
        return None
    if np.any(spacing < along.max() + 1.0):
        return None  # touching: one band split in two, not two bands
    return {"u": u, "v": v, "along": along, "across": across, "spacing": spacing, "ratio": ratio}


def _gap_contrast(scene: Scene, found: Blobs, members: list[int]) -> float:
    """Smallest CIE76 difference between the bands' colour and the leg between them.

    The gaps are sampled at the midpoints between neighbouring bands; a gap that is itself
    part of the bands (one band split in two), or two gaps of different colours (not one
    leg), give a large negative value.
    """
    lab = scene.lab
    h, w = lab.shape[:2]
    band_px = []
    for m in members:
        x, y, bw, bh = (int(t) for t in found.box[m])
        sel = found.labels[y : y + bh, x : x + bw] == found.ids[m]
        band_px.append(lab[y : y + bh, x : x + bw][sel])
    band = np.median(lab_u8_to_float(np.concatenate(band_px)), axis=0)
    worst = np.inf
    gaps = []
    for a, b in zip(members[:-1], members[1:]):
        mid = (found.centre[a] + found.centre[b]) / 2.0
        r = max(1, int(0.12 * np.hypot(*(found.centre[b] - found.centre[a]))))
        x, y = int(round(mid[0])), int(round(mid[1]))
        win = (slice(max(y - r, 0), min(y + r + 1, h)), slice(max(x - r, 0), min(x + r + 1, w)))
        patch = lab[win].reshape(-1, 3)
        if patch.size == 0 or np.isin(found.labels[win], found.ids[members]).mean() > 0.3:
            return -100.0
        gaps.append(np.median(lab_u8_to_float(patch), axis=0))
        worst = min(worst, float(np.linalg.norm(gaps[-1] - band)))
    if len(gaps) == 2 and np.linalg.norm(gaps[0] - gaps[1]) > 25.0:
        return -100.0  # the gaps are not one leg
    return worst


def _crowding(found: Blobs, members: list[int], radius: float, exclude: frozenset[int] = frozenset()) -> int:
    """Other band-sized blobs within ``radius`` of the group's centre (``exclude``: bands of
    other legs). A meadow of flowers or a speckled yellow surface has many; foliage and
    signs of another size do not count."""
    centre = found.centre[members].mean(axis=0)
    mean_area = found.area[members].mean()
    near = (np.hypot(*(found.centre - centre).T) <= radius) & (found.area >= mean_area / 3.0) & (found.area <= mean_area * 3.0)
    near[list(set(members) | exclude)] = False
    return int(near.sum())


def _leg_strength(scene: Scene, found: Blobs, members: list[int], geometry: dict) -> float:
    """Evidence of a leg between the bands: a bar about as wide as the bands, with an edge
    on each side, at every gap (weakest gap's edge step, CIE76)."""
    width = float(geometry["across"].mean())
    strength = np.inf
    for a, b in zip(members[:-1], members[1:]):
        mid = (found.centre[a] + found.centre[b]) / 2.0
        gap = float(np.hypot(*(found.centre[b] - found.centre[a]))) - float(geometry["along"].mean())
        strength = min(strength, edge_pair_strength(scene.lab, mid, geometry["u"], max(gap * 0.6, 1.0), width))
    return float(strength)


def _in_context(found: Blobs, group: dict, other_bands: frozenset[int], params: YellowBandsParams) -> bool:
    """A group must not sit in a field of band-sized yellow blobs (other legs' bands aside)."""
    members = group["members"]
    chain_len = float(np.hypot(*(found.centre[members[-1]] - found.centre[members[0]])))
    group["neighbours"] = _crowding(found, members, 2.0 * chain_len, other_bands)
    return group["neighbours"] <= params.max_neighbours


def _continues(found: Blobs, members: list[int], geometry: dict) -> bool:
    """Does another mark continue the chain at either end (stripes, road dashes)?

    Looks along the chain's line, 0.6 to 1.7 spacings beyond each end band (perspective
    stretches the spacing of dashes on a road), for a blob within a quarter spacing of the
    line and at least a quarter of the bands' size (nearer dashes look bigger).
    """
    u, v = geometry["u"], geometry["v"]
    spacing = geometry["spacing"].mean()
    mean_area = found.area[members].mean()
    similar = found.area >= mean_area / 4.0
    similar[members] = False
    for end, sign in ((members[-1], 1.0), (members[0], -1.0)):
        rel = found.centre - found.centre[end]
        along = sign * (rel @ u)
        across = np.abs(rel @ v)
        if np.any(similar & (along >= 0.6 * spacing) & (along <= 1.7 * spacing) & (across <= 0.25 * spacing + 1.0)):
            return True
    return False


def _check_chain(scene: Scene, found: Blobs, members: list[int], params: YellowBandsParams) -> dict | None:
    centres = found.centre[members]
    order = np.argsort((centres - centres[0]) @ (centres[-1] - centres[0]))
    members = [members[o] for o in order]
    areas = found.area[members]
    if areas.max() / areas.min() > params.max_area_ratio:
        return None
    geometry = _chain_geometry(found, members, params)
    if geometry is None:
        return None
    spacing = geometry["spacing"]
    irregularity = float(abs(spacing[0] - spacing[1]) / spacing.mean())
    if irregularity > params.max_spacing_irregularity:
        return None
    centres = found.centre[members]
    offline = abs(float((centres[1] - centres[0]) @ geometry["v"]))
    if offline > 0.2 * spacing.mean() + 1.0:
        return None
    if _continues(found, members, geometry):
        return None
    contrast = _gap_contrast(scene, found, members)
    if contrast < params.min_gap_contrast:
        return None
    leg = _leg_strength(scene, found, members, geometry)
    if leg < params.min_leg_edge:
        return None
    quality = float(
        np.mean(
            [
                1.0 - soft(irregularity, 0.05, params.max_spacing_irregularity),
                soft(contrast, params.min_gap_contrast, params.min_gap_contrast + 25.0),
                1.0 - soft(areas.max() / areas.min(), 1.3, params.max_area_ratio),
                soft(leg, params.min_leg_edge, params.min_leg_edge + 20.0),
            ]
        )
    )
    if quality < params.min_group_quality:
        return None
    return {
        "members": members,
        "quality": quality,
        "spacing_px": float(spacing.mean() * scene.working_pixel_size),
        "spacing_irregularity": irregularity,
        "spacing_to_band_length": geometry["ratio"],
        "band_length_px": float(geometry["along"].mean() * scene.working_pixel_size),
        "band_width_px": float(geometry["across"].mean() * scene.working_pixel_size),
        "gap_colour_difference": contrast,
        "leg_edge": leg,
        "leg_angle_deg": float(np.degrees(np.arctan2(geometry["u"][1], geometry["u"][0])) % 180.0),
    }


def _best_pair(scene: Scene, found: Blobs, params: YellowBandsParams) -> dict | None:
    """Two bands of the pattern (third hidden or merged); weaker evidence than a triple."""
    i, j, _ = _neighbour_pairs(found, params)
    best = None
    for a, b in zip(i, j):
        if a >= b:
            continue
        members = [int(a), int(b)]
        geometry = _chain_geometry(found, members, params)
        if geometry is None or _continues(found, members, geometry):
            continue
        chain_len = float(geometry["spacing"].sum())
        if _crowding(found, members, 2.0 * chain_len) > params.max_neighbours:
            continue
        if _leg_strength(scene, found, members, geometry) < params.min_leg_edge:
            continue
        contrast = _gap_contrast(scene, found, members)
        if contrast < params.min_gap_contrast:
            continue
        if best is None or contrast > best["gap_colour_difference"]:
            best = {"members": members, "gap_colour_difference": contrast, "spacing_px": float(geometry["spacing"][0] * scene.working_pixel_size)}
    return best
