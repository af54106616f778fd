"""Yellow tripod bands: three evenly spaced yellow bands round a leg.

A Toofan tripod leg carries three short yellow bands, each about as wide as the leg and
short along it, with gaps of the same order. The detector:

1. finds small yellow components with hysteresis in CIELAB (a weak chroma limit grows
   regions from strongly yellow seeds, because 4:2:0 JPEG smears the colour of thin marks);
2. looks for *triples* of similar blobs whose centres are collinear and evenly spaced,
   whose extent along the chain is short relative to the spacing, whose long axes (when
   they have one) cross the chain, and whose gaps are darker and not yellow (the leg);
3. rejects chains that continue with a fourth band or carry the bands' paint in their
   gaps (hazard stripes) and components that are dashes along the chain
   (road markings) or too large (signs);
4. keeps the best disjoint groups (one per leg), and drops a group that sits in a field of
   other yellow blobs (flowers, a yellow-textured surface), the other legs' bands aside.

``count`` is the number of bands in the best group (3 for the pattern, 2 or 1 when only
part of it is found); ``groups`` is the number of legs showing a full group of three.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..colour import hue_chroma_table, lab_u8_to_float
from ..normalise import Scene
from ._shapes import Blobs, assessability, blobs, edge_pair_strength, l_threshold, soft, unless_unseen
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
        most one pixel through pixels above ``grow_chroma``. Yellow paint has ``C*`` 60-90;
        blur and 4:2:0 chroma subsampling roughly halve it on a band a few pixels wide,
        while tan and sand stay near 20-25, so the seed limit sits between.
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
    max_band_paint_between : float
        Largest fraction of pixels of the bands' own colour (within ``min_gap_contrast``)
        on the line between two bands: hazard stripes have a stripe of the same paint in
        every gap; a Toofan leg's gaps are bare paint.
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
    seed_chroma: float = 34.0
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
    max_band_paint_between: float = 0.25
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
        ``groups``; one region per band of each group found. ``not_assessable`` when the
        photo is too small, or when no group is found on a photo mostly clipped or crushed
        (:func:`._shapes.unless_unseen`).

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
    yellow = _yellow_blobs(scene, params)
    if yellow is None:
        return unless_unseen(CueResult(NAME, CueState.ABSENT, 0.0, (), {"yellow_blobs": 0, "yellow_fraction": 0.0}, fields={"count": 0, "groups": 0}), scene)
    found, seeds, weak = yellow
    measurements: dict = {"yellow_blobs": len(found), "yellow_fraction": float(np.count_nonzero(weak) / weak.size)}

    # A scene with hundreds of yellow specks (flowers, gravel) is searched among its largest
    # blobs only: the cost of the triple search grows with the square of the count.
    if len(found) > params.max_blobs:
        found = _largest(found, params.max_blobs)
    pixels = _Pixels(scene, found, seeds, weak)
    pairs = _neighbour_pairs(found, params) if len(found) >= 2 else None  # for triples and pairs alike
    triples = _triples(scene, found, pairs, pixels, params) if len(found) >= 3 else []
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

    pair = _best_pair(scene, found, pairs, pixels, params) if 2 <= len(found) <= params.max_pair_blobs else None
    if pair is not None:
        measurements.update({k: v for k, v in pair.items() if k != "members"})
        regions = tuple(Region(tuple(scene.box_to_original(*found.box[m])), 0.3, "band (pair)") for m in pair["members"])
        return unless_unseen(CueResult(NAME, CueState.ABSENT, 0.3, regions, measurements, fields={"count": 2, "groups": 0}), scene)
    count = 1 if len(found) and bool(np.any(_major_axes(found)[1] <= 6.0)) else 0
    return unless_unseen(CueResult(NAME, CueState.ABSENT, 0.1 * count, (), measurements, fields={"count": count, "groups": 0}), scene)


@lru_cache(maxsize=8)
def _levels(hue_min: float, hue_max: float, faint: float, grow: float, seed: float) -> np.ndarray:
    """65 536-entry uint8 table over (a*, b*): how yellow a pixel is (0 no, 1 faint, 2 growth, 3 seed)."""
    table = sum(hue_chroma_table(hue_min, hue_max, c).astype(np.uint8) for c in (faint, grow, seed))
    table.setflags(write=False)
    return table


def _yellow_blobs(scene: Scene, params: YellowBandsParams) -> tuple[Blobs, np.ndarray, np.ndarray] | None:
    """Yellow components by hysteresis, with their seed and grown masks ``(h, w) bool``.

    Returns ``None`` when the scene has no seed pixel. Every step after the table look-up
    runs on the bounding box of the yellow pixels (the top-hat on that box widened by its
    reach, so each value it reports equals the whole image's).
    """
    h, w = scene.shape
    lo, hi = params.hue_range
    # One table look-up classes every pixel's (a*, b*): 3 seed chroma, 2 growth, 1 faint.
    # Yellow paint is light: a 0/255 mask clears darker pixels (a bitwise and, one pass).
    light = cv2.compare(scene.lightness, l_threshold(params.min_lightness), cv2.CMP_GE)
    level = cv2.bitwise_and(np.take(_levels(lo, hi, params.faint_chroma, params.grow_chroma, params.seed_chroma), scene.ab), light)
    x, y, bw, bh = cv2.boundingRect(level)  # every yellow pixel lies in this box
    if bw == 0:
        return None
    box = (slice(y, y + bh), slice(x, x + bw))
    level = level[box]
    # Seeds: clearly yellow pixels, or faintly yellow pixels on a mark that is brighter than
    # its surroundings (4:2:0 JPEG halves the colour of a thin band, not its lightness).
    seeds = level >= 3
    unsure = (level >= 1) & ~seeds  # faintly yellow: the top-hat decides
    ux, uy, uw, uh = cv2.boundingRect(unsure.view(np.uint8))
    if uw:
        sub = (slice(uy, uy + uh), slice(ux, ux + uw))
        tophat = _tophat(scene.lightness, (x + ux, y + uy, uw, uh), params.mark_size)
        seeds[sub] |= unsure[sub] & (tophat >= l_threshold(params.min_mark_contrast))
    if not seeds.any():
        return None
    # Growth is bounded to a pixel around the seeds, so a band does not leak along a tan leg.
    near = cv2.dilate(seeds.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    grown = seeds | ((level >= 2) & near)
    full_seeds, full_weak = np.zeros((h, w), bool), np.zeros((h, w), bool)
    full_seeds[box], full_weak[box] = seeds, grown
    # Every grown pixel touches a seed, so every component holds one: the hysteresis test
    # of blobs(..., seeds=) would keep them all.
    found = blobs(full_weak, min_area=params.min_area, max_area=max(params.min_area, int(params.max_area_fraction * h * w)))
    return found, full_seeds, full_weak


def _tophat(lightness: np.ndarray, box: tuple[int, int, int, int], size: int) -> np.ndarray:
    """White top-hat of ``lightness`` with a ``size`` x ``size`` ellipse, over ``box`` only.

    ``box`` is ``(x, y, w, h)``; returns ``(h, w) uint8``. The opening (an erosion, then a
    dilation) reads pixels up to ``2 * (size // 2)`` away, so it runs on the box widened
    by that much, clipped to the image (whose edges both treat alike), and the widening
    is cut off again: every value equals the whole image's top-hat there.
    """
    x, y, w, h = box
    reach = 2 * (size // 2)
    height, width = lightness.shape
    x0, y0 = max(x - reach, 0), max(y - reach, 0)
    x1, y1 = min(x + w + reach, width), min(y + h + reach, height)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    tophat = cv2.morphologyEx(lightness[y0:y1, x0:x1], cv2.MORPH_TOPHAT, kernel)
    return tophat[y - y0 : y - y0 + h, x - x0 : x - x0 + w]


def _largest(found: Blobs, n: int) -> Blobs:
    """The ``n`` largest blobs (same label image)."""
    keep = np.sort(np.argsort(-found.area, kind="stable")[:n])
    return Blobs(found.labels, found.ids[keep], found.area[keep], found.box[keep], found.centre[keep], found.cov[keep])


#: Index pairs ``(i, j)`` of neighbouring blobs and their distance (:func:`_neighbour_pairs`).
_Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def _neighbour_pairs(found: Blobs, params: YellowBandsParams) -> _Pairs:
    """Index pairs (i, j) of blobs close enough to be neighbouring bands, with their distance."""
    size = np.sqrt(found.area)
    diff = found.centre[:, None, :] - found.centre[None, :, :]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    limit = params.max_spacing_ratio * np.maximum(size[:, None], size[None, :]) + 2.0
    area_ratio = np.maximum(found.area[:, None], found.area[None, :]) / np.minimum(found.area[:, None], found.area[None, :])
    ok = (dist > 1.5) & (dist <= limit) & (area_ratio <= params.max_area_ratio)
    i, j = np.nonzero(ok)
    return i, j, dist[i, j]


def _major_axes(found: Blobs) -> tuple[np.ndarray, np.ndarray]:
    """Unit major axis ``(n, 2)`` and elongation ``(n,)`` of every blob (closed-form 2x2 eigen)."""
    vxx, vyy, vxy = found.cov[:, 0, 0], found.cov[:, 1, 1], found.cov[:, 0, 1]
    mean = (vxx + vyy) / 2.0
    diff = np.sqrt(((vxx - vyy) / 2.0) ** 2 + vxy**2)
    major = np.sqrt(12.0 * np.maximum(mean + diff, 0.0)) + 1.0
    minor = np.sqrt(12.0 * np.maximum(mean - diff, 0.0)) + 1.0
    angle = 0.5 * np.arctan2(2.0 * vxy, vxx - vyy)
    return np.stack([np.cos(angle), np.sin(angle)], -1), major / minor


class _Chains:
    """Candidate chains of bands (pairs or triples), tested all at once.

    ``members`` is ``(n, k)`` blob indices ordered along each chain. Every test of the
    pattern's geometry is an array expression over the ``n`` chains, ``ok`` says which
    pass; the pixel-level tests run on the survivors only (:func:`_survivors`).
    """

    def __init__(self, found: Blobs, members: np.ndarray, params: YellowBandsParams) -> None:
        self.found, self.params = found, params
        self.members = members
        centres = found.centre[members]  # (n, k, 2)
        span = centres[:, -1] - centres[:, 0]
        length = np.maximum(np.hypot(span[:, 0], span[:, 1]), 1e-9)
        self.u = span / length[:, None]
        self.v = self.u[:, ::-1] * [-1.0, 1.0]  # u turned a right angle
        self.along = self._extent(self.u)  # (n, k) band length along the chain
        self.across = self._extent(self.v)
        steps = centres[:, 1:] - centres[:, :-1]
        self.spacing = np.hypot(steps[..., 0], steps[..., 1])  # (n, k - 1)
        # Per-chain means (the measurements report them): spacing, band length and width.
        self.mean_spacing = mean_d = self.spacing.mean(axis=1)
        self.band_length = self.along.mean(axis=1)
        self.band_width = self.across.mean(axis=1)
        self.ratio = mean_d / self.band_length
        areas = found.area[members]
        self.area_ratio = areas.max(axis=1) / areas.min(axis=1)
        self.irregularity = np.abs(self.spacing[:, 0] - self.spacing[:, -1]) / mean_d
        # Distance of the middle band from the line through the end bands (0 for pairs).
        self.offline = np.abs(np.einsum("ni,ni->n", centres[:, members.shape[1] // 2] - centres[:, 0], self.v))
        # An elongated blob oblique to the chain: diagonal hazard stripes.
        axes, elongation = _major_axes(found)
        cos = np.abs(np.einsum("nki,ni->nk", axes[members], self.u))
        oblique = np.any((elongation[members] >= 1.6) & (cos > np.cos(np.radians(65.0))) & (cos < np.cos(np.radians(25.0))), axis=1)
        lo, hi = params.spacing_to_length
        self.ok = (
            (length >= 2.0)
            & np.all(self.along <= params.max_dash_ratio * self.across, axis=1)  # dashes along a line (road markings)
            & ~oblique
            & (self.ratio >= lo)
            & (self.ratio <= hi)
            & (self.spacing.min(axis=1) >= self.along.max(axis=1) + 1.0)  # touching: one band split in two
            & (self.area_ratio <= params.max_area_ratio)
            & (self.irregularity <= params.max_spacing_irregularity)
            & (self.offline <= 0.2 * mean_d + 1.0)
        )

    def __len__(self) -> int:
        return len(self.members)

    def _extent(self, direction: np.ndarray) -> np.ndarray:
        """Extents (uniform-bar estimate, sqrt(12)·sd) of every member along per-chain ``direction``."""
        cov = self.found.cov[self.members]  # (n, k, 2, 2)
        var = np.einsum("ni,nkij,nj->nk", direction, cov, direction)
        return np.sqrt(12.0 * np.maximum(var, 0.0)) + 1.0

    def keep(self, mask: np.ndarray) -> None:
        """Keep the chains where ``mask`` holds (and that passed so far)."""
        self.ok &= mask

    def continues(self) -> np.ndarray:
        """Does another mark continue each chain at either end (stripes, road dashes)?

        Looks along the chain's line, 0.6 to 1.7 spacings beyond each end band (perspective
        stretches the spacing of dashes on a road), for a blob within a quarter spacing of
        the line and at least a quarter of the bands' size (nearer dashes look bigger).
        """
        found, members = self.found, self.members
        n = len(members)
        spacing = self.mean_spacing[:, None]
        similar = found.area[None, :] >= found.area[members].mean(axis=1)[:, None] / 4.0
        similar[np.arange(n)[:, None], members] = False
        hit = np.zeros(n, bool)
        for end, sign in ((members[:, -1], 1.0), (members[:, 0], -1.0)):
            rel = found.centre[None, :, :] - found.centre[end][:, None, :]  # (n, blobs, 2)
            along = sign * np.einsum("nbi,ni->nb", rel, self.u)
            across = np.abs(np.einsum("nbi,ni->nb", rel, self.v))
            hit |= np.any(similar & (along >= 0.6 * spacing) & (along <= 1.7 * spacing) & (across <= 0.25 * spacing + 1.0), axis=1)
        return hit


#: Sample positions (fractions of the middle half of a gap) for :meth:`_Pixels.band_paint_between`.
_SAMPLES = np.linspace(0.0, 1.0, 24)


class _Pixels:
    """Pixel statistics the chain tests need, computed once per scene and only when asked."""

    def __init__(self, scene: Scene, found: Blobs, seeds: np.ndarray, yellow: np.ndarray) -> None:
        self.scene, self.found, self.seeds, self.yellow = scene, found, seeds, yellow
        self._blob_lab, self._seed_count = np.zeros((len(found), 3)), np.zeros(len(found))
        self._measured = np.zeros(len(found), bool)

    def band_lab(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean float CIELAB ``(..., 3)`` of the seed pixels of blobs ``index`` (their strongly
        coloured core: the blurred rim mixes with the leg), and their seed counts ``(...)``.

        A blob is measured when first asked for, over its bounding box (in raster order, as
        over the whole image): the chain tests need few of a scene's blobs.
        """
        missing = np.unique(index[~self._measured[index]])
        if missing.size:
            found = self.found
            x0, y0, cols, rows = found.box[missing].astype(int).T
            owner, flat = _box_pixels(x0, y0, cols, rows, self.seeds.shape[1])
            own = self.seeds.ravel()[flat] & (found.labels.ravel()[flat] == found.ids[missing][owner])
            owner, flat = owner[own], flat[own]
            px = lab_u8_to_float(self.scene.lab.reshape(-1, 3)[flat])
            count = np.bincount(owner, minlength=missing.size).astype(np.float64)
            sums = np.stack([np.bincount(owner, px[:, c], missing.size) for c in range(3)], -1)
            self._blob_lab[missing] = sums / np.maximum(count, 1.0)[:, None]
            self._seed_count[missing] = count
            self._measured[missing] = True
        return self._blob_lab[index], self._seed_count[index]

    def window_means(self, centres: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean float CIELAB ``(n, 3)`` and yellow fraction ``(n,)`` of square windows
        ``centre ± radius`` (centres in the image; windows clipped to it), read all at once:
        each window's pixels are gathered by index and summed (integer sums, exact)."""
        lab, yellow = self.scene.lab, self.yellow
        h, w = yellow.shape
        cx, cy = np.rint(centres).astype(int).T
        x0, x1 = np.maximum(cx - radius, 0), np.minimum(cx + radius + 1, w)
        y0, y1 = np.maximum(cy - radius, 0), np.minimum(cy + radius + 1, h)
        owner, flat = _box_pixels(x0, y0, x1 - x0, y1 - y0, w)
        pixels = lab.reshape(-1, 3)[flat]
        sums = np.stack([np.bincount(owner, pixels[:, c], len(centres)) for c in range(3)], -1)
        size = (x1 - x0) * (y1 - y0)
        return lab_u8_to_float(sums / size[:, None]), np.bincount(owner, yellow.ravel()[flat], len(centres)) / size

    def gap_contrast(self, chains: _Chains) -> np.ndarray:
        """Smallest CIE76 difference between each chain's bands and the leg between them.

        The gaps are sampled at the midpoints between neighbouring bands; a gap that is
        itself mostly yellow (one band split in two), or two gaps of different colours (not
        one leg), give a large negative value.
        """
        found, members = self.found, chains.members
        band = self.band_colour(chains)
        mids = (found.centre[members[:, 1:]] + found.centre[members[:, :-1]]) / 2.0  # (n, k - 1, 2)
        radius = np.maximum(1, (0.12 * chains.spacing).astype(int))
        gap_lab, gap_yellow = self.window_means(mids.reshape(-1, 2), radius.ravel())
        gap_lab = gap_lab.reshape(mids.shape[0], mids.shape[1], 3)
        gap_yellow = gap_yellow.reshape(mids.shape[:2])
        contrast = np.linalg.norm(gap_lab - band[:, None, :], axis=2).min(axis=1)
        bad = np.any(gap_yellow > 0.3, axis=1)
        if mids.shape[1] == 2:
            bad |= np.linalg.norm(gap_lab[:, 0] - gap_lab[:, 1], axis=1) > 25.0  # the gaps are not one leg
        return np.where(bad, -100.0, contrast)

    def band_colour(self, chains: _Chains) -> np.ndarray:
        """Float CIELAB ``(n, 3)`` of each chain's bands (seed-pixel means, weighted)."""
        blob_lab, weight = self.band_lab(chains.members)
        return np.einsum("nk,nki->ni", weight, blob_lab) / np.maximum(weight.sum(axis=1), 1.0)[:, None]

    def band_paint_between(self, chains: _Chains, tolerance: float) -> np.ndarray:
        """Largest fraction of pixels of the bands' own colour (CIE76 within ``tolerance``)
        on the middle half of the chain's line between neighbouring bands, per chain.

        A leg between Toofan bands is bare paint of another colour; a hazard-striped pole
        has a stripe of the same paint in every gap, even one too shaded to be a blob.
        """
        found, members = self.found, chains.members
        h, w = self.yellow.shape
        start = found.centre[members[:, :-1]]  # (n, k - 1, 2)
        step = found.centre[members[:, 1:]] - start
        # The middle half of each gap: a blurred band's rim reaches into the gap's ends.
        band = chains.band_length[:, None, None]
        length = np.maximum(chains.spacing[..., None], 1e-9)
        skip = band / 2.0 + 0.25 * np.maximum(length - band, 0.0)
        lo, hi = skip / length, 1.0 - skip / length  # (n, k - 1, 1)
        pts = start[..., None, :] + (lo + (hi - lo) * _SAMPLES)[..., None] * step[..., None, :]  # (n, k - 1, 24, 2)
        x = np.clip(np.rint(pts[..., 0]).astype(int), 0, w - 1)
        y = np.clip(np.rint(pts[..., 1]).astype(int), 0, h - 1)
        lab = lab_u8_to_float(self.scene.lab[y, x])  # (n, k - 1, 24, 3)
        colour = self.band_colour(chains)[:, None, None, :]
        same = np.linalg.norm(lab - colour, axis=-1) <= tolerance
        return same.mean(axis=2).max(axis=1)

    def leg_strength(self, chains: _Chains, n: int, stop_below: float = -np.inf) -> float:
        """Evidence of a leg between the bands of chain ``n``: a bar about as wide as the
        bands, with an edge on each side, at every gap (weakest gap's edge step, CIE76).

        Stops at the first gap whose step is below ``stop_below`` and returns that step (the
        weakest can only be weaker: a caller that rejects such legs needs no more gaps).
        """
        members = chains.members[n]
        width = float(chains.band_width[n])
        band_length = float(chains.band_length[n])
        strength = np.inf
        for a, b, gap in zip(members[:-1], members[1:], chains.spacing[n]):
            mid = (self.found.centre[a] + self.found.centre[b]) / 2.0
            strength = min(strength, edge_pair_strength(self.scene.lab, mid, chains.u[n], max((gap - band_length) * 0.6, 1.0), width))
            if strength < stop_below:
                break
        return float(strength)


def _box_pixels(x0: np.ndarray, y0: np.ndarray, cols: np.ndarray, rows: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel of the boxes ``(x0, y0, cols, rows)`` ``(n,)`` in an image ``width`` wide:
    the index of its box and its flat raster index, box after box, each in raster order."""
    size = cols * rows
    owner = np.repeat(np.arange(size.size), size)
    at = np.arange(owner.size) - np.repeat(np.cumsum(size) - size, size)  # raster index in the box
    row, col = np.divmod(at, cols[owner])
    return owner, (y0[owner] + row) * width + x0[owner] + col


def _nearest_within(points: np.ndarray, centres: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Index of the centre nearest to each point, or -1 when it is farther than ``radius``.

    Parameters
    ----------
    points : (n, 2) ndarray
    centres : (m, 2) ndarray
    radius : (n,) ndarray

    Returns
    -------
    (n,) int ndarray
        As ``argmin`` over all centres (ties to the lower index) where that minimum is
        within ``radius``, else -1. Only centres in a square window of ``radius`` (plus a
        pixel for rounding) about each point are measured: the all-pairs table grows with
        the square of the blob count.
    """
    order = np.argsort(centres[:, 0], kind="stable")
    xs = centres[order, 0]
    first = np.searchsorted(xs, points[:, 0] - radius - 1.0, "left")
    count = np.searchsorted(xs, points[:, 0] + radius + 1.0, "right") - first
    owner = np.repeat(np.arange(len(points)), count)
    # Candidate c of point p: the sorted centres first[p], first[p] + 1, ... (count[p] of them).
    cand = order[np.arange(owner.size) - np.repeat(np.cumsum(count) - count - first, count)]
    dy = points[owner, 1] - centres[cand, 1]
    band = np.abs(dy) <= radius[owner] + 1.0  # in the y-window too
    owner, cand, dy = owner[band], cand[band], dy[band]
    err = np.hypot(points[owner, 0] - centres[cand, 0], dy)
    within = err <= radius[owner]
    owner, cand, err = owner[within], cand[within], err[within]
    best = np.lexsort((cand, err, owner))  # per point: nearest first, then lower index
    lead = best[np.r_[True, owner[best][1:] != owner[best][:-1]]] if best.size else best
    nearest = np.full(len(points), -1)
    nearest[owner[lead]] = cand[lead]
    return nearest


def _triples(scene: Scene, found: Blobs, pairs: _Pairs, pixels: _Pixels, params: YellowBandsParams) -> list[dict]:
    """Valid evenly spaced collinear triples of band-like blobs, with their measurements and
    quality (mean of soft tests: regular spacing, gap colour, equal sizes, leg edges).

    Geometric tests run vectorised over all candidate triples, then the continuation and
    gap-colour tests over the survivors; only the first 200 of those get the leg-edge test.
    ``pairs`` are the :func:`_neighbour_pairs`.
    """
    i, j, d = pairs
    if i.size == 0:
        return []
    # Predicted third band beyond j: k = 2*c_j - c_i; the nearest blob to that point.
    k = _nearest_within(2.0 * found.centre[j] - found.centre[i], found.centre, 0.3 * d)
    keep = (k >= 0) & (k != i) & (k != j) & (i < k)
    if not keep.any():
        return []
    chains, contrast = _survivors(_Chains(found, np.stack([i[keep], j[keep], k[keep]], -1), params), pixels, params)
    out = []
    for n in range(min(len(chains), 200)):
        leg = pixels.leg_strength(chains, n, stop_below=params.min_leg_edge)
        if leg < params.min_leg_edge:
            continue
        quality = float(
            np.mean(
                [
                    1.0 - soft(chains.irregularity[n], 0.05, params.max_spacing_irregularity),
                    soft(contrast[n], params.min_gap_contrast, params.min_gap_contrast + 25.0),
                    1.0 - soft(chains.area_ratio[n], 1.3, params.max_area_ratio),
                    soft(leg, params.min_leg_edge, params.min_leg_edge + 20.0),
                ]
            )
        )
        if quality < params.min_group_quality:
            continue
        u = chains.u[n]
        out.append(
            {
                "members": [int(m) for m in chains.members[n]],
                "quality": quality,
                "spacing_px": float(chains.mean_spacing[n] * scene.working_pixel_size),
                "spacing_irregularity": float(chains.irregularity[n]),
                "spacing_to_band_length": float(chains.ratio[n]),
                "band_length_px": float(chains.band_length[n] * scene.working_pixel_size),
                "band_width_px": float(chains.band_width[n] * scene.working_pixel_size),
                "gap_colour_difference": float(contrast[n]),
                "leg_edge": leg,
                "leg_angle_deg": float(np.degrees(np.arctan2(u[1], u[0])) % 180.0),
            }
        )
    return out


def _survivors(chains: _Chains, pixels: _Pixels, params: YellowBandsParams) -> tuple[_Chains, np.ndarray]:
    """The chains that pass the geometry, continuation, gap-colour and band-paint tests (in
    their order; each test runs on the survivors of those before), and their gap contrast."""
    chains = _subset(chains, chains.ok)
    if len(chains):
        chains = _subset(chains, ~chains.continues())
    if not len(chains):
        return chains, np.zeros(0)
    contrast = pixels.gap_contrast(chains)
    keep = contrast >= params.min_gap_contrast
    chains, contrast = _subset(chains, keep), contrast[keep]
    if len(chains):
        keep = pixels.band_paint_between(chains, params.min_gap_contrast) <= params.max_band_paint_between
        chains, contrast = _subset(chains, keep), contrast[keep]
    return chains, contrast


def _subset(chains: _Chains, mask: np.ndarray) -> _Chains:
    """The chains where ``mask`` holds (``chains`` itself when it holds for all)."""
    if mask.all():
        return chains
    sub = object.__new__(_Chains)
    sub.__dict__.update({k: (v[mask] if isinstance(v, np.ndarray) and v.shape[:1] == mask.shape else v) for k, v in chains.__dict__.items()})
    return sub


def _crowding(found: Blobs, members: np.ndarray, radius: np.ndarray, exclude: frozenset[int] = frozenset()) -> np.ndarray:
    """Other band-sized blobs within ``radius`` ``(n,)`` of each group's centre, for groups
    ``members`` ``(n, k)`` (``exclude``: bands of other legs). A meadow of flowers or a
    speckled yellow surface has many; foliage and signs of another size do not count."""
    centre = found.centre[members].mean(axis=1)  # (n, 2)
    mean_area = found.area[members].mean(axis=1)[:, None]
    rel = found.centre[None, :, :] - centre[:, None, :]  # (n, blobs, 2)
    near = (np.hypot(rel[..., 0], rel[..., 1]) <= radius[:, None]) & (found.area >= mean_area / 3.0) & (found.area <= mean_area * 3.0)
    near[np.arange(len(members))[:, None], members] = False
    near[:, list(exclude)] = False
    return np.count_nonzero(near, axis=1)


def _in_context(found: Blobs, group: dict, other_bands: frozenset[int], params: YellowBandsParams) -> bool:
    """A group must not sit in a field of band-sized yellow blobs (other legs' bands aside)."""
    members = group["members"]
    chain_len = float(np.hypot(*(found.centre[members[-1]] - found.centre[members[0]])))
    group["neighbours"] = int(_crowding(found, np.array([members]), np.array([2.0 * chain_len]), other_bands)[0])
    return group["neighbours"] <= params.max_neighbours


def _best_pair(scene: Scene, found: Blobs, pairs: _Pairs, pixels: _Pixels, params: YellowBandsParams) -> dict | None:
    """Two bands of the pattern (third hidden or merged); weaker evidence than a triple.

    Of the pairs that pass every test, the one with the largest gap contrast (the first
    such on ties); candidates are tried in that order, so the search stops at the first
    that shows a leg. ``pairs`` are the :func:`_neighbour_pairs`.
    """
    i, j, _ = pairs
    keep = i < j
    if not keep.any():
        return None
    chains = _Chains(found, np.stack([i[keep], j[keep]], -1), params)
    # A pair in a field of yellow blobs means nothing.
    crowded = np.zeros(len(chains), bool)
    crowded[chains.ok] = _crowding(found, chains.members[chains.ok], 2.0 * chains.spacing[chains.ok].sum(axis=1)) > params.max_neighbours
    chains.keep(~crowded)
    chains, contrast = _survivors(chains, pixels, params)
    for n in np.argsort(-contrast, kind="stable"):
        if pixels.leg_strength(chains, int(n), stop_below=params.min_leg_edge) >= params.min_leg_edge:
            return {
                "members": [int(m) for m in chains.members[n]],
                "gap_colour_difference": float(contrast[n]),
                "spacing_px": float(chains.mean_spacing[n] * scene.working_pixel_size),
            }
    return None
