"""Green security-seal tape: a saturated, uniform green band crossing a darker tube.

Physics and geometry, not colour memorisation:

1. *Colour*: a bright, saturated green in CIELAB (hue sector around 140 deg) seeds the
   band; the band grows from the seeds through greens whose chroma is high *for their
   lightness*: shading scales ``L* + 16`` and ``C*`` alike, so the saturation
   ``C* / (L* + 16)`` and the hue are the same on a tape's lit and shaded sides. The
   illuminant correction is an estimate (a scene full of foliage pulls it towards
   magenta-blue, and a tape then looks teal or grey), so a photo with no tape under the
   corrected illuminant is searched again under the uncorrected one, where that re-reading
   changes the mask or the colour was all a band lacked; a band found only so needs a
   little more evidence and, unless merged with a lit tube, must be found whole. A tape
   in a hard shadow is darker than any lit seed: when nothing is found in light, the photo
   is read once more with seeds whose chroma would be a lit tape's at the seed lightness
   (``C* * (L_seed + 16) / (L* + 16)``), and a band so found is tested as if lit.
2. *Shape*: a tape is a band with straight edges: its convex hull fills its minimum-area
   rectangle (leaves are ellipses, ~0.785), and its colour is uniform. A band merged with
   a leaf or a lit tube is split from it at a narrow neck, along its colour edges, or into
   its two colours. A band round a tube seen obliquely is an arc of one width (the strip
   between two equal ellipses), its chord across the tube, often only its lit side a
   crescent: when nothing passed in light or in shade, the largest components are read in
   the frame of the edges around them (the tube's silhouette) or square to their chord,
   their centre line must be an arc, and each row shifted onto it, they are tested
   straightened (:func:`_bowed`).
3. *Context*: the band crosses a tube. Each rectangle axis is tried as the tube axis and
   the surroundings are resampled into a frame aligned with it (``u`` along the tube,
   ``v`` across). The tube's two silhouette edges are found beside the band, bracketing
   it (the tape wraps the tube, though its shaded side or a glint may be missing from the
   mask). The tube beside the band must be one smooth paint (its shading runs across the
   axis, not along it), darker and much less chromatic than the tape at the same rows
   (the same shading), in the same lightness ratio to the tape in every row (one
   cylinder, one light), with its two edges continuing along the axis on one side (a tape
   at the tube's end) or both (a tape mid-tube). The tape must cover the tube's diameter
   (at least ``min_coverage`` of it).

4. *Glints*: a specular highlight along the tube can cut the tape in two. In uncorrected
   colours (the light as the camera saw it) the highlight is the tape's colour plus white
   light: lighter, less saturated, its ``(a*, b*)`` between the tape's and grey, and the
   tube beside it is lit along the same line. When nothing passed in a search, two green
   pieces of one colour and width, lined up across such a strip, are merged with it and
   the band tested again (:func:`_bridge_glints`). Pairs are rejected cheaply first (the
   pieces' hull widths and gap, and the raw lightness at the gap's middle, which must be
   above both pieces') before the strip is resampled.

5. *A closer look*: a photo over the working size is analysed reduced, where a tape a few
   pixels wide loses its colour and shape (4:2:0 JPEG already halves its colour). When no
   tape is found there, the largest short green component is searched again in the
   original pixels with its surroundings, in light under the corrected illuminant, for a
   band found whole or bowed, with a margin (:func:`_zoom`).

Cheap tests run first on every component (its stats, colour and contour), a coarse look
for the tube's edges next, and the full context test on the best few hypotheses only.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from ..colour import L_SCALE, lab_u8_to_float
from ..normalise import Scene
from ._shapes import assessability, quantiles, soft, unless_unseen
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
        The tape is a saturated, light green (``C*``, ``L*``): its seed pixels; the band's
        mean colour needs ``min_chroma`` too.
    shade_lightness : float
        A tape in shadow is darker and, in proportion, less chromatic. When no tape is
        found in light (under either illuminant), the corrected photo is read once more
        for one in shade: a pixel down to this ``L*`` also seeds the band when its chroma
        would reach ``min_chroma`` lit to ``min_lightness``
        (``C* * (min_lightness + 16) / (L* + 16)``), and a darker band's chroma, lightness
        contrast and edge steps are read as so lit (:func:`_relight`); only components
        this adds or changes are tested (and the bands already tested there that are
        darker than ``min_lightness``), with the uncorrected reading's margin; as in that
        reading only the oversized component is split, and nothing is merged across a
        glint. Equal to ``min_lightness``: no shade reading.
    grow_chroma, grow_saturation, grow_lightness, grow_steps : float, float, float, int
        The tape mask grows up to ``grow_steps`` pixels from the seeds through weak greens
        (hue within ``hue_margin`` of the sector) with
        ``C* >= max(grow_chroma, grow_saturation * (L* + 16))`` and ``L* >= grow_lightness``
        (a tape's shaded side, JPEG-blurred edges).
    hue_margin : float
        Degrees added on both sides of ``hue_range`` for the weak greens.
    min_illuminant_shift : int
        When no tape is found under the corrected illuminant and undoing the correction
        moves a mid green's ``a*`` or ``b*`` by at least this much, the photo is searched
        again under the uncorrected illuminant: the components that reading changes (see
        :func:`_search`), and those where bands failed on their colour alone.
    min_area : int
        Smallest band, working pixels.
    max_area_fraction : float
        Largest band as a fraction of the working image (tarps and signs are bigger); a
        component up to five times larger is only tried split, and only when shaped like
        a tube (a tape merged with a lit tube of another green: at least twice as long as
        wide, filling three quarters of its minimum-area rectangle).
    max_candidates : int
        Largest components given the shape test.
    max_context_tests, max_context_budget : int
        Most band hypotheses given the full context test per search (best first), and per
        photo (all searches: both illuminants, and the split components).
    min_rectangularity : float
        Convex-hull area / its minimum-area rectangle; an ellipse (a leaf) gives 0.785.
    min_solidity : float
        Band pixels / convex-hull area (a logo or glint may cut into the tape, not halve it).
    min_coverage : float
        Fraction of the tube's diameter (rows across the axis) the band must cover, in the
        mask or in the tape's chromaticity (its shaded side): a tape wraps the tube.
    min_diameter : float
        Smallest tube diameter (working pixels) on which a band can be told from a leaf:
        the tube's two edges and its paint between them must be resolved after JPEG's
        half-resolution colour.
    end_weight : float
        Weight of the tube evidence when only one side of the band shows a tube (a tape at
        the tube's end) relative to a tape with the tube on both sides.
    min_split_area : int
        When the search under the corrected illuminant finds no tape, its three largest
        components of at least this many pixels that gave none are split at their narrow
        necks, along their colour edges and into their two colours, and the parts tried
        again (and an oversized component is split only when at least this large).
    extra_split_components, extra_split_parts, extra_split_tests : int, int, int
        When those parts give no tape either, the next ``extra_split_components``
        components (by size) are split the same way; of their parts that pass the shape
        test, the ``extra_split_parts`` most band-like (rectangularity and solidity, not
        size) are tried, with at most ``extra_split_tests`` context tests of their own
        (still within ``max_context_budget``).
    extra_split_margin : float
        Added to ``min_quality`` for a band found so (a piece carved out of a smaller
        cluster of foliage needs clearer evidence).
    min_flank_contrast : float
        How much lighter (``L*``) the tape must be than the tube beside it, row by row.
    min_relative_chroma : float
        How much more chromatic (``C*``) the tape must be than the tube beside it, row by
        row (the same shading).
    max_flank_difference : float
        CIE76 difference allowed between the two flanks (both are the same tube) and along
        the tube as it continues.
    max_flank_chroma_iqr : float
        Spread of ``a*`` and ``b*`` (interquartile range, estimated as 1.35 standard
        deviations) allowed within a flank: paint is one colour (its lightness varies with
        the cylinder's shading), foliage is not.
    min_tube_extent : float
        Diameters of tube (the flank's colour, uniform, with edges) along the axis, both sides
        of the tape together, that count as full evidence of a tube.
    tube_reach : float
        How far along the axis (diameters, each side) the tube is followed.
    max_flank_tape_fraction : float
        Flanks must not themselves be tape-coloured (fraction of flank pixels within 10
        CIE76 of the tape's colour in the same row).
    min_tube_edge : float
        CIE76 step of the tube's two silhouette edges beside the tape that counts as full
        evidence of a tube; a leaf in shadow has none.
    min_quality : float
        Weighted mean of the soft tests (shape, colour, and the tube evidence) needed to
        call the band a tape.
    uncorrected_margin : float
        Added to ``min_quality`` for a band found under the uncorrected illuminant only
        (colours re-read against the scene's estimate are weaker evidence).
    min_side : int
        Working images with a shorter side are not assessable.
    glint_pairs : int
        When no band passed in a search, most pairs of pieces merged across a glint (see
        the module notes), best first, that are tested as one band.
    glint_tests : int
        Context tests (best by the coarse look) for each merged band, reserved for it:
        outside ``max_context_tests`` and ``max_context_budget``; the search stops at the
        first merged band that passes.
    bow_components, bow_tests : int
        When no band passed in a search (in light or in shade; not under the uncorrected
        illuminant, where bands must be found whole), the ``bow_components`` largest
        components are read as tapes bowed round an obliquely seen tube (see the module
        notes, :func:`_bowed`), and the best ``bow_tests`` of those readings (by the coarse
        look) get context tests of their own, outside ``max_context_budget``. 0: no such
        reading.
    zoom_components, zoom_context, zoom_margin : int, float, float
        When no tape was found in a photo analysed at half size or less (a tape a few
        pixels wide loses its colour and shape there), the ``zoom_components`` largest
        components of the corrected reading's tape mask no longer than twice
        ``min_diameter`` are searched again in the original pixels, ``zoom_context`` of
        their size round them (the tube beside a band), in light under the corrected
        illuminant, for a band found whole or bowed (no splitting or merging, each a
        further chance for foliage to pass), with at most 4 context tests and
        ``zoom_margin`` added to ``min_quality``. 0 components: no such look.
    max_bow : float
        Largest bow of the band's centre line (the sagitta of its quadratic fit), as a
        fraction of the band's length across the tube: a circle round a cylinder projects
        to an ellipse whose visible half bows by at most half the tube's diameter (the
        fit puts a half-ellipse's at about 0.4).
    """

    hue_range: tuple[float, float] = (120.0, 175.0)
    min_chroma: float = 30.0
    min_lightness: float = 38.0
    shade_lightness: float = 15.0
    grow_chroma: float = 12.0
    grow_saturation: float = 0.35
    grow_lightness: float = 20.0
    grow_steps: int = 3
    hue_margin: float = 10.0
    min_illuminant_shift: int = 8
    min_area: int = 16
    max_area_fraction: float = 0.03
    max_candidates: int = 40
    max_context_tests: int = 8
    max_context_budget: int = 24
    min_rectangularity: float = 0.85
    min_solidity: float = 0.6
    min_coverage: float = 0.4
    min_diameter: float = 16.0
    min_split_area: int = 60
    extra_split_components: int = 5
    extra_split_parts: int = 6
    extra_split_tests: int = 4
    extra_split_margin: float = 0.1
    end_weight: float = 0.9
    min_flank_contrast: float = 5.0
    min_relative_chroma: float = 10.0
    max_flank_difference: float = 25.0
    max_flank_chroma_iqr: float = 16.0
    min_tube_extent: float = 2.0
    tube_reach: float = 3.0
    min_quality: float = 0.72
    uncorrected_margin: float = 0.05
    max_flank_tape_fraction: float = 0.2
    min_tube_edge: float = 20.0
    min_side: int = 48
    glint_pairs: int = 1
    glint_tests: int = 3
    bow_components: int = 3
    bow_tests: int = 3
    max_bow: float = 0.5
    zoom_components: int = 1
    zoom_context: float = 2.0
    zoom_margin: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 < self.max_area_fraction <= 1.0:
            raise ValueError(f"max_area_fraction must be in (0, 1], got {self.max_area_fraction!r}")
        if self.min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {self.min_area!r}")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"min_coverage must be in [0, 1], got {self.min_coverage!r}")
        if not 0.0 <= self.shade_lightness <= self.min_lightness:
            raise ValueError(f"shade_lightness must be in [0, min_lightness], got {self.shade_lightness!r}")
        if min(self.extra_split_components, self.extra_split_parts, self.extra_split_tests) < 0:
            raise ValueError(f"extra_split_components, extra_split_parts and extra_split_tests must be >= 0, got {self.extra_split_components!r}, {self.extra_split_parts!r}, {self.extra_split_tests!r}")
        if self.zoom_components < 0 or not self.zoom_context > 0.0 or not self.zoom_margin >= 0.0:
            raise ValueError(f"zoom_components and zoom_margin must be >= 0 and zoom_context > 0, got {self.zoom_components!r}, {self.zoom_margin!r}, {self.zoom_context!r}")
        if min(self.bow_components, self.bow_tests) < 0 or not self.max_bow > 0.0:
            raise ValueError(f"bow_components and bow_tests must be >= 0 and max_bow > 0, got {self.bow_components!r}, {self.bow_tests!r}, {self.max_bow!r}")
        if min(self.max_candidates, self.max_context_tests, self.max_context_budget) < 1:
            raise ValueError(f"max_candidates, max_context_tests and max_context_budget must be >= 1, got {self.max_candidates!r}, {self.max_context_tests!r}, {self.max_context_budget!r}")


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
        ``present`` with one region per tape found, score ``0.5 + 0.5 * quality`` of the
        best; ``absent`` with score ``0.45 *`` the fraction of tests passed by the best
        rejected reading (0 when no green band reached the tests), or ``not_assessable``
        instead when the photo is mostly clipped or crushed (:func:`._shapes.unless_unseen`);
        ``not_assessable`` too when it is too small. Measurements give the
        tape's CIELAB colour, area fraction, rectangularity, elongation, flank contrast and
        the tube's colour beside it (``tube_lab``), which illuminant the colours were read
        under, and whether the band was found in the ``reading`` for light or for shade
        (``shade_factor``: the :func:`_relight` factor its contrasts were read with), how far
        it bowed (``bow_px``), and ``zoom`` when it was found only on a closer look at the
        original pixels (:func:`_zoom`).

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
    h, w = scene.shape
    shift = _uncorrected_shift(scene.gains)
    illuminants = [(0, 0)]
    if max(abs(shift[0]), abs(shift[1])) >= params.min_illuminant_shift:
        illuminants.append(shift)
    candidates: list[dict] = []
    rejected: list[dict] = []
    measurements: dict = {}
    seen: set = set()  # components already tested (the same pixels under either illuminant)
    budget = [params.max_context_budget]  # context tests left for this photo
    focus = None
    corrected = None
    for n, moved in enumerate(illuminants):
        if any(c["passes"] for c in candidates) or budget[0] <= 0:
            break
        frame = _Frame(scene, _tape_values(scene, moved, params), n == 1, params, budget)
        found, lost, components = _search(frame, seen, focus)
        candidates += found
        rejected += lost
        measurements.setdefault("candidates", components)
        measurements.setdefault("mask_fraction", float(np.count_nonzero(frame.mask)) / (h * w))
        # Re-reading the colours can only change the verdict where it changes the
        # components, or on bands that failed for their colour alone.
        focus = (frame.labels, frame.areas, [c["box"] for c in found + lost if c["colour_limited"]])
        corrected = corrected or (frame, focus)
    if corrected and not any(c["passes"] for c in candidates) and budget[0] > 0 and params.shade_lightness < params.min_lightness:
        # A tape in shadow: seeded and read as if lit, where that adds to the corrected mask.
        first, (labels, areas, boxes) = corrected
        frame = _Frame(scene, first.values, False, params, budget, shade=True)
        if np.count_nonzero(cv2.subtract(frame.mask, first.mask)):
            # Bands tested in light that are darker than a lit seed are read again, as if lit.
            dark = [c["box"] for c in candidates if c["lab"][0] < params.min_lightness and c["illuminant"] == "corrected"]
            found, lost, _ = _search(frame, set(), (labels, areas, boxes + dark))
            candidates += found
            rejected += lost

    good = [c for c in candidates if c["passes"]]
    if not good and params.zoom_components and scene.working_pixel_size >= 1.5 and corrected:
        closer = _zoom(scene, corrected[0], params)
        if closer is not None:  # with what this scene's reading saw
            return replace(closer, measurements={**closer.measurements, "candidates": measurements["candidates"], "mask_fraction": measurements["mask_fraction"]})
    if not good:
        best = max(candidates + rejected, key=lambda c: c["partial"], default=None)
        score = 0.45 * best["partial"] if best else 0.0
        if best:
            measurements["best_rejected"] = _report(best)
        return unless_unseen(CueResult(NAME, CueState.ABSENT, score, (), measurements), scene)

    good.sort(key=lambda c: -c["quality"])
    regions: list[dict] = []
    for c in good:  # one region per tape: several hypotheses may describe the same band
        if all(_overlap(c["box"], r["box"]) < 0.3 for r in regions):
            regions.append(c)
    top = good[0]
    _finish(top)
    measurements.update(_report(top))
    measurements["area_fraction"] = float(top["area"] / (h * w))
    return CueResult(
        NAME,
        CueState.PRESENT,
        0.5 + 0.5 * top["quality"],
        tuple(Region(tuple(scene.box_to_original(*c["box"])), 0.5 + 0.5 * c["quality"], "green seal tape") for c in regions[:5]),
        measurements,
    )


def _zoom(scene: Scene, frame: _Frame, params: GreenSealTapeParams) -> CueResult | None:
    """A closer look at a photo analysed at half size or less.

    Of the corrected reading's tape components (``frame``) sized like a band (``min_area``
    to ``max_area_fraction`` of the scene) and short enough to have been seen poorly (at
    most twice ``min_diameter`` long), the ``zoom_components`` largest are searched again
    in the original pixels (:meth:`Scene.zoom`, the photo's illuminant gains) with
    ``zoom_context`` of their size round them: in light under the corrected illuminant,
    for a band found whole or bowed, with at most 4 context tests and ``zoom_margin``
    added to ``min_quality``. A region cut by the photo's border to under ``min_side`` is
    not assessable there, and gives nothing.

    Returns the first tape found, its ``diameter_px`` and ``bow_px`` in this scene's
    working pixels, its ``area_fraction`` of the whole photo, and ``zoom``, this scene's
    original pixels per working pixel (how much closer the look was); or ``None``. (Its
    tube can be followed only as far as the region reaches.)
    """
    h, w = frame.mask.shape
    areas, boxes = frame.areas, frame.boxes
    fits = (areas >= params.min_area) & (areas <= params.max_area_fraction * h * w) & (np.maximum(boxes[:, 2], boxes[:, 3]) <= 2.0 * params.min_diameter)
    chosen = [i for i in np.argsort(-areas, kind="stable").tolist() if fits[i]][: params.zoom_components]
    # In light, under the corrected illuminant; no splitting or merging (each a further
    # chance for foliage to pass); no closer look again.
    closer = replace(params, zoom_components=0, min_quality=params.min_quality + params.zoom_margin, min_split_area=10**9, extra_split_components=0, glint_pairs=0, min_illuminant_shift=10**9, shade_lightness=params.min_lightness, max_context_tests=4, max_context_budget=4)
    for i in chosen:
        x, y, bw, bh = (int(v) for v in boxes[i])
        reach = params.zoom_context * max(bw, bh)
        x0, y0, cw, ch = scene.box_to_original(x - reach, y - reach, bw + 2 * reach, bh + 2 * reach)
        found = detect(scene.zoom(x0, y0, x0 + cw, y0 + ch), closer)
        if found.present:
            m = dict(found.measurements)
            for key in ("diameter_px", "bow_px"):
                m[key] = m[key] / scene.working_pixel_size
            m["area_fraction"] = m["area_fraction"] * cw * ch / (scene.original_size[0] * scene.original_size[1])
            m["zoom"] = scene.working_pixel_size
            return replace(found, measurements=m)
    return None


_PRIVATE = ("colour_limited", "passes", "box", "partial", "area", "probe", "geometry", "bow", "flank_pixels", "tape_pixels", "comp", "gates")


def _report(cand: dict) -> dict:
    """A candidate's measurements (its working data left out)."""
    return {k: v for k, v in cand.items() if k not in _PRIVATE}


def _overlap(a, b) -> float:
    """Intersection over the smaller of two ``(x, y, w, h)`` boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return max(0, x1 - x0) * max(0, y1 - y0) / max(1, min(a[2] * a[3], b[2] * b[3]))


# ----------------------------------------------------------------------------------------
# Pixels
# ----------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _colour_table(hue_min: float, hue_max: float, margin: float) -> np.ndarray:
    """``(256, 256)`` uint8 table over 8-bit ``(a, b)``: ``C*`` (rounded down, at most 127)
    inside the sector widened by ``margin``, 0 outside; plus 128 inside the sector itself."""
    a = np.arange(256, dtype=np.float64)[:, None] - 128.0
    b = np.arange(256, dtype=np.float64)[None, :] - 128.0
    hue = np.degrees(np.arctan2(b, a)) % 360.0
    core = (hue >= hue_min) & (hue <= hue_max)
    wide = (hue >= hue_min - margin) & (hue <= hue_max + margin)
    table = (np.where(wide, np.minimum(np.hypot(a, b), 127.0), 0.0) + np.where(core, 128.0, 0.0)).astype(np.uint8)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=64)
def _pixel_table(hue_min: float, hue_max: float, margin: float, shift: tuple[int, int]) -> np.ndarray:
    """Flat :func:`_colour_table` reading each pixel's ``(a*, b*)`` moved by ``shift``
    (another illuminant's reading of the same pixels)."""
    table = _colour_table(hue_min, hue_max, margin)
    da, db = shift
    if da == 0 and db == 0:
        return table.ravel()
    moved = np.zeros_like(table)
    # moved[a, b] = table[a + da, b + db]; zero where that falls off the table
    moved[max(-da, 0) : 256 + min(-da, 0), max(-db, 0) : 256 + min(-db, 0)] = table[max(da, 0) : 256 + min(da, 0), max(db, 0) : 256 + min(db, 0)]
    moved = moved.ravel()
    moved.setflags(write=False)
    return moved


@lru_cache(maxsize=8)
def _chroma_floor(chroma: float, saturation: float, lightness: float) -> np.ndarray:
    """256-entry uint8 table over 8-bit lightness: least chroma of a weak tape pixel,
    ``max(chroma, saturation * (L* + 16))``, 255 (unreachable) below ``lightness``."""
    l_star = np.arange(256) / L_SCALE
    floor = np.ceil(np.maximum(chroma, saturation * (l_star + 16.0)))
    floor[l_star < lightness] = 255.0
    return np.minimum(floor, 255.0).astype(np.uint8)


@lru_cache(maxsize=8)
def _shade_seed_table(chroma: float, lightness: float, darkest: float) -> np.ndarray:
    """256-entry uint8 table over 8-bit lightness: the least :func:`_colour_table` value
    of a shaded seed, ``128 + ceil(chroma * (L* + 16) / (lightness + 16))`` (in the sector,
    the chroma a tape of ``chroma`` at ``lightness`` keeps in shade), for
    ``darkest <= L* < lightness``; 255 elsewhere (no such pixel has the 127 chroma 255
    needs: sRGB reaches about 100 at most there, and the lit seeds are tested apart)."""
    l_star = np.arange(256) / L_SCALE
    need = 128.0 + np.ceil(chroma * (l_star + 16.0) / (lightness + 16.0))
    need[(l_star < darkest) | (l_star >= lightness)] = 255.0
    table = np.minimum(need, 255.0).astype(np.uint8)
    table.setflags(write=False)
    return table


def _relight(lightness: float, params: GreenSealTapeParams) -> float:
    """Factor that reads a colour of ``L* = lightness`` as if lit to ``min_lightness``.

    Shading scales ``L* + 16``, ``C*`` and colour differences alike (see the module notes),
    so a band in shadow, multiplied by this, gives the chroma, contrasts and edge steps it
    would show in light; 1 for a band at least that light, at most the factor at
    ``shade_lightness`` (the darkest band read).
    """
    lit = params.min_lightness + 16.0
    return lit / (min(max(float(lightness), params.shade_lightness), params.min_lightness) + 16.0)


def _uncorrected_shift(gains: np.ndarray) -> tuple[int, int]:
    """8-bit ``(a*, b*)`` shift that undoes the illuminant correction for a mid green.

    A diagonal (per-channel) change of light moves ``a*`` and ``b*`` roughly in proportion
    to ``L* + 16``; a tape's lightness is mid to high, so one shift, measured on a green of
    ``L* = 60``, stands for all in the pixel mask (a few units off at the ends of that
    range); the tests then read colours exactly (:meth:`_Frame.colour`).
    """
    ref = np.array([[[60.0, -40.0, 30.0]]], np.float32)
    rgb = cv2.cvtColor(ref, cv2.COLOR_Lab2RGB)
    raw = cv2.cvtColor(np.clip(rgb / np.asarray(gains, np.float32), 0.0, 1.0).astype(np.float32), cv2.COLOR_RGB2Lab)
    da, db = np.rint(raw[0, 0, 1:] - ref[0, 0, 1:])
    return int(da), int(db)


def _tape_values(scene: Scene, shift: tuple[int, int], params: GreenSealTapeParams) -> np.ndarray:
    """Per pixel, the :func:`_colour_table` entry of its ``(a*, b*)``, moved by ``shift``
    (``(0, 0)``: as corrected; see :func:`_uncorrected_shift`): ``(h, w)`` uint8."""
    lo, hi = params.hue_range
    return np.take(_pixel_table(lo, hi, params.hue_margin, shift), scene.ab)


def _tape_pixels(scene: Scene, value: np.ndarray, params: GreenSealTapeParams, shade: bool = False) -> np.ndarray:
    """``(h, w)`` uint8 (0/1) mask of tape pixels from their :func:`_tape_values` under one
    illuminant.

    Seeds are bright, saturated greens (``min_chroma``, ``min_lightness``); the mask grows
    from them for ``grow_steps`` pixels through weak greens, and is closed by one pixel.
    With ``shade``, seeds and weak greens are also taken down to ``shade_lightness``
    (seeds with the chroma of a lit tape's in shade: :func:`_shade_seed_table`).
    """
    light = scene.lightness
    seeds = cv2.bitwise_and(
        cv2.compare(value, 128 + int(np.ceil(params.min_chroma)), cv2.CMP_GE),
        cv2.compare(light, int(round(params.min_lightness * L_SCALE)), cv2.CMP_GE),
    )
    if shade:  # also in the sector with the chroma that, lit to min_lightness, reaches min_chroma
        seeds = cv2.bitwise_or(seeds, cv2.compare(value, cv2.LUT(light, _shade_seed_table(params.min_chroma, params.min_lightness, params.shade_lightness)), cv2.CMP_GE))
    out = np.zeros(value.shape, np.uint8)
    x, y, w, h = cv2.boundingRect(seeds)
    if w == 0:
        return out
    # Growing and closing reach grow_steps + 1 pixels beyond the seeds: work there only.
    pad = params.grow_steps + 2
    x0, y0 = max(x - pad, 0), max(y - pad, 0)
    roi = (slice(y0, min(y + h + pad, value.shape[0])), slice(x0, min(x + w + pad, value.shape[1])))
    darkest = min(params.grow_lightness, params.shade_lightness) if shade else params.grow_lightness
    floor = cv2.LUT(light[roi], _chroma_floor(params.grow_chroma, params.grow_saturation, darkest))
    weak = cv2.bitwise_or(cv2.compare(cv2.bitwise_and(value[roi], 127), floor, cv2.CMP_GE), seeds[roi])
    mask = seeds[roi]
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(params.grow_steps):
        mask = cv2.bitwise_and(cv2.dilate(mask, kernel), weak)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    out[roi] = mask > 0
    return out


class _Frame:
    """What the tests read under one illuminant: the scene's CIELAB, the tape mask (from the
    pixels' :func:`_tape_values` under it), whether colours are read uncorrected, and the
    photo's remaining context-test budget (a one-item list shared by all searches); after
    :func:`_search`, the mask's component ``labels`` ``(h, w)`` int32, their ``areas``
    (0 for the background) and bounding ``boxes`` ``(n, 4)`` (x, y, w, h)."""

    def __init__(self, scene: Scene, values: np.ndarray, uncorrected: bool, params: GreenSealTapeParams, budget: list, shade: bool = False) -> None:
        self.budget = budget
        self.values = values
        self.shade = shade
        self.lab = scene.lab
        self.gains = np.asarray(scene.gains, np.float32)
        self.uncorrected = uncorrected
        self.illuminant = "uncorrected" if uncorrected else "corrected"
        self.params = params
        self.mask = _tape_pixels(scene, values, params, shade)
        self.labels: np.ndarray | None = None  # set by _search
        self.areas: np.ndarray | None = None
        self.boxes: np.ndarray | None = None

    def patch(self, lab8: np.ndarray) -> np.ndarray:
        """Float CIELAB of an 8-bit Lab patch of the corrected scene, read under this
        illuminant (8-bit conversions: a patch is converted per candidate)."""
        if self.uncorrected:
            rgb = cv2.transform(cv2.cvtColor(lab8, cv2.COLOR_Lab2RGB), np.diag(1.0 / self.gains).astype(np.float32))
            lab8 = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
        return lab_u8_to_float(lab8)

    def relight(self, lightness: float) -> float:
        """:func:`_relight` in the shade reading, 1 otherwise."""
        return _relight(lightness, self.params) if self.shade else 1.0

    def colour(self, lab: np.ndarray) -> np.ndarray:
        """Float CIELAB ``(..., 3)`` of the corrected scene, read under this illuminant."""
        lab = np.ascontiguousarray(lab, np.float32)
        if not self.uncorrected:
            return lab
        rgb = cv2.cvtColor(lab.reshape(-1, 1, 3), cv2.COLOR_Lab2RGB)
        return cv2.cvtColor(np.clip(rgb / self.gains, 0.0, 1.0), cv2.COLOR_RGB2Lab).reshape(lab.shape)


# ----------------------------------------------------------------------------------------
# Components and the cheap tests
# ----------------------------------------------------------------------------------------
def _search(frame: _Frame, seen: set, focus: tuple | None = None) -> tuple[list[dict], list[dict], int]:
    """Context-tested band hypotheses in one illuminant's tape mask, the readings rejected
    before the context test, and the number of components. Components in ``seen`` (box and
    area) were tested under the other illuminant and are skipped; new ones are added. With
    a ``focus`` (the other illuminant's component labels and sizes, and the boxes of bands
    that failed there on their colour alone), only components this reading changes are
    tested: half their pixels new to the mask, or part of a component at least twice their
    size there (a tape freed from a lit tube of another green), or overlapping such a box.
    Sets ``frame.labels``, ``frame.areas`` and ``frame.boxes``."""
    params = frame.params
    h, w = frame.mask.shape
    frame.labels, frame.areas, frame.boxes = np.zeros((h, w), np.int32), np.zeros(1, np.int64), np.zeros((1, 4), np.int64)
    x, y, bw, bh = cv2.boundingRect(frame.mask)
    if bw == 0 or bh == 0:
        return [], [], 0
    # Labelling runs on the mask's bounding box only.
    _, crop, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(frame.mask[y : y + bh, x : x + bw], 8, cv2.CV_32S, cv2.CCL_GRANA)
    cw, ch, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    # From the component's stats alone: big enough to be a band on a resolvable tube, not
    # a tarp or a hedge, and not a sparse scatter (a band fills a quarter of its bounding
    # box even tilted by 45 degrees at 1:6).
    small = area <= params.max_area_fraction * h * w
    ok = small & (area >= params.min_area)
    ok &= (np.maximum(cw, ch) >= 0.5 * params.min_diameter) & (np.minimum(cw, ch) >= 3) & (area >= 0.25 * cw * ch)
    ok[0] = False
    big = (area > params.max_area_fraction * h * w) & (area <= 5 * params.max_area_fraction * h * w) & (area >= 0.25 * cw * ch) & (area >= params.min_split_area)
    big[0] = False
    frame.labels[y : y + bh, x : x + bw] = crop
    frame.areas = area.copy()
    frame.areas[0] = 0
    frame.boxes = stats[:, :4] + [x, y, 0, 0]

    def crop_of(i: int) -> tuple[np.ndarray, int, int]:
        cx, cy, cw_, ch_ = (int(v) for v in stats[i, :4])
        return (crop[cy : cy + ch_, cx : cx + cw_] == i).view(np.uint8), x + cx, y + cy

    def changed(i: int) -> bool:
        """Whether this reading changes component ``i`` (always true without a focus)."""
        if focus is None:
            return True
        before, sizes, boxes = focus
        cx, cy = int(stats[i, 0]), int(stats[i, 1])
        counts = np.bincount(before[y + cy : y + cy + ch[i], x + cx : x + cx + cw[i]][crop[cy : cy + ch[i], cx : cx + cw[i]] == i])
        counts[0] = 0
        j = int(counts.argmax())  # the component most of these pixels were in
        # New to the mask (a tape that read teal or grey), or freed from something at least
        # its size (a lit tube the correction turned green). A smooth patch of colour only
        # moves its border, which the tests would read the same way again.
        if area[i] - counts.sum() >= 0.5 * area[i] or sizes[j] >= 2 * area[i]:
            return True
        box = (cx + x, cy + y, int(cw[i]), int(ch[i]))
        return any(_overlap(box, b) >= 0.5 for b in boxes)

    ids = np.flatnonzero(ok)
    comps, considered = [], 0
    for i in ids[np.argsort(-area[ids], kind="stable")]:
        if considered >= params.max_candidates:
            break
        if not changed(int(i)):
            continue
        considered += 1
        key = (int(stats[i, 0]) + x, int(stats[i, 1]) + y, int(cw[i]), int(ch[i]), int(area[i]))
        if key not in seen:
            seen.add(key)
            comps.append(crop_of(int(i)))
    candidates, rejected, failed = _candidates(frame, comps)
    if not any(c["passes"] for c in candidates):
        # Two things touching (a tape and a leaf, a tape and a lit tube) fail as one: split
        # the largest such components at their narrow necks, along their colour edges and
        # into their two colours. Under the uncorrected illuminant only the oversized
        # component is (below): a band seen only there is otherwise found whole, as two
        # fallbacks at once multiply the chances of a look-alike.
        parts = []
        for comp, cx, cy in failed[: 0 if frame.uncorrected or frame.shade else 3]:
            parts += _split_at_necks(comp, cx, cy) + _split_at_edges(frame.lab, comp, cx, cy) + _split_by_colour(frame, comp, cx, cy)
        # A tape merged with a lit tube of another green can exceed the band's size limit;
        # such a component is a bar (the tube: long, filling its minimum-area rectangle),
        # not a patch of green.
        big = np.flatnonzero(big)
        for i in big[np.argsort(-area[big], kind="stable")]:
            if not changed(int(i)):
                continue
            comp, cx, cy = crop_of(int(i))
            shape = _shape(comp)
            if shape is not None and max(shape[1]) >= 2.0 * min(shape[1]) and shape[3] * shape[4] >= 0.75:
                parts += _split_at_edges(frame.lab, comp, cx, cy) + _split_by_colour(frame, comp, cx, cy)
            break  # the largest only
        more, more_rejected, _ = _candidates(frame, parts)
        candidates += more
        rejected += more_rejected
        if not (frame.uncorrected or frame.shade) and not any(c["passes"] for c in more):
            # A tape merged with leaves need not be in one of the largest components:
            # the next few are split too, and their parts ranked by how band-like they
            # are (not by size); the best few get their own tests, with a higher bar (a
            # piece carved out of foliage needs clear evidence).
            pieces = []
            for comp, cx, cy in failed[3 : 3 + params.extra_split_components]:
                pieces += _split_at_necks(comp, cx, cy) + _split_at_edges(frame.lab, comp, cx, cy) + _split_by_colour(frame, comp, cx, cy)
            more, more_rejected, _ = _candidates(frame, _band_like(pieces, params)[: params.extra_split_parts], params.extra_split_tests, params.extra_split_margin)
            candidates += more
            rejected += more_rejected
    if params.glint_pairs and not frame.shade and not any(c["passes"] for c in candidates):
        # (In a shadow nothing glints: the direct light is what the shadow blocks.)
        # A glint along the tube cuts a tape in two: its pieces merged across the
        # highlight, each pair with one context test of its own (outside the budget).
        for comp, cx, cy in _bridge_glints(frame, stats, x, y, seen):
            found = _hypotheses(frame, comp, cx, cy)
            candidates += _test_best(frame, found[0] if found else [], params.glint_tests)
            if any(c["passes"] for c in candidates):
                break  # the first merged band that passes
    if params.bow_tests and params.bow_components and not frame.uncorrected and not any(c["passes"] for c in candidates):
        # A tape bowed round an obliquely seen tube: the largest components read
        # straightened. (Not under the uncorrected illuminant, whose bands must be found
        # whole: two fallbacks at once multiply the chances of a look-alike.)
        bowed = [hyp for comp, cx, cy in comps[: params.bow_components] for hyp in _bowed(frame, comp, cx, cy)]
        candidates += _test_best(frame, bowed, params.bow_tests)
    return candidates, rejected, int(len(ids))


def _test_best(frame: _Frame, hypotheses: list[dict], tests: int) -> list[dict]:
    """Context tests of the best ``tests`` of ``hypotheses`` (by the coarse look), outside
    the photo's budget, up to the first band that passes."""
    out = []
    for hyp in sorted(hypotheses, key=lambda c: -c["probe"])[:tests]:
        cand = _analyse(frame, hyp)
        if cand is not None:
            out.append(cand)
            if cand["passes"]:
                break
    return out


def _bridge_glints(frame: _Frame, stats: np.ndarray, x: int, y: int, seen: set | None = None) -> list[tuple[np.ndarray, int, int]]:
    """Bands cut in two by a glint along the tube (a specular highlight: the tape's colour
    mixed with the light's, so lighter, less chromatic and of the tape's hue): pairs of
    green components of one colour and one width, lined up with a narrow strip between them
    whose pixels are such a mix (read uncorrected: the highlight is the light as the camera
    saw it), while the tube beside the strip is lit along the same line (lighter than
    beside the pieces). Each pair is returned merged with its strip: ``(mask, x, y)``,
    cropped, most band-like first (at most ``glint_pairs``). Pairs in ``seen`` were
    rejected under the other illuminant before their strip was read (those tests read the
    same colours under either) and are skipped; new such rejections are added.

    Pairs are rejected cheaply first (colour, size, and bounds on their width and gap from
    their bounding boxes, which never reject a pair the full test would accept), then by
    the lightness at the gap's midpoint, before the strip is resampled
    (:func:`_glint_gap`)."""
    params = frame.params
    h, w = frame.labels.shape
    cw, ch, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    # Pieces as in the component search: sized like a band, not a sparse scatter.
    ok = (area >= params.min_area) & (area <= params.max_area_fraction * h * w) & (np.maximum(cw, ch) >= 0.5 * params.min_diameter)
    ok &= (np.minimum(cw, ch) >= 3) & (area >= 0.25 * cw * ch)
    ok[0] = False
    ids = np.flatnonzero(ok)
    ids = ids[np.argsort(-area[ids], kind="stable")][: params.max_candidates].tolist()
    if len(ids) < 2:
        return []
    boxes, comps, means = [], [], []
    for i in ids:
        bx, by, bw, bh = int(stats[i, 0]) + x, int(stats[i, 1]) + y, int(cw[i]), int(ch[i])
        comp = (frame.labels[by : by + bh, bx : bx + bw] == i).view(np.uint8)
        m = cv2.mean(frame.lab[by : by + bh, bx : bx + bw], mask=comp)
        boxes.append((bx, by, bw, bh))
        comps.append(comp)
        means.append((m[0] / L_SCALE, m[1] - 128.0, m[2] - 128.0))
    means = np.array(means, np.float32)
    raws = _raw_colour(frame, means)  # all pieces at once
    read = frame.colour(means)  # as the frame reads them
    pieces = []
    for n, i in enumerate(ids):
        if _green(frame, read[n])[0] < 0.8 * params.min_chroma:
            continue
        raw = raws[n]
        mo = cv2.moments(comps[n], binaryImage=True)
        centre = np.array([mo["m10"] / mo["m00"] + boxes[n][0], mo["m01"] / mo["m00"] + boxes[n][1]])
        key = (*boxes[n], int(area[i]))  # as in _search's ``seen``
        pieces.append({"key": key, "box": boxes[n], "comp": comps[n], "area": int(area[i]), "raw": raw, "sat": _saturation(raw), "hue": math.degrees(math.atan2(float(raw[2]), float(raw[1]))), "centre": centre})
    out = []
    for n, pa in enumerate(pieces):
        for pb in pieces[n + 1 :]:
            # One tape: one colour (hue and saturation), comparable sizes, close together.
            if abs((pa["hue"] - pb["hue"] + 180.0) % 360.0 - 180.0) > 20.0 or min(pa["sat"], pb["sat"]) < 0.8 * max(pa["sat"], pb["sat"]) or max(pa["area"], pb["area"]) > 4 * min(pa["area"], pb["area"]):
                continue
            (ax, ay, aw, ah), (bx, by, bw, bh) = pa["box"], pb["box"]
            reach = 0.6 * max(aw, ah, bw, bh)
            if bx > ax + aw + reach or ax > bx + bw + reach or by > ay + ah + reach or ay > by + bh + reach:
                continue
            pair = ("glint", pa["key"], pb["key"])
            if seen is not None and pair in seen:
                continue
            merged = _glint_gap(frame, pa, pb) if _glint_possible(frame, pa, pb) else False
            if merged is False and seen is not None:
                seen.add(pair)
            elif merged:
                out.append(merged)
    out.sort(key=lambda t: -t[0])
    return [t[1] for t in out[: params.glint_pairs]]


def _glint_possible(frame: _Frame, a: dict, b: dict) -> bool:
    """Whether pieces ``a`` and ``b`` can pass :func:`_glint_gap`'s width and gap tests,
    from their bounding boxes alone: upper bounds on each piece's width across the line
    joining their centres and on their lengths along it, a lower bound on the gap. A few
    arithmetic operations per pair, where the full test reads every pixel."""
    d = b["centre"] - a["centre"]
    dist = math.hypot(float(d[0]), float(d[1]))
    if dist < 1.0:
        return False
    dx, dy = abs(float(d[0])) / dist, abs(float(d[1])) / dist

    def extents(box):
        # Span of the box's pixel centres along the line and across it, and where its
        # middle lies along the line (from a's centre).
        bx, by, bw, bh = box
        # (a tight box: pixels touch all four sides, so the span across is at least the
        # difference of its sides' projections).
        bx, by, bw, bh = box
        along = dx * (bw - 1) + dy * (bh - 1)
        mid = ((bx + (bw - 1) / 2.0 - a["centre"][0]) * d[0] + (by + (bh - 1) / 2.0 - a["centre"][1]) * d[1]) / dist
        return along, dy * (bw - 1) + dx * (bh - 1) + 1.0, abs(dy * (bw - 1) - dx * (bh - 1)) + 1.0, float(mid)

    along_a, wide_a, least_a, mid_a = extents(a["box"])
    along_b, wide_b, least_b, mid_b = extents(b["box"])
    width = min(wide_a, wide_b)
    if width < 0.5 * frame.params.min_diameter or width < 0.75 * max(least_a, least_b):
        return False  # not one band's width
    gap = (mid_b - along_b / 2.0) - (mid_a + along_a / 2.0)
    return gap <= 0.6 * max(width, along_a + along_b + 2.0)


def _glint_gap(frame: _Frame, a: dict, b: dict) -> tuple[float, tuple[np.ndarray, int, int]] | bool | None:
    """``(score, (mask, x, y))`` of two pieces merged across a glint; see
    :func:`_bridge_glints`. ``False`` when the pair is rejected before the strip is
    resampled (on the pieces' shapes and raw colours and the raw lightness at the gap's
    middle: the same under either illuminant), ``None`` when rejected after."""
    box_a, comp_a, raw_a = a["box"], a["comp"], a["raw"]
    box_b, comp_b, raw_b = b["box"], b["comp"], b["raw"]
    c_a, c_b = a["centre"], b["centre"]
    d = c_b - c_a  # a new array: the pieces' centres stay as they are
    dist = float(np.hypot(*d))
    if dist < 1.0:
        return False
    d /= dist
    p = np.array([-d[1], d[0]])
    for piece in (a, b):  # convex hull, once per piece: a linear function peaks on it
        if "hull" not in piece:
            contours, _ = cv2.findContours(piece["comp"], cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            piece["hull"] = cv2.convexHull(np.concatenate(contours)).reshape(-1, 2).astype(np.float64) + piece["box"][:2]
    # Each piece's width across the line joining them and its extent along it, from its
    # hull (exact: a linear function peaks on the hull).
    wa, wb = (float(np.ptp((piece["hull"] - c_a) @ p)) + 1.0 for piece in (a, b))
    width = min(wa, wb)
    if width < 0.5 * frame.params.min_diameter or width < 0.75 * max(wa, wb):
        return False  # not one band's width
    along_a, along_b = (a["hull"] - c_a) @ d, (b["hull"] - c_a) @ d
    length = float(np.ptp(along_a) + np.ptp(along_b)) + 2.0
    near_a, near_b = float(along_a.max()), float(along_b.min())
    if near_b - near_a > 0.6 * max(width, length):
        return False  # too far apart for one band (a lower bound on the gap tested below)
    # A glint is lighter than both pieces in the middle of the gap (read raw at one pixel).
    mx, my = (int(round(float(v))) for v in c_a + d * (near_a + near_b) / 2.0)
    if not (0 <= mx < frame.lab.shape[1] and 0 <= my < frame.lab.shape[0]):
        return False
    if float(_raw_colour(frame, lab_u8_to_float(frame.lab[my, mx]))[0]) <= max(float(raw_a[0]), float(raw_b[0])):
        return False
    for piece in (a, b):  # pixel coordinates, once per piece
        if "pts" not in piece:
            piece["pts"] = np.argwhere(piece["comp"])[:, ::-1].astype(np.float64) + piece["box"][:2]
    pts_a, pts_b = a["pts"], b["pts"]
    # Each piece's extent along the line joining them (``s``) and across it (``q``).
    s_a, s_b = (pts_a - c_a) @ d, (pts_b - c_a) @ d
    q_a, q_b = (pts_a - c_a) @ p, (pts_b - c_a) @ p
    lo_a, hi_a = quantiles(q_a, (0.05, 0.95))
    lo_b, hi_b = quantiles(q_b, (0.05, 0.95))
    if min(hi_a, hi_b) - max(lo_a, lo_b) < 0.7 * (max(hi_a, hi_b) - min(lo_a, lo_b)):
        return False  # not lined up
    (g0,), (g1,) = quantiles(s_a, (0.97,)), quantiles(s_b, (0.03,))
    gap = g1 - g0
    if gap < 1.0 or gap > 0.6 * max(width, length):
        return False  # touching, or too far apart for one band
    # The strip between them, and the tube beside it and beside the pieces, read raw.
    q0, q1 = max(lo_a, lo_b), min(hi_a, hi_b)
    mid_q = (q0 + q1) / 2.0
    half_q = (q1 - q0) / 2.0
    s_mid = (g0 + g1) / 2.0

    def strip(s_centre, half_s, q_centre, half):
        centre = c_a + d * s_centre + p * q_centre
        rho = 1.0
        P, _, valid, _, _ = _sample(frame, centre, p, half, max(half_s, 0.5), rho)
        return _raw_colour(frame, P) if not frame.uncorrected else P, valid

    strip_lab, ok = strip(s_mid, gap / 2.0, mid_q, 0.8 * half_q)
    if not ok.all():
        return None
    tape = (raw_a + raw_b) / 2.0
    light = strip_lab[..., 0]
    ab = strip_lab[..., 1:]
    # A mix of the tape and a near-white light: its (a*, b*) lies between the tape's and
    # the grey axis (on the tape's side of it, little off the line), with less chroma for
    # its lightness than the tape.
    chroma = math.hypot(float(tape[1]), float(tape[2]))
    unit = np.array([float(tape[1]), float(tape[2])]) / max(chroma, 1e-6)
    along_tape = ab @ unit
    off_line = np.abs(ab @ np.array([-unit[1], unit[0]]))
    sat = np.hypot(ab[..., 0], ab[..., 1]) / (np.maximum(light, 0.0) + 16.0)
    glint = (light >= tape[0] + 3.0) & (along_tape > 0.0) & (off_line <= max(6.0, 0.25 * chroma)) & (sat < 0.95 * _saturation(tape))
    if glint.mean() < 0.6:
        return None
    # The highlight runs along the tube: beside the strip the tube is lighter than beside
    # the pieces, on both sides.
    side = half_q + 0.25 * width + 2.0
    beside_gap = [strip(s_mid, gap / 2.0, mid_q + sgn * side, 0.15 * width)[0][..., 0].mean() for sgn in (-1, 1)]
    beside_a = [strip(float(np.median(s_a)), 0.25 * float(np.ptp(s_a)), mid_q + sgn * side, 0.15 * width)[0][..., 0].mean() for sgn in (-1, 1)]
    beside_b = [strip(float(np.median(s_b)), 0.25 * float(np.ptp(s_b)), mid_q + sgn * side, 0.15 * width)[0][..., 0].mean() for sgn in (-1, 1)]
    lift = min(g - max(pa, pb) for g, pa, pb in zip(beside_gap, beside_a, beside_b))
    if lift < 3.0:
        return None
    # Merge: both pieces and the strip's glint pixels.
    x0, y0 = min(box_a[0], box_b[0]), min(box_a[1], box_b[1])
    x1, y1 = max(box_a[0] + box_a[2], box_b[0] + box_b[2]), max(box_a[1] + box_a[3], box_b[1] + box_b[3])
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    mask[box_a[1] - y0 : box_a[1] - y0 + box_a[3], box_a[0] - x0 : box_a[0] - x0 + box_a[2]] |= comp_a
    mask[box_b[1] - y0 : box_b[1] - y0 + box_b[3], box_b[0] - x0 : box_b[0] - x0 + box_b[2]] |= comp_b
    hull = np.zeros_like(mask)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.concatenate([pts_a, pts_b]).astype(np.int32) - (x0, y0)), 1)
    yy, xx = np.nonzero(hull & (1 - mask))
    if len(xx):
        rel = np.stack([xx + x0, yy + y0], axis=1) - c_a
        in_gap = ((rel @ d) > g0 - 1.0) & ((rel @ d) < g1 + 1.0)
        mask[yy[in_gap], xx[in_gap]] = 1
    return glint.mean() + soft(lift, 3.0, 10.0), (mask, x0, y0)


def _raw_colour(frame: _Frame, lab: np.ndarray) -> np.ndarray:
    """Float CIELAB ``(..., 3)`` of the corrected scene read under the uncorrected
    illuminant (as the camera recorded it)."""
    lab = np.ascontiguousarray(lab, np.float32)
    rgb = cv2.cvtColor(lab.reshape(-1, 1, 3), cv2.COLOR_Lab2RGB)
    return cv2.cvtColor(np.clip(rgb / frame.gains, 0.0, 1.0), cv2.COLOR_RGB2Lab).reshape(lab.shape)


def _saturation(lab) -> float:
    """``C* / (L* + 16)`` of a CIELAB colour: unchanged by shading (see the module notes)."""
    return math.hypot(float(lab[1]), float(lab[2])) / (max(float(lab[0]), 0.0) + 16.0)


def _candidates(frame: _Frame, comps: list, tests: int | None = None, margin: float = 0.0) -> tuple[list[dict], list[dict], list]:
    """Context-tested band hypotheses of components ``(mask, x, y)`` (the best ``tests``,
    by default ``max_context_tests``, by the coarse look; ``margin`` is added to the
    quality a band needs), the readings rejected before, and the large components
    (largest first) that gave no passing band, worth splitting."""
    params = frame.params
    hypotheses, rejected, failed = [], [], []
    for comp, x, y in comps:
        found = _hypotheses(frame, comp, x, y)
        if found is not None:
            hypotheses += found[0]
            rejected += found[1]
        if not (found and found[0]):
            failed.append((comp, x, y))
    hypotheses.sort(key=lambda c: -c["probe"])
    analysed = []
    for hyp in hypotheses[: min(params.max_context_tests if tests is None else tests, frame.budget[0])]:
        frame.budget[0] -= 1
        cand = _analyse(frame, hyp, margin)
        if cand is not None:
            analysed.append(cand)
            if cand["passes"] and cand["quality"] >= params.min_quality + 0.1:
                break  # a clear tape: the rest cannot change the finding
    passed = {id(c["comp"]) for c in analysed if c["passes"]}
    seen = {id(f[0]) for f in failed}
    for c in analysed:
        if id(c["comp"]) not in passed and id(c["comp"]) not in seen:
            seen.add(id(c["comp"]))
            failed.append((c["comp"], c["box"][0], c["box"][1]))
    failed = [f for f in failed if np.count_nonzero(f[0]) >= params.min_split_area]
    failed.sort(key=lambda f: -np.count_nonzero(f[0]))
    return analysed, rejected, failed


def _band_like(parts: list, params: GreenSealTapeParams) -> list:
    """The parts ``(mask, x, y)`` that pass the band's shape test, most band-like first
    (rectangularity and solidity, scored as in the context test's shape term)."""
    scored = []
    for n, part in enumerate(parts):
        shape = _shape(part[0])
        if shape is None or shape[3] < params.min_rectangularity or shape[4] < params.min_solidity:
            continue
        score = soft(shape[3], params.min_rectangularity, 0.95) + soft(shape[4], params.min_solidity, 0.9)
        scored.append((-score, n, part))
    scored.sort(key=lambda t: t[:2])
    return [t[2] for t in scored]


def _split_at_necks(comp: np.ndarray, x: int, y: int) -> list[tuple[np.ndarray, int, int]]:
    """Split a component where it narrows (a tape touching leaves at the tube's edge):
    erode it by a few pixels (a tenth of its short side, at most 3), and grow each remaining
    part back inside the component; ``(mask, x, y)`` of the largest parts, cropped, when
    there are several."""
    r = max(1, min(int(round(0.1 * min(comp.shape))), 3))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    n, cores, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(cv2.erode(comp, kernel), 8, cv2.CV_32S, cv2.CCL_GRANA)
    if n <= 2:
        return []
    parts = []
    for k in 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:4]:
        px, py, pw, ph = (int(v) for v in stats[k, :4])
        x0, y0 = max(px - r, 0), max(py - r, 0)
        x1, y1 = min(px + pw + r, comp.shape[1]), min(py + ph + r, comp.shape[0])
        core = (cores[y0:y1, x0:x1] == k).view(np.uint8)
        part = cv2.bitwise_and(cv2.dilate(core, kernel), comp[y0:y1, x0:x1])
        parts.append((part, x + x0, y + y0))
    return parts


def _split_at_edges(lab: np.ndarray, comp: np.ndarray, x: int, y: int) -> list[tuple[np.ndarray, int, int]]:
    """Split a component along its colour edges (a tape meeting leaves or a lit tube of
    another green): pixels where CIELAB changes by more than 6 units per pixel are cut, and
    each remaining region of one colour grows back by two pixels inside the component;
    ``(mask, x, y)`` of the largest regions, cropped, when there are several."""
    h, w = comp.shape
    patch = lab_u8_to_float(lab[y : y + h, x : x + w])
    gx = cv2.Sobel(patch, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patch, cv2.CV_32F, 0, 1, ksize=3)
    # A 3x3 Sobel weighs a unit step 8 (4 along it, doubled by the central difference).
    grad2 = cv2.transform(gx * gx + gy * gy, np.ones((1, 3), np.float32))
    inside = cv2.bitwise_and(comp, (grad2 < (6.0 * 8.0) ** 2).view(np.uint8))
    n, cores, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(inside, 8, cv2.CV_32S, cv2.CCL_GRANA)
    if n <= 2:
        return []
    kernel = np.ones((5, 5), np.uint8)
    parts = []
    for k in 1 + np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:4]:
        if stats[k, cv2.CC_STAT_AREA] < 16:
            break
        px, py, pw, ph = (int(v) for v in stats[k, :4])
        x0, y0 = max(px - 2, 0), max(py - 2, 0)
        x1, y1 = min(px + pw + 2, w), min(py + ph + 2, h)
        part = cv2.bitwise_and(cv2.dilate((cores[y0:y1, x0:x1] == k).view(np.uint8), kernel), comp[y0:y1, x0:x1])
        parts.append((part, x + x0, y + y0))
    return parts


def _split_by_colour(frame: _Frame, comp: np.ndarray, x: int, y: int) -> list[tuple[np.ndarray, int, int]]:
    """Split a component of two distinct colours (a tape and a leaf, a tape and a lit tube)
    into its two colour clusters (k-means in 8-bit Lab): the largest connected part of each
    cluster green enough to be tape (its centre's chroma in the tape's hue sector at least
    0.7 ``min_chroma`` under the frame's illuminant, :func:`_relight` if in shadow; the band
    test asks 0.8 of the part's mean), cropped: ``(mask, x, y)``."""
    patch = frame.lab[y : y + comp.shape[0], x : x + comp.shape[1]].astype(np.float32)
    _, std = cv2.meanStdDev(patch, mask=comp)
    spread = std.ravel() * np.array([1 / L_SCALE, 1.0, 1.0])
    if float(np.sqrt((spread * spread).sum())) < 5.0:
        return []  # one colour: nothing to split
    pixels = patch[comp.astype(bool)]
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    # Fit on at most ~1500 pixels (evenly spaced), then give every pixel its nearer centre.
    # Deterministic start (lighter / darker half), so a photo scores the same in any batch.
    fit = np.ascontiguousarray(pixels[:: max(1, len(pixels) // 1500)])
    start = (fit[:, 0] > np.median(fit[:, 0])).astype(np.int32).reshape(-1, 1)
    _, _, centres = cv2.kmeans(fit, 2, start, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    if np.linalg.norm((centres[0] - centres[1]) * [1 / L_SCALE, 1.0, 1.0]) < 10.0:
        return []
    colours = [frame.colour(np.array([c[0] / L_SCALE, c[1] - 128.0, c[2] - 128.0], np.float32)) for c in centres]
    green = [_green(frame, c)[0] * frame.relight(c[0]) >= 0.7 * frame.params.min_chroma for c in colours]
    if not any(green):
        return []
    # Each pixel's position between the centres: 0 at the first, 1 at the second.
    step = (centres[1] - centres[0]).astype(np.float32)
    offset = float(step @ centres[0]) / float(step @ step)
    position = cv2.transform(patch, (step / float(step @ step)).reshape(1, 3)) - offset
    parts = []
    for k, side in enumerate((cv2.CMP_LT, cv2.CMP_GE)):
        if not green[k]:
            continue
        part = cv2.bitwise_and(cv2.compare(position, 0.5, side), comp * 255)
        n, lab_, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(part, 8, cv2.CV_32S, cv2.CCL_GRANA)
        if n > 1:
            largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
            px, py, pw, ph = (int(v) for v in stats[largest, :4])
            parts.append(((lab_[py : py + ph, px : px + pw] == largest).astype(np.uint8), x + px, y + py))
    return parts


def _shape(comp: np.ndarray) -> tuple | None:
    """Minimum-area rectangle of a component's convex hull (centre, sides, angle) and the
    hull's rectangularity and solidity, from its contour; ``None`` if degenerate."""
    contours, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = cv2.convexHull(np.concatenate(contours))
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(hull)
    # Contour points are pixel centres: the hull's area is measured between centres too,
    # and its pixel count is that plus half its perimeter plus one (Pick's theorem).
    inner = cv2.contourArea(hull)
    rect_fill = float(min(inner / (rw * rh), 1.0)) if rw >= 1.0 and rh >= 1.0 else 0.0
    solidity = float(min(np.count_nonzero(comp) / (inner + cv2.arcLength(hull, True) / 2.0 + 1.0), 1.0))
    return (cx, cy), (rw + 1.0, rh + 1.0), angle, rect_fill, solidity


def _green(frame: _Frame, lab: np.ndarray) -> tuple[float, float]:
    """Chroma and hue (degrees) of a float CIELAB colour read under the frame's illuminant;
    chroma 0 when the hue is outside the tape's sector."""
    lo, hi = frame.params.hue_range
    a, b = float(lab[1]), float(lab[2])
    hue = float(np.degrees(np.arctan2(b, a)) % 360.0)
    return (float(np.hypot(a, b)) if lo <= hue <= hi else 0.0), hue


def _hypotheses(frame: _Frame, comp: np.ndarray, x: int, y: int) -> tuple[list[dict], list[dict]] | None:
    """Band hypotheses (tube axis, band width, tube centre line and diameter) for one
    component (``comp``: its mask cropped at ``x, y``), and the readings rejected; ``None``
    when the component fails the shape test."""
    params = frame.params
    bh, bw = comp.shape
    shape = _shape(comp)
    if shape is None:
        return None
    (cx, cy), (rw, rh), angle, rect_fill, solidity = shape
    if rect_fill < params.min_rectangularity or solidity < params.min_solidity or min(rw, rh) < 3.0 or max(rw, rh) < 0.5 * params.min_diameter:
        return None
    colour, green = _band_colour(frame, comp, x, y)
    base = _reading(comp, x, y, rect_fill, solidity, colour_limited=not green)
    if not green:
        return [], [base]
    found = [{**base, **hyp} for hyp in _probe(frame, np.array([cx + x, cy + y]), np.radians(angle), rw, rh, colour)]
    return found, [base]


def _band_colour(frame: _Frame, comp: np.ndarray, x: int, y: int) -> tuple[np.ndarray, bool]:
    """A component's mean float CIELAB under the frame's illuminant, and whether it is green
    enough for a band (its chroma, :func:`_relight` in shade, at least 0.8 ``min_chroma``:
    the context test asks the full ``min_chroma`` of the band's interior)."""
    m = cv2.mean(frame.lab[y : y + comp.shape[0], x : x + comp.shape[1]], mask=comp)
    colour = frame.colour(np.array([m[0] / L_SCALE, m[1] - 128.0, m[2] - 128.0], np.float32))
    return colour, _green(frame, colour)[0] * frame.relight(colour[0]) >= 0.8 * frame.params.min_chroma


def _reading(comp: np.ndarray, x: int, y: int, rectangularity: float, solidity: float, **more) -> dict:
    """A component's reading before its context test (``comp`` cropped at ``x, y``)."""
    return {"area": int(cv2.countNonZero(comp)), "box": (x, y, comp.shape[1], comp.shape[0]), "comp": comp, "passes": False, "colour_limited": False, "quality": 0.0, "partial": 0.0, "rectangularity": rectangularity, "solidity": solidity, **more}


class _Bow(NamedTuple):
    """A bowed band's centre line (:func:`_bowed`): in the frame of ``axis`` (working
    pixels; rows ``v`` across it from ``origin``), the line's offset along the axis in each
    row from ``v_lo`` on, ``(n,)``; held at its end values beyond the band's rows."""

    origin: np.ndarray
    axis: np.ndarray
    v_lo: float
    line: np.ndarray

    def offset(self, v: np.ndarray) -> np.ndarray:
        """The line's offset along the axis at rows ``v`` (from ``origin``)."""
        return np.interp(v, self.v_lo + np.arange(len(self.line)), self.line)


#: A bowed band's axis may be read square to its chord only within this angle of the
#: edges round it, when those clearly run one way (JPEG and shading move either by a few
#: degrees).
_CHORD_TO_EDGES = math.radians(15.0)


def _bowed(frame: _Frame, comp: np.ndarray, x: int, y: int) -> list[dict]:
    """Band hypotheses for a tape bowed round an obliquely seen tube (``comp``: a
    component's mask cropped at ``x, y``).

    A band round a cylinder is the strip between two equal ellipses offset along the axis:
    seen obliquely it is an arc of one width, symmetric about the tube's centre line, whose
    chord runs across the tube, and its lit side alone may be a crescent. Its rectangle
    neither fills its hull nor gives the axis. The axis is read along the strongest edges
    round the component (the tube's silhouette, :func:`_edge_axis`) and, unless those
    clearly run more than :data:`_CHORD_TO_EDGES` from it, square to the component's long
    direction (its chord). In each frame the band's centre line ``u(v)`` is read row by
    row and fitted by a quadratic (:func:`_centre_line`): it must be an arc
    (its apex among the band's rows, the rows off the fit by at most 1 pixel plus 0.15 of
    its sagitta) bowing by at most ``max_bow`` of the band's length, or, bowing by under a
    pixel, square to an axis 10 degrees or more from the rectangle's (a band the rectangle
    misread). The band, each row shifted onto the measured line, must pass the shape test
    straight: one width, with straight sides.
    """
    params = frame.params
    colour, green = _band_colour(frame, comp, x, y)
    ys, xs = np.nonzero(comp)
    if not green or len(xs) < params.min_area:
        return []
    pts = np.stack([xs + x, ys + y], axis=1).astype(np.float64)
    origin = pts.mean(axis=0)
    d = pts - origin
    edges, clear = _edge_axis(frame, comp, x, y)
    chord, coherence = _orientation(float(d[:, 0] @ d[:, 0]), float(d[:, 1] @ d[:, 1]), float(d[:, 0] @ d[:, 1]))
    axes = [] if edges is None else [edges]
    # A chord needs a long direction (second moments 1.7:1); a tube axis lies square to it,
    # near the edges round it when they clearly run one way.
    if coherence >= 0.7 / 2.7 and (not clear or _turn(chord + math.pi / 2.0, edges) <= _CHORD_TO_EDGES):
        axes.append(chord + math.pi / 2.0)
    shape = _shape(comp)
    rect_axis = math.radians(shape[2]) if shape is not None else None
    out, tried = [], []
    for theta in axes:
        if any(_turn(theta, t) < math.radians(5.0) for t in tried):
            continue
        tried.append(theta)
        axis = np.array([math.cos(theta), math.sin(theta)])
        across = np.array([-axis[1], axis[0]])
        u, v = d @ axis, d @ across
        rows = np.round(v).astype(np.int64)
        lo = int(rows.min())
        count = np.bincount(rows - lo).astype(np.float64)
        has = np.flatnonzero(count)
        if len(has) < 5:
            continue
        sums = np.bincount(rows - lo, weights=u)
        sagitta, apex, drift, rms = _centre_line((has + lo).astype(np.float64), sums[has] / count[has], count[has])
        length = float(len(count))
        if sagitta >= 1.0:
            if sagitta > params.max_bow * length or abs(apex) > 1.0 or rms > 1.0 + 0.15 * sagitta:
                continue
        elif drift > 1.5 or rms > 1.0 or rect_axis is None or min(_turn(theta, rect_axis), _turn(theta, rect_axis + math.pi / 2.0)) < math.radians(10.0):
            continue
        # The centre line, row by row (near the tube's edges an ellipse turns too fast for
        # any smoothing); rows without pixels interpolated.
        bow = _Bow(origin, axis, float(lo), np.interp(np.arange(len(count)), has, sums[has] / count[has]))
        # The band straightened: rows of the component shifted onto its centre line.
        res = u - bow.offset(v)
        grid_u = np.arange(math.floor(res.min()) - 1.0, math.ceil(res.max()) + 2.0)
        grid_v = np.arange(lo - 1.0, lo + length + 1.0)
        map_x, map_y = _bow_map(bow, origin, grid_u, grid_v)
        straight = cv2.remap(comp, map_x - x, map_y - y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        flat = _shape(straight)
        if flat is None or flat[3] < params.min_rectangularity or flat[4] < params.min_solidity:
            continue
        width = float(np.count_nonzero(straight)) / length  # the band's width along the axis
        if width < 3.0 or length < 0.5 * params.min_diameter:
            continue
        mid = lo + (length - 1.0) / 2.0
        centre = origin + across * mid + axis * float(bow.offset(mid))
        base = _reading(comp, x, y, flat[3], flat[4], bow_px=sagitta)
        out += [{**base, **hyp} for hyp in _probe(frame, centre, theta, width, length, colour, bow)]
    return out


def _turn(a: float, b: float) -> float:
    """Angle (radians, 0 to pi/2) between two undirected lines at angles ``a`` and ``b``."""
    return abs((a - b + math.pi / 2.0) % math.pi - math.pi / 2.0)


def _orientation(xx: float, yy: float, xy: float) -> tuple[float, float]:
    """Direction (radians) of the larger eigenvector of the symmetric 2x2 matrix
    ``[[xx, xy], [xy, yy]]`` (second moments, a structure tensor), and its coherence
    ``(l1 - l2) / (l1 + l2)`` of the eigenvalues (0 when the matrix is zero)."""
    total = xx + yy
    return 0.5 * math.atan2(2.0 * xy, xx - yy), (math.hypot(xx - yy, 2.0 * xy) / total if total > 0.0 else 0.0)


def _centre_line(v: np.ndarray, u: np.ndarray, weight: np.ndarray) -> tuple[float, float, float, float]:
    """A band's centre line ``u(v)`` (rows ``v`` ascending, at least two apart) fitted by a
    quadratic by least squares with weights ``sqrt(weight)``, as :func:`numpy.polyfit`
    does, without its overhead.

    Returns
    -------
    sagitta : float
        How far the fitted line bows over the rows and half a row beyond each end, pixels.
    apex : float
        Where its turning point lies, in half the rows' span from their middle (within
        +-1: among the rows; infinite for a straight line).
    drift : float
        How far its straight part moves along the axis over half the rows' span, pixels.
    rms : float
        Weighted root mean square of the rows off the fitted line, pixels.
    """
    half = (v[-1] - v[0]) / 2.0
    z = (v - v[0]) / half - 1.0  # rows on [-1, 1]: a well-conditioned system
    basis = np.stack([z * z, z, np.ones_like(z)])
    a, b, c = np.linalg.solve((basis * weight) @ basis.T, (basis * weight) @ u)
    off = u - ((a * z + b) * z + c)
    rms = math.sqrt(float((weight * off * off).sum() / weight.sum()))
    apex = -b / (2.0 * a) if a != 0.0 else math.inf
    return abs(float(a)) * ((half + 0.5) / half) ** 2, float(apex), abs(float(b)), rms


def _edge_axis(frame: _Frame, comp: np.ndarray, x: int, y: int) -> tuple[float | None, bool]:
    """Direction (radians) of the strongest edges round a component (its own pixels,
    grown by two, left out): the tube's silhouette beside a band. Structure tensor of
    ``L*`` over a window one component size wider on each side, sampled every
    ``size // 48`` pixels; ``None`` unless one direction dominates (coherence 0.3), and
    whether it clearly does (:data:`_CLEAR_EDGES`: a tube against a plain background, not
    a cluttered mount, tripod and hands)."""
    bh, bw = comp.shape
    r = max(bh, bw)
    height, width = frame.mask.shape
    x0, y0, x1, y1 = max(x - r, 0), max(y - r, 0), min(x + bw + r, width), min(y + bh + r, height)
    own = np.zeros((y1 - y0, x1 - x0), np.uint8)
    own[y - y0 : y - y0 + bh, x - x0 : x - x0 + bw] = comp
    keep = 1.0 - cv2.dilate(own, np.ones((5, 5), np.uint8)).astype(np.float32)
    light = np.ascontiguousarray(frame.lab[y0:y1, x0:x1, 0])
    step = max(1, max(light.shape) // 48)
    if step > 1:
        size = (max(1, light.shape[1] // step), max(1, light.shape[0] // step))
        light, keep = cv2.resize(light, size, interpolation=cv2.INTER_AREA), cv2.resize(keep, size, interpolation=cv2.INTER_AREA)
    light = light.astype(np.float32)
    gx = cv2.Sobel(light, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(light, cv2.CV_32F, 0, 1, ksize=3)
    gradient, coherence = _orientation(float((gx * gx * keep).sum()), float((gy * gy * keep).sum()), float((gx * gy * keep).sum()))
    if coherence < 0.3:
        return None, False
    return gradient + math.pi / 2.0, coherence >= _CLEAR_EDGES  # the edges run across the gradient


#: Coherence of the edges round a component above which they give the tube's axis
#: clearly enough to overrule its chord (:func:`_bowed`).
_CLEAR_EDGES = 0.6


# ----------------------------------------------------------------------------------------
# The tube around a band
# ----------------------------------------------------------------------------------------
def _sample(frame: _Frame, centre: np.ndarray, axis: np.ndarray, half_u: float, half_v: float, rho: float, bow: _Bow | None = None):
    """Resample the scene around ``centre`` into a frame with columns along ``axis`` (``u``)
    and rows across it (``v``), ``rho`` working pixels per sample. With a ``bow`` (see
    :func:`_bowed`; ``axis`` must be its axis), each row is shifted along the axis so that
    ``u = 0`` follows the band's bowed centre line (:func:`_bow_map`): the band comes out
    straight, and the tube's edges, which run along the axis, stay rows.

    Returns float CIELAB ``(nv, nu, 3)`` under the frame's illuminant, the tape mask and the
    inside-the-photo mask ``(nv, nu)`` (bool), and the ``u`` and ``v`` of the columns and rows
    (working pixels).
    """
    nu = 2 * int(half_u / rho) + 1
    nv = 2 * int(half_v / rho) + 1
    across = np.array([-axis[1], axis[0]])
    u = (np.arange(nu) - (nu - 1) / 2.0) * rho
    v = (np.arange(nv) - (nv - 1) / 2.0) * rho
    if bow is None:
        origin = centre - axis * rho * (nu - 1) / 2.0 - across * rho * (nv - 1) / 2.0
        matrix = np.array([[axis[0] * rho, across[0] * rho, origin[0]], [axis[1] * rho, across[1] * rho, origin[1]]], np.float32)
        lab = cv2.warpAffine(frame.lab, matrix, (nu, nv), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
        m = cv2.warpAffine(frame.mask, matrix, (nu, nv), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=2)
    else:
        map_x, map_y = _bow_map(bow, centre, u, v)
        lab = cv2.remap(frame.lab, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        m = cv2.remap(frame.mask, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=2)
    return frame.patch(lab), m == 1, m != 2, u, v


def _bow_map(bow: _Bow, centre: np.ndarray, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cv2.remap`` maps (x and y, ``(len(v), len(u))`` float32) of the frame of a bowed
    band (:func:`_bowed`) whose rows ``v`` run across the tube from ``centre`` and whose
    columns ``u`` are distances along ``bow.axis`` from the band's centre line (so where
    ``centre`` lies along the axis does not matter, only across it)."""
    axis, origin = bow.axis, bow.origin
    across = np.array([-axis[1], axis[0]])
    rows = v + float((np.asarray(centre, float) - origin) @ across)  # rows from the band's origin
    along = u[None, :] + bow.offset(rows)[:, None]
    map_x = origin[0] + across[0] * rows[:, None] + axis[0] * along
    map_y = origin[1] + across[1] * rows[:, None] + axis[1] * along
    return map_x.astype(np.float32), map_y.astype(np.float32)


def _probe(frame: _Frame, centre: np.ndarray, theta: float, rw: float, rh: float, colour: np.ndarray, bow: _Bow | None = None) -> list[dict]:
    """Where the tube is, if the band (minimum-area rectangle ``rw`` by ``rh`` at angle
    ``theta``) crosses one, trying each side of the rectangle as the tube's axis: the
    tube's two silhouette edges in the flanks' profiles across the axis, bracketing the
    band, on one coarse resampling. Three readings per flank: the band's own ends (its mask
    spans the tube when the tube's silhouette is faint against a background of its colour),
    the nearest strong edges, and the strongest edges up to 1.5 band widths beyond it (the
    band may be a piece of the tape: a glint or its shaded side missing from the mask).

    Returns the readings (tube centre line and diameter, and a score for ranking: edges,
    the paint between them duller and darker than the band, the tube's size), best first,
    at most three per axis; none when no flank shows a darker, less chromatic surface
    between two edges. A bowed band (``bow``, :func:`_bowed`: ``theta`` is the tube's
    axis, ``rw`` the band's width along it) is read straightened, on that axis only.
    """
    params = frame.params
    axis = np.array([math.cos(theta), math.sin(theta)])
    across = np.array([-axis[1], axis[0]])
    # Hypotheses (band width t along the axis, extent e across it); the second is the first
    # turned by 90 degrees, read from the same resampling (its u is the first's v, its v the
    # first's -u).
    hyps = [(n, t, e) for n, (t, e) in enumerate(((rw, rh), (rh, rw))[: 1 if bow is not None else 2]) if 0.15 <= e / t <= 10.0]
    if not hyps:
        return []
    half = max(max(e / 2.0 + max(1.2 * e, 1.5 * t, 3.0), t / 2.0 + 1.5 + 0.05 * t + max(3.0, 0.6 * min(e, 3.0 * t))) for _, t, e in hyps)
    rho = max(1.0, max(e / 2.0 + max(1.2 * e, 1.5 * t, 3.0) for _, t, e in hyps) / 20.0)
    P, _, valid, grid, _ = _sample(frame, centre, axis, half, half, rho, bow)
    size = len(grid)
    band_chroma = math.hypot(float(colour[1]), float(colour[2]))
    band_light = float(colour[0])
    relit = frame.relight(band_light)  # differences read as if lit (1 outside the shade reading)
    found: dict = {}
    before, after = grid < 0, grid > 0
    for n, t, e in hyps:
        Q, ok = (P, valid) if n == 0 else (P[:, ::-1].transpose(1, 0, 2), valid[:, ::-1].T)
        gap = 1.5 + 0.05 * t
        half_v = e / 2.0 + max(1.2 * e, 1.5 * t, 3.0)
        rows = np.abs(grid) <= half_v
        along = np.abs(grid) - t / 2.0 - gap
        cols = (along >= 0.0) & (along <= max(3.0, 0.6 * min(e, 3.0 * t)))
        weight = np.stack([cols & before, cols & after])
        n_cols = np.count_nonzero(weight, axis=1)
        if not n_cols.all():
            continue
        weight = weight / n_cols[:, None]
        good = ((ok[rows].astype(np.float64) @ weight.T).mean(axis=0) >= 0.6).tolist()
        profiles = (Q.transpose(0, 2, 1).reshape(size * 3, size) @ weight.T).reshape(size, 3, 2).transpose(2, 0, 1)
        steps = np.zeros((2, size))
        dp = profiles[:, 2:] - profiles[:, :-2]
        steps[:, 1:-1] = np.sqrt((dp * dp).sum(axis=2))
        tol = max(rho, 0.2 * e)
        upper = rows & (grid <= -e / 2.0 + tol)
        lower = rows & (grid >= e / 2.0 - tol)
        # The nearer an edge to the band's end, the likelier it is the tube's.
        nearness = 1.0 / (1.0 + np.maximum(np.abs(grid) - e / 2.0, 0.0) / e)
        own = (int(np.abs(grid + e / 2.0).argmin()), int(np.abs(grid - e / 2.0).argmin()))
        picks = [
            [own] * 2,
            list(zip(np.where(upper, steps * nearness, -1.0).argmax(axis=1).tolist(), np.where(lower, steps * nearness, -1.0).argmax(axis=1).tolist())),
            list(zip(np.where(upper, steps, -1.0).argmax(axis=1).tolist(), np.where(lower, steps, -1.0).argmax(axis=1).tolist())),
        ]
        # Row sums of each flank's profile, to average the paint between any two rows.
        cum = np.concatenate([np.zeros((2, 1, 3)), profiles.cumsum(axis=1)], axis=1).tolist()
        step_list, near_list, g = steps.tolist(), nearness.tolist(), grid.tolist()
        ax = axis if n == 0 else across
        side_axis = np.array([-ax[1], ax[0]])
        for mode, pairs in enumerate(picks):
            for s in (0, 1):
                if not good[s]:
                    continue
                i1, i2 = pairs[s]
                v1, v2 = g[i1], g[i2]
                # The rows strictly inside the middle 70 % between the edges (``g`` ascends).
                lo = bisect.bisect_right(g, v1 + 0.15 * (v2 - v1)) if v2 > v1 else size
                hi = bisect.bisect_left(g, v2 - 0.15 * (v2 - v1))
                if v2 - v1 < max(0.6 * e, params.min_diameter) or hi <= lo:
                    continue
                paint = [(cum[s][hi][c] - cum[s][lo][c]) / (hi - lo) for c in range(3)]
                darker = relit * (band_light - paint[0])
                duller = relit * (band_chroma - math.hypot(paint[1], paint[2]))
                edge = relit * min(step_list[s][i1], step_list[s][i2])
                if darker < 0.0 or duller < 0.5 * params.min_relative_chroma or edge < 0.25 * params.min_tube_edge:
                    continue
                rank = (soft(edge, 0.0, params.min_tube_edge) + soft(duller, 0.0, 2.0 * params.min_relative_chroma) + soft(darker, 0.0, 4.0 * params.min_flank_contrast)) * soft(v2 - v1, 0.5 * params.min_diameter, 2.0 * params.min_diameter)
                rank *= 0.9 if mode == 0 else ((near_list[i1] * near_list[i2]) ** 0.25 if mode == 1 else 1.0)
                key = (n, i1, i2)
                if key not in found or rank > found[key]["probe"]:
                    found[key] = {"probe": rank, "geometry": (centre + side_axis * (v1 + v2) / 2.0, ax, float(t), float(v2 - v1)), "bow": bow}
    out, per_axis = [], [0, 0]
    for key, f in sorted(found.items(), key=lambda kv: -kv[1]["probe"]):
        if per_axis[key[0]] < 3:
            per_axis[key[0]] += 1
            out.append(f)
    return out


def _analyse(frame: _Frame, hyp: dict, margin: float = 0.0) -> dict | None:
    """Resample the band's surroundings (tube axis, band width ``t``, tube centre line and
    diameter ``d`` from :func:`_probe`) and test them; a diameter spans 16 rows. Both
    flanks are measured at once (the rows of the ``(2, nu)`` column weights below).
    ``margin`` is added to the quality the band needs to pass."""
    params = frame.params
    centre, axis, t, d = hyp["geometry"]
    rho = max(1.0, d / 16.0)
    gap = 1.5 + 0.05 * t  # JPEG's chroma blur at the band's edges
    flank_len = max(3.0, 0.6 * min(d, 3.0 * t), rho)
    P, tape_px, valid, u, _ = _sample(frame, centre, axis, t / 2.0 + gap + params.tube_reach * d, d / 2.0 + max(0.3 * d, 2.0 * rho), rho, hyp.get("bow"))
    nv, nu = P.shape[:2]
    mid_v, mid_u = (nv - 1) // 2, (nu - 1) // 2
    half_r = int(0.35 * d / rho)  # the tube's interior, clear of its edges
    half_t = int(max(t / 2.0 - max(1.0, 0.15 * t), 0.25 * t) / rho)
    rows, cols = slice(mid_v - half_r, mid_v + half_r + 1), slice(mid_u - half_t, mid_u + half_t + 1)
    inner = P[rows]
    block = inner[:, cols]
    sel = tape_px[rows, cols]
    count = sel.sum(axis=1)
    n = int(count.sum())
    if n < 4:
        return None
    # The tape's colour, overall and row by row (its shading follows the cylinder's).
    picked = block * sel[..., None]
    row_sum = picked.sum(axis=1)
    tape_lab = row_sum.sum(axis=0) / n
    chroma, hue = _green(frame, tape_lab)
    relit = frame.relight(tape_lab[0])  # the shade reading reads a band as if lit
    ab_spread = math.sqrt(max(float((picked[..., 1:] ** 2).sum()) / n - float(tape_lab[1]) ** 2 - float(tape_lab[2]) ** 2, 0.0))
    has_tape = count > 0
    row_tape = np.where(has_tape[:, None], row_sum / np.maximum(count, 1)[:, None], tape_lab)
    # How much of the tube's diameter the band covers: rows of the tape's columns that are
    # mostly in the mask, or of the tape's chromaticity (its shaded side).
    row_all = block.mean(axis=1)
    off = row_all[:, 1:] / (np.maximum(row_all[:, :1], 0.0) + 16.0) - tape_lab[1:] / (max(float(tape_lab[0]), 0.0) + 16.0)
    coverage = float(((count >= 0.5 * block.shape[1]) | ((off * off).sum(axis=1) <= 0.15**2)).mean())

    # Per column of the tube's interior: colour, a*/b* second moments, tape-like fraction,
    # and how much lighter and more chromatic the tape is at the same rows.
    col_mean = inner.mean(axis=0)
    col_ab2 = (inner[..., 1:] ** 2).mean(axis=0)
    diff = inner - row_tape[:, None, :]
    col_like = ((diff * diff).sum(axis=2) <= 100.0 / relit**2).mean(axis=0)  # within 10 CIE76, lit
    col_valid = valid[rows].mean(axis=0)
    lit = inner[has_tape]
    tape_rows = row_tape[has_tape]
    col_chroma_gap = np.hypot(tape_rows[:, 1], tape_rows[:, 2]).mean() - np.hypot(lit[..., 1], lit[..., 2]).mean(axis=0)
    col_light_gap = tape_rows[:, 0].mean() - lit[..., 0].mean(axis=0)

    # The two flanks: distance beyond the band's edge on each side; the near flank's columns.
    along = np.stack([-u, u]) - (t / 2.0 + gap)
    near = (along >= 0.0) & (along <= flank_len)
    n_near = near.sum(axis=1)
    inside = (near @ col_valid) >= 0.5 * n_near
    if not inside.any():
        return None
    weight = near / np.maximum(n_near, 1)[:, None]
    mean = weight @ col_mean
    var_ab = weight @ col_ab2 - mean[:, 1:] ** 2
    # Each flank's profile across the axis: the tube's two silhouette edges near +-d/2.
    k = max(1, int(round(0.06 * d / rho)))
    profiles = (P.transpose(0, 2, 1).reshape(nv * 3, nu) @ weight.T).reshape(nv, 3, 2).transpose(2, 0, 1)
    steps = np.zeros((2, nv))
    dp = profiles[:, 2 * k :] - profiles[:, : -2 * k]
    steps[:, k : nv - k] = np.sqrt((dp * dp).sum(axis=2))
    reach_rows = int(1.5 * k + 1)
    e_top, e_bot = mid_v - int(round(d / 2.0 / rho)), mid_v + int(round(d / 2.0 / rho))
    t0, b0 = max(e_top - reach_rows, 0), max(e_bot - reach_rows, 0)
    i_top = t0 + steps[:, t0 : e_top + reach_rows + 1].argmax(axis=1)
    i_bot = b0 + steps[:, b0 : e_bot + reach_rows + 1].argmax(axis=1)
    edge = np.minimum(steps[[0, 1], i_top], steps[[0, 1], i_bot])
    # Paint is smooth along the tube (its shading runs across it); foliage is not.
    reach = (along >= 0.0) & (along <= max(d, flank_len)) & (col_valid > 0.5)
    spread_w = reach / np.maximum(reach.sum(axis=1), 1)[:, None]
    light = inner[..., 0]
    m1 = light @ spread_w.T
    texture = _column_medians(np.sqrt(np.maximum((light * light) @ spread_w.T - m1 * m1, 0.0)))
    # Tape and paint on one cylinder share its shading: their lightness ratio (cube-root
    # reflectance ratio) is the same in every row of a Lambertian tube.
    ratio = (tape_rows[:, :1] + 16.0) / (lit[..., 0] @ weight.T + 16.0)
    ratio_cv = ratio.std(axis=0) / np.maximum(ratio.mean(axis=0), 1e-6) if len(ratio) >= 3 else np.zeros(2)
    runs = _tube_runs(P, along, flank_len, d, rho, k, i_top, i_bot, mean, col_mean, col_ab2, col_like, col_valid, params, relit)

    columns = zip(
        mean.tolist(),
        (1.35 * np.sqrt(np.maximum(var_ab.max(axis=1), 0.0))).tolist(),
        (weight @ col_like).tolist(),
        edge.tolist(),
        (weight @ col_light_gap).tolist(),
        (weight @ col_chroma_gap).tolist(),
        texture.tolist(),
        ratio_cv.tolist(),
        runs,
        inside.tolist(),
        (0, 1),
    )
    sides = []
    for lab, iqr, fraction, step, contrast, relative, tex, shading, run, ok, s in columns:
        if ok:
            flank = {"lab": lab, "ab_iqr": iqr, "tape_fraction": fraction, "edge": step, "contrast": contrast, "relative_chroma": relative, "texture": tex, "ratio_cv": shading, "run": run, "side": s}
            flank["evidence"] = _side_evidence(flank, params, relit)
            sides.append(flank)

    # The tape sits on the tube: either in its middle (both flanks are the same tube) or
    # at one end (one flank is an end cap or the background). Take the better reading.
    one_sided = params.end_weight * max(s["evidence"] for s in sides)
    two_sided = 0.0
    flank_diff = None
    if len(sides) == 2:
        f1, f2 = sides
        flank_diff = math.dist(f1["lab"], f2["lab"])
        two_sided = (min(f1["evidence"], f2["evidence"]) + 1.0 - soft(flank_diff, 5.0, params.max_flank_difference) + soft(f1["run"] + f2["run"], 1.2, params.min_tube_extent)) / 3.0
        two_sided = two_sided * 0.5 + 0.25 * (f1["evidence"] + f2["evidence"])
    tube = max(two_sided, one_sided)
    main = max(sides, key=lambda s: s["evidence"])
    gates = (
        relit * chroma >= params.min_chroma,
        relit * main["contrast"] >= params.min_flank_contrast,
        relit * main["relative_chroma"] >= params.min_relative_chroma,
        main["tape_fraction"] <= params.max_flank_tape_fraction,
        ab_spread <= 0.45 * max(chroma, 1e-6),
        relit * main["edge"] >= 0.35 * params.min_tube_edge,
        main["ab_iqr"] <= params.max_flank_chroma_iqr,
    )
    # Shape and colour weigh 2, the tube around the band 6: a band of green is a tape
    # when it sits across a tube.
    shape = (soft(hyp["rectangularity"], params.min_rectangularity, 0.95) + soft(hyp["solidity"], params.min_solidity, 0.9) + soft(coverage, params.min_coverage, 0.8)) / 3.0
    lo, hi = params.hue_range
    hue_fit = min(soft(hue, lo, lo + 10.0), 1.0 - soft(hue, hi - 5.0, hi))
    colour = (soft(relit * chroma, params.min_chroma, params.min_chroma + 25.0) + 1.0 - soft(ab_spread, 6.0, 16.0) + hue_fit) / 3.0
    quality = (2.0 * shape + 2.0 * colour + 6.0 * tube) / 10.0
    threshold = params.min_quality + margin + (params.uncorrected_margin if frame.uncorrected or frame.shade else 0.0)
    # The tape wraps the tube: a band over less than min_coverage of its diameter (a stripe
    # of a round flag emoji on a white disc) does not, however well the rest reads.
    gates += (quality >= threshold and coverage >= params.min_coverage,)
    return {
        **hyp,
        "passes": all(gates),
        # Only the colour (its chroma, or its score) kept this band from passing.
        "colour_limited": not all(gates) and all(gates[1:7]) and quality + 0.2 * (1.0 - colour) >= threshold,
        "partial": sum(gates) / len(gates),
        "quality": quality,
        "tube_evidence": tube,
        "tape_position": "middle" if two_sided >= one_sided else "end",
        "lab": tape_lab.tolist(),
        "chroma": chroma,
        "hue_deg": hue,
        "shade_factor": relit,
        "reading": "shade" if frame.shade else "light",
        "bow_px": hyp.get("bow_px", 0.0),
        "illuminant": frame.illuminant,
        "coverage": coverage,
        "ab_spread": ab_spread,
        "elongation": max(d, t) / min(d, t),
        "diameter_px": d,
        "flank_contrast_L": main["contrast"],
        "relative_chroma": main["relative_chroma"],
        "flank_difference": flank_diff,
        "flank_chroma_iqr": main["ab_iqr"],
        "flank_tape_fraction": main["tape_fraction"],
        "flank_texture": main["texture"],
        "shading_ratio_cv": main["ratio_cv"],
        "tube_edge_difference": main["edge"],
        "tube_extent_diameters": sum(s["run"] for s in sides),
        "tube_lab": list(main["lab"]),
        "tube_axis_deg": math.degrees(math.atan2(axis[1], axis[0])) % 180.0,
        "gates": "".join("1" if g else "0" for g in gates),
        "flank_pixels": inner[:, near[main["side"]]],
        "tape_pixels": block[sel],
    }


def _column_medians(values: np.ndarray) -> np.ndarray:
    """Median of each column of a ``(n, k)`` array (n >= 1), as :func:`numpy.median` with
    ``axis=0`` computes it, without its overhead (it is called per band hypothesis)."""
    ordered = np.sort(values, axis=0)
    half = len(ordered) // 2
    return ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2.0


def _finish(cand: dict) -> None:
    """Median colours of the reported tape and tube (robust to a stencil or a glint);
    the tests used means."""
    cand["lab"] = np.median(cand["tape_pixels"], axis=0).tolist()
    cand["tube_lab"] = np.median(cand["flank_pixels"].reshape(-1, 3), axis=0).tolist()


def _tube_runs(P, along, step, d, rho, k, tops, bottoms, refs, col_mean, col_ab2, col_like, col_valid, params, relit: float = 1.0) -> list[float]:
    """Length (in diameters) over which the tube continues on each side of the tape.

    Walks outwards in flank-sized steps beyond the near flank (colour ``refs[side]``,
    edges at rows ``tops[side]``, ``bottoms[side]``) while each step keeps the flank's
    colour and chroma uniformity, is not tape-coloured, and shows the tube's two edges,
    followed from step to step (the band's rectangle gives the axis to a few degrees
    only); one odd step (a stencil, a strap) is allowed, two end the tube. Edge steps are
    read as if lit by ``relit`` (:func:`_relight`).
    """
    nv, nu = P.shape[:2]
    limit = int(params.tube_reach * d / step)
    index = np.floor(along / step).astype(np.int64)  # (2, nu): step number of each column
    n_steps = [int(min(max(index[s].max(), 0), limit)) for s in (0, 1)]
    total = n_steps[0] + n_steps[1]
    if total == 0:
        return [step / d, step / d]
    # One averaging row per (side, step).
    share = np.zeros((total, nu))
    offset = (0, n_steps[0])
    for s in (0, 1):
        use = (index[s] >= 1) & (index[s] <= n_steps[s])
        share[offset[s] + index[s][use] - 1, np.flatnonzero(use)] = 1.0
    count = share.sum(axis=1)
    share /= np.maximum(count, 1.0)[:, None]
    mean = share @ col_mean
    spread = 1.35 * np.sqrt(np.maximum(share @ col_ab2 - mean[:, 1:] ** 2, 0.0)).max(axis=1)
    off = mean - np.repeat(np.asarray(refs), n_steps, axis=0)
    ok = ((np.sqrt((off * off).sum(axis=1)) <= params.max_flank_difference) & (spread <= params.max_flank_chroma_iqr) & (share @ col_like <= params.max_flank_tape_fraction)).tolist()
    inside = ((count > 0) & (share @ col_valid >= 0.5)).tolist()
    # Each step's profile across the axis, and its steps row by row.
    profiles = (share @ P.transpose(1, 0, 2).reshape(nu, nv * 3)).reshape(total, nv, 3)
    edges = np.zeros((total, nv))
    dp = profiles[:, 2 * k :] - profiles[:, : -2 * k]
    edges[:, k : nv - k] = np.sqrt((dp * dp).sum(axis=2))
    edges = edges.tolist()
    drift = 1 + int(round(step * 0.14 / rho))  # the edge may move by tan(8 deg) per step
    least = params.min_tube_edge / 2.0 / relit
    out = []
    for s in (0, 1):
        top, bottom = int(tops[s]), int(bottoms[s])
        width = bottom - top
        length, misses = step, 0
        for n in range(offset[s], offset[s] + n_steps[s]):
            if not inside[n]:
                break
            row = edges[n]
            t_lo, b_lo = max(top - drift, 0), max(bottom - drift, 0)
            t_win, b_win = row[t_lo : top + drift + 1], row[b_lo : bottom + drift + 1]
            t_new, b_new = t_lo + t_win.index(max(t_win)), b_lo + b_win.index(max(b_win))
            edged = min(row[t_new], row[b_new]) >= least and abs((b_new - t_new) - width) <= max(2, 0.25 * width)
            if ok[n] and edged:
                top, bottom = t_new, b_new
                length += step * (1 + misses)
                misses = 0
            else:
                misses += 1
                if misses > 1:
                    break
        out.append(length / d)
    return out


def _side_evidence(flank: dict, params: GreenSealTapeParams, lit: float = 1.0) -> float:
    """0..1: how much one flank looks like a tube running away from the tape; its contrasts
    and edge step read as if lit by ``lit`` (:func:`_relight` of the tape; its spreads are
    not scaled: noise does not dim with the light)."""
    tests = (
        soft(lit * flank["contrast"], params.min_flank_contrast, params.min_flank_contrast + 20.0),
        soft(lit * flank["relative_chroma"], params.min_relative_chroma, params.min_relative_chroma + 20.0),
        1.0 - soft(flank["ab_iqr"], 5.0, params.max_flank_chroma_iqr),
        1.0 - soft(flank["tape_fraction"], 0.05, params.max_flank_tape_fraction),
        soft(lit * flank["edge"], 0.0, params.min_tube_edge),
        soft(flank["run"], 0.6, params.min_tube_extent),
        1.0 - soft(flank["texture"], 3.0, 10.0),
        1.0 - soft(flank["ratio_cv"], 0.08, 0.25),
    )
    return sum(tests) / len(tests)
