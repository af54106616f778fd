"""Normalisation: working resolution and illuminant correction, producing a :class:`Scene`.

A :class:`Scene` is what every cue detector reads: the photo at a bounded working
resolution, colour-corrected, in 8-bit CIELAB, plus the scale (and, for a closer look at a
region, :meth:`Scene.zoom`, the offset) that maps working pixels back to original pixels
exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from .colour import L_SCALE, ab_index, rgb_to_lab_u8
from .io import as_rgb_uint8

__all__ = ["NormaliseParams", "Scene", "estimate_illuminant", "normalise", "to_working_resolution"]


@dataclass(frozen=True)
class NormaliseParams:
    """Settings of the normalisation stage.

    Attributes
    ----------
    max_side : int
        Longest side of the working image. The photo is reduced by the smallest *integer*
        factor that fits (area averaging, so thin coloured marks keep their colour).
    correct_illuminant : bool
        Apply :func:`estimate_illuminant`'s gains.
    max_gain : float
        Per-channel correction gains are clipped to ``[1/max_gain, max_gain]`` (about a
        +-20 % cast) so a scene dominated by one colour (foliage, sand, brick) is not
        pushed into its complement.
    correction_strength : float
        Exponent applied to the estimated gains: 1 corrects fully, 0 not at all. The
        default 0.75 removes most of a cast (a +-20 % cast leaves about +-5 %, which the
        detectors' colour ranges absorb) and limits the damage of a wrong estimate on a
        scene that is simply one colour (measured on a development set: better cue
        accuracy than 1.0 or 0.5).
    """

    max_side: int = 1024
    correct_illuminant: bool = True
    max_gain: float = 1.25
    correction_strength: float = 0.75

    def __post_init__(self) -> None:
        if not isinstance(self.max_side, int) or self.max_side < 64:
            raise ValueError(f"max_side must be an int >= 64, got {self.max_side!r}")
        if not self.max_gain >= 1.0:
            raise ValueError(f"max_gain must be >= 1, got {self.max_gain!r}")
        if not 0.0 <= self.correction_strength <= 1.0:
            raise ValueError(f"correction_strength must be in [0, 1], got {self.correction_strength!r}")


def to_working_resolution(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float, float]:
    """Reduce by the smallest integer factor so the long side fits ``max_side``.

    Returns
    -------
    work : (h, w, 3) uint8 ndarray
    scale_x, scale_y : float
        Original pixels per working pixel along x and y (multiply working coordinates).

    Examples
    --------
    >>> work, sx, sy = to_working_resolution(np.zeros((960, 1280, 3), np.uint8), 1024)
    >>> work.shape, sx, sy
    ((480, 640, 3), 2.0, 2.0)
    """
    height, width = rgb.shape[:2]
    factor = max(1, math.ceil(max(height, width) / max_side))
    if factor == 1:
        return rgb, 1.0, 1.0
    w, h = max(1, round(width / factor)), max(1, round(height / factor))
    work = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    return work, width / w, height / h


def estimate_illuminant(rgb: np.ndarray, *, iterations: int = 3, max_gain: float = 1.25) -> np.ndarray:
    """Estimate per-channel gains that make the scene's illuminant neutral.

    Grey-edge hypothesis (van de Weijer, Gevers and Gijsenij 2007): the Minkowski
    (p = 2) mean of image *derivatives* is achromatic. Derivatives ignore large flat
    areas of one colour better than grey-world does. The estimate is then refined on
    edges of pixels that look near-neutral after the current correction, so foliage and
    painted surfaces do not pull it. Diagonal (per-channel) casts are removed exactly,
    up to clipping and the gain limit.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
    iterations : int
        Refinement passes on near-neutral pixels.
    max_gain : float
        Gains are clipped to ``[1/max_gain, max_gain]``: the default 1.25 undoes casts of
        about +-20 % per channel (filters, auto white balance) and no more, so a scene that
        simply *is* warm or green (coffee, foliage, brick) is not pushed into its complement.

    Returns
    -------
    gains : (3,) float ndarray
        Multiply R, G, B by these; their geometric mean is 1 (exposure is kept).
    """
    small = rgb
    while max(small.shape[:2]) > 200:
        small = cv2.pyrDown(small)
    img = small.astype(np.float32)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    grad2 = (gx * gx + gy * gy).reshape(-1, 3)  # |gradient| ** 2: the Minkowski norm's p
    r, g, b = (plane.ravel() for plane in cv2.split(img))  # contiguous planes: fast element-wise ops
    usable = (np.maximum(np.maximum(r, g), b) < 250) & (np.minimum(np.minimum(r, g), b) > 5)
    gains = np.ones(3)
    weights = usable
    for _ in range(iterations + 1):
        count = np.count_nonzero(weights)
        if count < 50:
            break
        e = np.sqrt((weights.astype(np.float32) @ grad2 / count).astype(np.float64)) + 1e-6
        gains = e.mean() / e
        gains = np.clip(gains / np.exp(np.mean(np.log(gains))), 1.0 / max_gain, max_gain)
        cr, cg, cb = (plane * np.float32(k) for plane, k in zip((r, g, b), gains))
        spread = np.maximum(np.maximum(cr, cg), cb) - np.minimum(np.minimum(cr, cg), cb)
        weights = usable & (spread < 0.25 * (cr + cg + cb + 1e-6))
    return gains


class Scene:
    """A photo prepared for the cue detectors.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        The original photo.
    params : NormaliseParams

    Attributes
    ----------
    original_size : (int, int)
        ``(width, height)`` of the original photo.
    original : (H, W, 3) uint8 ndarray
        The original photo itself (not colour-corrected, not copied), for detectors that
        crop small regions at full resolution (OCR of a stencil).
    work : (h, w, 3) uint8 ndarray
        Illuminant-corrected working image.
    scale_x, scale_y : float
        Original pixels per working pixel.
    offset : (int, int)
        Original pixel of the working image's corner: ``(0, 0)`` but in a :meth:`zoom`.
    gains : (3,) ndarray
        Illuminant correction applied.
    """

    def __init__(self, rgb: np.ndarray, params: NormaliseParams = NormaliseParams()) -> None:
        rgb = as_rgb_uint8(rgb)
        work, scale_x, scale_y = to_working_resolution(rgb, params.max_side)
        gains = estimate_illuminant(work, max_gain=params.max_gain) ** params.correction_strength if params.correct_illuminant else np.ones(3)
        self._fill(rgb, work, scale_x, scale_y, gains, (0, 0), params)

    def _fill(self, original: np.ndarray, work: np.ndarray, scale_x: float, scale_y: float, gains: np.ndarray, offset: tuple[int, int], params: NormaliseParams) -> None:
        """Set every attribute: ``work`` (uncorrected, at the working resolution) is
        corrected with ``gains`` when the params say so."""
        self.params = params
        self.original_size = (int(original.shape[1]), int(original.shape[0]))
        self.original = original
        self.scale_x, self.scale_y = scale_x, scale_y
        self.gains = gains
        # A diagonal colour transform (one pass, saturating) is ~3x faster than cv2.multiply.
        self.work = cv2.transform(work, np.diag(gains).astype(np.float32)) if params.correct_illuminant else work
        self.offset = offset
        self._memo: dict = {}

    def zoom(self, x0: int, y0: int, x1: int, y1: int) -> "Scene":
        """A closer look at a region of a photo analysed reduced: its original pixels as a
        scene of their own at full resolution, corrected with this scene's illuminant gains
        (the photo's, not the region's), whose boxes map back to this photo's pixels
        (:attr:`offset`). Only :meth:`box_to_original` maps its coordinates back; its
        ``original`` and ``original_size`` are still the whole photo's.

        Parameters
        ----------
        x0, y0, x1, y1 : int
            The region, original pixels (``[y0:y1, x0:x1]``), clipped to the photo.

        Returns
        -------
        Scene

        Raises
        ------
        ValueError
            When no pixel of the photo lies in the region.

        Examples
        --------
        >>> scene = Scene(np.zeros((960, 1280, 3), np.uint8))
        >>> closer = scene.zoom(100, 50, 164, 114)
        >>> closer.shape, closer.box_to_original(0, 0, 8, 8)
        ((64, 64), [100, 50, 8, 8])
        """
        width, height = self.original_size
        x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), width), min(int(y1), height)
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"zoom region holds no pixel of the {width}x{height} photo")
        out = object.__new__(Scene)
        out._fill(self.original, np.ascontiguousarray(self.original[y0:y1, x0:x1]), 1.0, 1.0, self.gains, (x0, y0), self.params)
        return out

    def memo(self, key, compute):
        """Compute ``compute()`` once per scene and ``key`` (a hashable), then reuse it.

        Lets detectors share intermediate findings (the seal tape tells where the tube is)
        without running twice.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def shape(self) -> tuple[int, int]:
        """``(h, w)`` of the working image."""
        return self.work.shape[:2]

    @cached_property
    def lab(self) -> np.ndarray:
        """8-bit OpenCV Lab of the working image, ``(h, w, 3) uint8``."""
        return rgb_to_lab_u8(self.work)

    @cached_property
    def lightness(self) -> np.ndarray:
        """8-bit lightness channel (``L* * 255/100``), ``(h, w) uint8``."""
        return np.ascontiguousarray(self.lab[..., 0])

    @cached_property
    def ab(self) -> np.ndarray:
        """Flat ``(a, b)`` table index of every pixel, ``(h, w) uint16``."""
        return ab_index(self.lab)

    @cached_property
    def exposure(self) -> dict[str, float]:
        """Fractions of clipped-bright and crushed-dark pixels, and the median L*."""
        light = self.lightness
        hist = cv2.calcHist([light], [0], None, [256], [0, 256]).ravel()
        total = float(hist.sum())
        cdf = np.cumsum(hist) / total
        return {
            "overexposed_fraction": float(hist[int(97 * L_SCALE):].sum() / total),
            "underexposed_fraction": float(hist[: int(4 * L_SCALE) + 1].sum() / total),
            "median_lightness": float(np.searchsorted(cdf, 0.5) / L_SCALE),
        }

    def box_to_original(self, x: float, y: float, w: float, h: float) -> list[int]:
        """Map a working-image box to original pixels, clipped to the photo."""
        width, height = self.original_size
        ox, oy = self.offset
        x0 = ox + int(math.floor(x * self.scale_x))
        y0 = oy + int(math.floor(y * self.scale_y))
        x1 = ox + int(math.ceil((x + w) * self.scale_x))
        y1 = oy + int(math.ceil((y + h) * self.scale_y))
        x0, y0 = min(max(x0, 0), width - 1), min(max(y0, 0), height - 1)
        x1, y1 = min(max(x1, x0 + 1), width), min(max(y1, y0 + 1), height)
        return [x0, y0, x1 - x0, y1 - y0]

    @property
    def working_pixel_size(self) -> float:
        """Original pixels per working pixel (geometric mean of both axes)."""
        return math.sqrt(self.scale_x * self.scale_y)


def normalise(rgb: np.ndarray, params: NormaliseParams = NormaliseParams()) -> Scene:
    """Build the :class:`Scene` for a photo (see :class:`Scene`)."""
    return Scene(rgb, params)
