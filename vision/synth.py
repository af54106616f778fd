"""Procedural scene renderer and social-media degrader for synthetic test photos.

This module draws photo-like synthetic scenes of TOW-family anti-tank missile
launchers (Iranian-made *Toofan* and US-made BGM-71), empty scenes and hard
negatives (vegetation, road lines, hazard stripes, green tarpaulins, yellow
signs, yellow flowers, olive-drab vehicles, camera tripods), together with
exact ground truth for every visual cue, and it simulates the damage a photo
suffers when it is reposted on social media (downscaling, blur, noise, colour
cast, JPEG with 4:2:0 chroma subsampling, recompression).

Everything is vectorised numpy + OpenCV and deterministic from an integer seed
(``np.random.default_rng(seed)``).  Colours are sampled in CIELAB / LCh and
converted to sRGB; shading is computed in linear light.

Image convention everywhere: RGB, ``(H, W, 3)``, ``uint8``.  BGR only appears
inside the OpenCV encode/decode calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import cv2
import numpy as np

__all__ = [
    "KINDS",
    "LAUNCHER_KINDS",
    "HARD_NEGATIVE_KINDS",
    "SyntheticScene",
    "render_scene",
    "degrade",
    "downscale",
    "colour_cast",
    "jpeg_roundtrip",
    "jpeg_bytes",
    "decode_jpeg",
    "blur",
    "add_noise",
]

#: Every scene kind :func:`render_scene` can draw.
KINDS: tuple[str, ...] = (
    "toofan",
    "us",
    "empty",
    "vegetation",
    "road_lines",
    "hazard_stripes",
    "green_tarp",
    "yellow_sign",
    "yellow_flowers",
    "olive_vehicle",
    "camera_tripod",
)
#: Kinds that contain a TOW-family launcher.
LAUNCHER_KINDS: tuple[str, ...] = ("toofan", "us")
#: Kinds that contain no launcher but look like one of the cues.
HARD_NEGATIVE_KINDS: tuple[str, ...] = KINDS[3:]

Box = list  # [x, y, w, h] ints


@dataclass(frozen=True)
class SyntheticScene:
    """A rendered scene and its ground truth.

    Attributes
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` ``uint8`` RGB image.
    truth : dict
        Ground truth, JSON-serialisable.  Keys (always all present):
        ``kind``, ``toofan``, ``launcher``, ``green_seal_tape``, ``tape_bbox``,
        ``yellow_bands``, ``band_groups``, ``band_bboxes``, ``cover``,
        ``tube_bbox``, ``serial``, ``serial_bbox``.  Boxes are
        ``[x, y, w, h]`` in the image's pixels.
    """

    image: np.ndarray
    truth: dict


# ----------------------------------------------------------------------------
# Colour science (CIELAB D65 <-> linear sRGB)
# ----------------------------------------------------------------------------
_M_XYZ2RGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])
_S2L_LUT = np.where(
    np.arange(256) / 255.0 <= 0.04045,
    np.arange(256) / 255.0 / 12.92,
    ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4,
).astype(np.float32)
_L2S_N = 16384
_L2S_LUT = np.clip(
    np.round(
        255.0
        * np.where(
            np.linspace(0, 1, _L2S_N) <= 0.0031308,
            np.linspace(0, 1, _L2S_N) * 12.92,
            1.055 * np.linspace(0, 1, _L2S_N) ** (1 / 2.4) - 0.055,
        )
    ),
    0,
    255,
).astype(np.uint8)


def _lab_to_linear(lab: np.ndarray) -> np.ndarray:
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    d = 6.0 / 29.0

    def finv(t: np.ndarray) -> np.ndarray:
        return np.where(t > d, t**3, 3 * d * d * (t - 4.0 / 29.0))

    xyz = np.stack([finv(fx) * _WHITE[0], finv(fy), finv(fz) * _WHITE[2]], axis=-1)
    return xyz @ _M_XYZ2RGB.T


def _lch_gamut(L: float, C: float, h: float) -> tuple[np.ndarray, float]:
    """Linear-sRGB colour of an LCh(ab) colour with chroma reduced into the
    sRGB gamut; also returns the chroma actually used."""
    hr = math.radians(h)
    cs = C * np.linspace(1.0, 0.0, 61)
    lab = np.stack([np.full_like(cs, L), cs * math.cos(hr), cs * math.sin(hr)], axis=-1)
    rgb = _lab_to_linear(lab)
    ok = np.all((rgb >= -1e-4) & (rgb <= 1.0 + 1e-4), axis=-1)
    i = int(np.argmax(ok)) if ok.any() else len(cs) - 1
    return np.clip(rgb[i], 0.0, 1.0).astype(np.float32), float(cs[i])


def _lch_to_linear(L: float, C: float, h: float) -> np.ndarray:
    """Linear-sRGB colour of an LCh(ab) colour, reducing chroma into gamut."""
    return _lch_gamut(L, C, h)[0]


def _lch(rng: np.random.Generator, L: Sequence[float], C: Sequence[float], h: Sequence[float]) -> np.ndarray:
    """Sample a colour uniformly in L*, C*, hue ranges; return linear RGB.

    (L, h) pairs whose sRGB gamut cannot reach the minimum chroma are
    rejected and re-drawn, so the colour stays inside all three ranges."""
    for _ in range(24):
        Lv, Cv, hv = rng.uniform(*L), rng.uniform(*C), rng.uniform(*h) % 360.0
        col, c_used = _lch_gamut(Lv, Cv, hv)
        if c_used >= C[0] - 0.5:
            return col
    return col


def _srgb8(col: np.ndarray) -> tuple[int, int, int]:
    """Linear RGB (3,) -> sRGB 8-bit tuple (for cv2 drawing)."""
    c = np.clip(np.asarray(col, dtype=np.float64), 0, 1)
    s = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    return tuple(int(round(v * 255)) for v in s)  # type: ignore[return-value]


def _srgb8_many(cols: np.ndarray) -> list[tuple[int, int, int]]:
    """Vectorised :func:`_srgb8` for an (N, 3) array of linear colours."""
    c = np.clip(np.asarray(cols, dtype=np.float64), 0, 1)
    s = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    return [tuple(int(v) for v in row) for row in np.rint(s * 255).astype(np.int64)]


def _palette(rng: np.random.Generator, n: int, L: Sequence[float], C: Sequence[float], h: Sequence[float]) -> np.ndarray:
    """``n`` colours sampled with :func:`_lch` as an (n, 3) array."""
    return np.stack([_lch(rng, L, C, h) for _ in range(n)])


def _to_srgb8_img(lin: np.ndarray) -> np.ndarray:
    idx = lin * np.float32(_L2S_N - 1)
    idx += np.float32(0.5)
    np.clip(idx, 0, _L2S_N - 1, out=idx)
    return _L2S_LUT[idx.astype(np.int32)]


def _to_linear_img(img8: np.ndarray) -> np.ndarray:
    return _S2L_LUT[img8]


# Palettes (L*, C*, hue ranges).
_COVER_TOOFAN = ((20, 40), (12, 30), (130, 170))
_COVER_OLIVE = ((30, 48), (12, 28), (85, 105))
_COVER_TAN = ((55, 75), (15, 30), (70, 85))
_TAPE_GREEN = ((50, 80), (45, 80), (125, 155))
_BAND_YELLOW = ((65, 90), (55, 95), (75, 100))
_LEG_PALETTES = (
    ((15, 35), (0, 5), (0, 360)),  # dark grey
    ((6, 15), (0, 4), (0, 360)),  # black
    ((20, 35), (8, 20), (120, 160)),  # dark green
    ((50, 68), (12, 25), (70, 85)),  # tan
)
_DARK_GREY = ((10, 32), (0, 5), (0, 360))


# ----------------------------------------------------------------------------
# Noise
# ----------------------------------------------------------------------------
def _value_noise(rng: np.random.Generator, H: int, W: int, cell: float) -> np.ndarray:
    """Smooth noise with feature size ~``cell`` px, zero mean, unit std."""
    cell = max(float(cell), 1.5)
    gh, gw = int(H / cell) + 4, int(W / cell) + 4
    g = rng.standard_normal((gh, gw)).astype(np.float32)
    big = cv2.resize(g, (int(math.ceil(gw * cell)), int(math.ceil(gh * cell))), interpolation=cv2.INTER_CUBIC)
    oy = int(rng.integers(0, max(1, big.shape[0] - H)))
    ox = int(rng.integers(0, max(1, big.shape[1] - W)))
    n = big[oy : oy + H, ox : ox + W]
    s = float(n.std()) or 1.0
    return ((n - n.mean()) / s).astype(np.float32)


def _fractal(rng: np.random.Generator, H: int, W: int, cell: float, octaves: int = 3, gain: float = 0.5) -> np.ndarray:
    """Fractal (multi-octave) noise, zero mean, unit std.

    Built at a reduced resolution (the finest octave still spans >= 2 px)
    and upsampled once, which is several times faster at full HD."""
    f = max(1.0, min(8.0, cell / 2 ** (octaves - 1) / 2.0))
    h, w = int(math.ceil(H / f)) + 1, int(math.ceil(W / f)) + 1
    acc = np.zeros((h, w), np.float32)
    amp = 1.0
    c = cell / f
    for _ in range(octaves):
        acc += amp * _value_noise(rng, h, w, c)
        c /= 2.0
        amp *= gain
    acc = (acc - acc.mean()) / (float(acc.std()) or 1.0)
    if f > 1.0:
        acc = cv2.resize(acc, (int(math.ceil(w * f)), int(math.ceil(h * f))), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(acc[:H, :W])


def _noise1d(rng: np.random.Generator, n: int, cell: float) -> np.ndarray:
    k = int(n / max(cell, 1.0)) + 4
    pts = rng.standard_normal(k)
    x = np.linspace(1, k - 2, n)
    out = np.interp(x, np.arange(k), pts)
    out = cv2.GaussianBlur(out.reshape(1, -1).astype(np.float32), (0, 0), max(cell / 3, 0.5)).ravel()
    s = float(out.std()) or 1.0
    return (out - out.mean()) / s


# ----------------------------------------------------------------------------
# Canvas (linear-light float image + visibility label map)
# ----------------------------------------------------------------------------
Roi = tuple  # (y0, y1, x0, x1)


def _roi(pts: np.ndarray, pad: float, W: int, H: int) -> Roi | None:
    p = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    x0 = max(0, int(math.floor(p[:, 0].min() - pad)))
    x1 = min(W, int(math.ceil(p[:, 0].max() + pad)) + 1)
    y0 = max(0, int(math.floor(p[:, 1].min() - pad)))
    y1 = min(H, int(math.ceil(p[:, 1].max() + pad)) + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    return (y0, y1, x0, x1)


class _Canvas:
    """Linear-light RGB float canvas with a label map for visibility truth."""

    def __init__(self, W: int, H: int, rng: np.random.Generator):
        self.W, self.H = W, H
        self.img = np.zeros((H, W, 3), np.float32)
        self.label = np.zeros((H, W), np.int16)
        self._next = 1
        # Texture fields are padded by P px: every tex() call reads them at a
        # different offset so that overlapping surfaces get uncorrelated
        # texture (shared texture makes objects look transparent).
        P = self._pad = 192
        fine = rng.standard_normal((H + P, W + P), dtype=np.float32)
        self._fine = cv2.GaussianBlur(fine, (0, 0), 0.7)
        self._fine /= float(self._fine.std()) or 1.0
        self._med = _fractal(rng, H + P, W + P, max(W, H) / 70.0, 3)
        self._coarse = _fractal(rng, H + P, W + P, max(W, H) / 8.0, 3)
        self.fine = self._fine[:H, :W]
        self.med = self._med[:H, :W]
        self.coarse = self._coarse[:H, :W]
        self._calls = 0

    def new_label(self) -> int:
        lab = self._next
        self._next += 1
        return lab

    def tex(self, roi: Roi, fine: float, med: float, coarse: float = 0.0) -> np.ndarray:
        y0, y1, x0, x1 = roi
        self._calls += 1
        k = self._calls
        oy, ox = (k * 71) % self._pad, (k * 113 + 37) % self._pad
        sl = (slice(y0 + oy, y1 + oy), slice(x0 + ox, x1 + ox))
        t = 1.0 + fine * self._fine[sl] + med * self._med[sl]
        if coarse:
            t = t + coarse * self._coarse[sl]
        return np.maximum(t, 0.05)

    def grid(self, roi: Roi) -> tuple[np.ndarray, np.ndarray]:
        y0, y1, x0, x1 = roi
        xs = np.arange(x0, x1, dtype=np.float32)
        ys = np.arange(y0, y1, dtype=np.float32)
        return np.meshgrid(xs, ys)

    def put(self, roi: Roi, alpha: np.ndarray, colour: np.ndarray, label: int | None = 0) -> None:
        """Alpha-composite ``colour`` over the canvas in ``roi``.

        ``label`` is written into the label map where ``alpha > 0.5``;
        ``None`` leaves the label map untouched (surface details).
        """
        y0, y1, x0, x1 = roi
        sub = self.img[y0:y1, x0:x1]
        a = alpha[..., None].astype(np.float32)
        col = np.asarray(colour, dtype=np.float32)
        sub -= a * (sub - col)
        if label is not None:
            lab = self.label[y0:y1, x0:x1]
            lab[alpha > 0.5] = label

    def poly_alpha(self, polys: Sequence[np.ndarray], pad: float = 2.0) -> tuple[Roi | None, np.ndarray | None]:
        if len(polys) == 0:
            return None, None
        allp = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polys])
        roi = _roi(allp, pad, self.W, self.H)
        if roi is None:
            return None, None
        y0, y1, x0, x1 = roi
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        arrs = [np.round((np.asarray(p, dtype=np.float64).reshape(-1, 2) - [x0, y0]) * 16).astype(np.int32) for p in polys]
        cv2.fillPoly(m, arrs, 255, cv2.LINE_AA, 4)
        return roi, m.astype(np.float32) / 255.0

    def count(self, label: int, roi: Roi | None = None) -> int:
        if roi is None:
            return int(np.count_nonzero(self.label == label))
        y0, y1, x0, x1 = roi
        return int(np.count_nonzero(self.label[y0:y1, x0:x1] == label))

    def bbox(self, labels: Sequence[int], roi: Roi | None = None) -> Box | None:
        if roi is None:
            roi = (0, self.H, 0, self.W)
        y0, y1, x0, x1 = roi
        m = np.isin(self.label[y0:y1, x0:x1], list(labels))
        if not m.any():
            return None
        ys = np.flatnonzero(m.any(axis=1))
        xs = np.flatnonzero(m.any(axis=0))
        return [int(x0 + xs[0]), int(y0 + ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)]


def _union_roi(a: Roi | None, b: Roi | None) -> Roi | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


# ----------------------------------------------------------------------------
# Lighting
# ----------------------------------------------------------------------------
@dataclass
class _Light:
    l: np.ndarray  # unit vector towards the light (x right, y down, z to viewer)
    h: np.ndarray  # Blinn half vector
    ambient: float
    diffuse: float
    spec: float
    shininess: float
    shadow_vec: np.ndarray  # image-plane shadow offset per pixel of height
    shadow_strength: float
    shadow_blur: float
    exposure: float
    tint: np.ndarray  # linear RGB gains of the illuminant

    def flat(self, normal: Sequence[float]) -> float:
        n = np.asarray(normal, dtype=np.float64)
        n = n / np.linalg.norm(n)
        return float(self.ambient + self.diffuse * max(0.0, float(n @ self.l)))

    def cyl(self, s: np.ndarray, n2: np.ndarray, ao: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
        """Shade a cylinder across its width: ``s`` in [-1, 1] along ``n2``."""
        s = np.clip(s, -1.0, 1.0)
        nz = np.sqrt(np.maximum(1.0 - s * s, 0.0))
        lx = float(n2 @ self.l[:2])
        ld = s * lx + nz * float(self.l[2])
        hd = s * float(n2 @ self.h[:2]) + nz * float(self.h[2])
        # normalised so that the best-lit line of the cylinder shows ~1.05x
        # its paint colour: the sampled colour ranges describe lit paint
        peak = self.ambient + self.diffuse * math.hypot(lx, float(self.l[2]))
        shade = (self.ambient + self.diffuse * np.maximum(ld, 0.0)) * (1.05 / peak) * (1.0 - ao * (1.0 - np.sqrt(nz)))
        spec = np.maximum(hd, 0.0) ** self.shininess
        return shade.astype(np.float32), spec.astype(np.float32)


def _random_light(rng: np.random.Generator) -> _Light:
    overcast = rng.random() < 0.25
    if rng.random() < 0.85:
        az = rng.uniform(math.radians(195), math.radians(345))  # from above
    else:
        az = rng.uniform(0, 2 * math.pi)
    lz = rng.uniform(0.35, 0.9)
    lxy = math.sqrt(1 - lz * lz)
    l = np.array([lxy * math.cos(az), lxy * math.sin(az), lz])
    h = l + np.array([0.0, 0.0, 1.0])
    h /= np.linalg.norm(h)
    if overcast:
        ambient, diffuse = rng.uniform(0.5, 0.7), rng.uniform(0.3, 0.45)
        spec, shadow, sblur = rng.uniform(0.02, 0.08), rng.uniform(0.1, 0.25), rng.uniform(4, 10)
    else:
        ambient, diffuse = rng.uniform(0.25, 0.42), rng.uniform(0.7, 0.95)
        spec, shadow, sblur = rng.uniform(0.08, 0.4), rng.uniform(0.35, 0.62), rng.uniform(0.8, 3)
    sx = -math.cos(az)
    sv = np.array([sx * rng.uniform(0.4, 1.1), rng.uniform(0.08, 0.4)])
    t = rng.uniform(-1, 1)
    tint = np.array([1 + 0.08 * t, 1.0, 1 - 0.11 * t], np.float32)
    return _Light(
        l=l,
        h=h,
        ambient=float(ambient),
        diffuse=float(diffuse),
        spec=float(spec),
        shininess=float(rng.uniform(18, 80)),
        shadow_vec=sv,
        shadow_strength=float(shadow),
        shadow_blur=float(sblur),
        exposure=float(rng.uniform(0.8, 1.2)),
        tint=tint,
    )


# ----------------------------------------------------------------------------
# Primitives
# ----------------------------------------------------------------------------
@dataclass
class _Cyl:
    """A cylinder seen side-on: axis from ``p0`` along unit ``a``; ``n`` is the
    perpendicular pointing to the lower half of the image."""

    p0: np.ndarray
    a: np.ndarray
    n: np.ndarray
    L: float
    r: float

    @staticmethod
    def between(p0: Sequence[float], p1: Sequence[float], r: float) -> "_Cyl":
        p0 = np.asarray(p0, dtype=np.float64)
        p1 = np.asarray(p1, dtype=np.float64)
        d = p1 - p0
        L = float(np.linalg.norm(d)) or 1e-6
        a = d / L
        n = np.array([-a[1], a[0]])
        if n[1] < 0 or (abs(n[1]) < 1e-9 and n[0] < 0):
            n = -n
        return _Cyl(p0, a, n, L, float(r))

    def pt(self, u: float, v: float) -> np.ndarray:
        return self.p0 + u * self.a + v * self.n

    def quad(self, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
        return np.array([self.pt(u0, v0), self.pt(u1, v0), self.pt(u1, v1), self.pt(u0, v1)])

    def uv(self, cv: _Canvas, roi: Roi) -> tuple[np.ndarray, np.ndarray]:
        X, Y = cv.grid(roi)
        dx = X - np.float32(self.p0[0])
        dy = Y - np.float32(self.p0[1])
        u = dx * np.float32(self.a[0]) + dy * np.float32(self.a[1])
        v = dx * np.float32(self.n[0]) + dy * np.float32(self.n[1])
        return u, v


def _cyl_section(
    cv: _Canvas,
    cyl: _Cyl,
    u0: float,
    u1: float,
    colour: np.ndarray,
    light: _Light,
    *,
    label: int | None = 0,
    r_scale: float = 1.0,
    rc: float = 0.0,
    tex: tuple[float, float] = (0.03, 0.04),
    spec: float | None = None,
    ao: float = 0.35,
    alpha_mul: float | np.ndarray = 1.0,
) -> tuple[Roi | None, float]:
    """Draw section ``[u0, u1]`` of a cylinder with cylinder shading.

    Returns the ROI and the covered area in pixels (sum of alpha)."""
    r = cyl.r * r_scale
    roi = _roi(cyl.quad(u0, u1, -r, r), 2.5, cv.W, cv.H)
    if roi is None:
        return None, 0.0
    u, v = cyl.uv(cv, roi)
    hl = max((u1 - u0) / 2.0, 1e-3)
    rc = float(min(rc, hl, r))
    qx = np.abs(u - np.float32(u0 + hl)) - np.float32(hl - rc)
    qy = np.abs(v) - np.float32(r - rc)
    sdf = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) - rc
    alpha = np.clip(0.5 - sdf, 0.0, 1.0) * alpha_mul
    shade, sp = light.cyl(v / np.float32(cyl.r), cyl.n, ao)
    t = cv.tex(roi, *tex)
    col = np.asarray(colour, np.float32) * (shade * t)[..., None]
    k = light.spec if spec is None else spec
    col = col + (k * sp)[..., None]
    cv.put(roi, alpha, col, label)
    return roi, float(alpha.sum())


def _fill_poly(
    cv: _Canvas,
    polys: Sequence[np.ndarray] | np.ndarray,
    colour: np.ndarray,
    *,
    label: int | None = 0,
    tex: tuple[float, float, float] = (0.03, 0.05, 0.0),
    shade: float = 1.0,
    grad: tuple[float, float, float] | None = None,
    alpha_mul: float = 1.0,
) -> Roi | None:
    """AA polygon fill with texture and an optional linear shading gradient.

    ``grad = (gx, gy, scale)``: multiplier ``1 + (gx*x + gy*y)/scale`` about
    the polygon's centre."""
    if isinstance(polys, np.ndarray) and polys.ndim == 2:
        polys = [polys]
    roi, alpha = cv.poly_alpha(polys)
    if roi is None:
        return None
    t = cv.tex(roi, *tex) * np.float32(shade)
    if grad is not None:
        X, Y = cv.grid(roi)
        c = np.concatenate([np.asarray(p).reshape(-1, 2) for p in polys]).mean(axis=0)
        t = t * np.clip(1.0 + (grad[0] * (X - c[0]) + grad[1] * (Y - c[1])) / grad[2], 0.2, 2.0)
    cv.put(roi, alpha * alpha_mul, np.asarray(colour, np.float32) * t[..., None], label)
    return roi


def _ellipse_pts(c: Sequence[float], ax: float, ay: float, ang: float = 0.0, n: int = 40, jitter: np.ndarray | None = None) -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    rr = 1.0 if jitter is None else jitter
    x = ax * np.cos(t) * rr
    y = ay * np.sin(t) * rr
    ca, sa = math.cos(ang), math.sin(ang)
    return np.stack([c[0] + x * ca - y * sa, c[1] + x * sa + y * ca], axis=1)


def _blob_pts(rng: np.random.Generator, c: Sequence[float], rx: float, ry: float, rough: float = 0.25, n: int = 48) -> np.ndarray:
    j = 1.0 + rough * _noise1d(rng, n, 5) * 0.5
    return _ellipse_pts(c, rx, ry, rng.uniform(0, math.pi), n, np.clip(j, 0.5, 1.6))


def _shadow(cv: _Canvas, light: _Light, polys: Sequence[np.ndarray], strength_mul: float = 1.0) -> None:
    """Darken the canvas under soft polygons (a cast shadow)."""
    roi, alpha = cv.poly_alpha(polys, pad=4 * light.shadow_blur + 4)
    if roi is None:
        return
    alpha = cv2.GaussianBlur(alpha, (0, 0), light.shadow_blur)
    y0, y1, x0, x1 = roi
    k = 1.0 - light.shadow_strength * strength_mul * alpha
    cv.img[y0:y1, x0:x1] *= k[..., None]


def _thick_line(p0: Sequence[float], p1: Sequence[float], w0: float, w1: float | None = None) -> np.ndarray:
    p0 = np.asarray(p0, float)
    p1 = np.asarray(p1, float)
    d = p1 - p0
    L = float(np.linalg.norm(d)) or 1e-6
    n = np.array([-d[1], d[0]]) / L
    w1 = w0 if w1 is None else w1
    return np.array([p0 + n * w0 / 2, p1 + n * w1 / 2, p1 - n * w1 / 2, p0 - n * w0 / 2])


class _Layer:
    """Premultiplied sRGB uint8 layer for many small anti-aliased cv2 shapes."""

    def __init__(self, H: int, W: int):
        self.rgb = np.zeros((H, W, 3), np.uint8)
        self.a = np.zeros((H, W), np.uint8)

    def ellipse(self, c: Sequence[float], axes: Sequence[float], ang_deg: float, col: tuple[int, int, int]) -> None:
        cc = (int(round(c[0] * 8)), int(round(c[1] * 8)))
        ax = (max(1, int(round(axes[0] * 8))), max(1, int(round(axes[1] * 8))))
        cv2.ellipse(self.rgb, cc, ax, float(ang_deg), 0, 360, col, -1, cv2.LINE_AA, 3)
        cv2.ellipse(self.a, cc, ax, float(ang_deg), 0, 360, 255, -1, cv2.LINE_AA, 3)

    def ellipses(
        self,
        xs: np.ndarray,
        ys: np.ndarray,
        ax: np.ndarray,
        ay: np.ndarray,
        ang: np.ndarray,
        cols: list[tuple[int, int, int]],
        with_alpha: np.ndarray | None = None,
    ) -> None:
        """Draw many ellipses (vectorised coordinate handling)."""
        n = len(cols)
        cx = np.rint(np.asarray(xs) * 8).astype(np.int64).tolist()
        cy = np.rint(np.asarray(ys) * 8).astype(np.int64).tolist()
        a0 = np.maximum(1, np.rint(np.asarray(ax) * 8)).astype(np.int64).tolist()
        a1 = np.maximum(1, np.rint(np.asarray(ay) * 8)).astype(np.int64).tolist()
        an = np.asarray(ang, dtype=np.float64).tolist()
        wa = [True] * n if with_alpha is None else np.asarray(with_alpha).tolist()
        rgb, alpha, ell, aa = self.rgb, self.a, cv2.ellipse, cv2.LINE_AA
        for i in range(n):
            ell(rgb, (cx[i], cy[i]), (a0[i], a1[i]), an[i], 0, 360, cols[i], -1, aa, 3)
            if wa[i]:
                ell(alpha, (cx[i], cy[i]), (a0[i], a1[i]), an[i], 0, 360, 255, -1, aa, 3)

    def poly(self, pts: np.ndarray, col: tuple[int, int, int]) -> None:
        p = [np.round(np.asarray(pts).reshape(-1, 2) * 16).astype(np.int32)]
        cv2.fillPoly(self.rgb, p, col, cv2.LINE_AA, 4)
        cv2.fillPoly(self.a, p, 255, cv2.LINE_AA, 4)

    def line(self, pts: np.ndarray, thick: float, col: tuple[int, int, int]) -> None:
        p = [np.round(np.asarray(pts).reshape(-1, 2) * 16).astype(np.int32)]
        t = max(1, int(round(thick)))
        cv2.polylines(self.rgb, p, False, col, t, cv2.LINE_AA, 4)
        cv2.polylines(self.a, p, False, 255, t, cv2.LINE_AA, 4)

    def flush(self, cv: _Canvas, tex: tuple[float, float, float] = (0.05, 0.06, 0.0), label: int | None = 0, blur: float = 0.0) -> None:
        x, y, w, h = cv2.boundingRect(self.a)
        if w == 0 or h == 0:
            return
        pad = int(3 * blur) + 1 if blur > 0 else 0
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(cv.W, x + w + pad), min(cv.H, y + h + pad)
        rgb = self.rgb[y0:y1, x0:x1]
        a8 = self.a[y0:y1, x0:x1]
        if blur > 0:
            rgb = cv2.GaussianBlur(rgb, (0, 0), blur)
            a8 = cv2.GaussianBlur(a8, (0, 0), blur)
        a = a8.astype(np.float32) / 255.0
        un = np.clip(rgb.astype(np.float32) * (255.0 / np.maximum(a8, 1)[..., None].astype(np.float32)), 0, 255).astype(np.uint8)
        col = _to_linear_img(un) * cv.tex((y0, y1, x0, x1), *tex)[..., None]
        cv.put((y0, y1, x0, x1), a, col, label)


def _varied(rng: np.random.Generator, col: np.ndarray, amount: float = 0.12) -> np.ndarray:
    return np.clip(col * rng.uniform(1 - amount, 1 + amount, 3).astype(np.float32) * rng.uniform(1 - amount, 1 + amount), 0, 1)


# ----------------------------------------------------------------------------
# Backgrounds
# ----------------------------------------------------------------------------
_BG_STYLES = ("sky_ground", "desert", "scrub", "dirt_rocks", "urban", "foliage")


def _sky_colours(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r = rng.random()
    if r < 0.45:  # blue
        top = _lch(rng, (55, 75), (15, 35), (225, 260))
        bot = _lch(rng, (78, 92), (4, 14), (215, 250))
    elif r < 0.75:  # overcast
        top = _lch(rng, (68, 85), (0, 5), (200, 260))
        bot = _lch(rng, (78, 93), (0, 4), (200, 260))
    else:  # hazy / dusty
        top = _lch(rng, (65, 82), (4, 14), (60, 95))
        bot = _lch(rng, (78, 92), (6, 16), (60, 90))
    return top, bot


def _ground_colour(rng: np.random.Generator, style: str) -> np.ndarray:
    if style == "desert":
        return _lch(rng, (58, 80), (12, 30), (65, 85))
    if style == "scrub":
        return _lch(rng, (45, 66), (10, 24), (60, 88))
    if style == "dirt_rocks":
        return _lch(rng, (32, 55), (8, 24), (50, 78))
    if style == "urban":
        return _lch(rng, (35, 62), (0, 6), (50, 100))
    if style == "foliage":
        return _lch(rng, (30, 50), (15, 35), (95, 130))
    r = rng.random()
    if r < 0.6:
        return _lch(rng, (38, 68), (8, 28), (55, 90))
    return _lch(rng, (32, 52), (14, 32), (90, 125))


def _paint_sky(cv: _Canvas, rng: np.random.Generator, y_end: float) -> None:
    top, bot = _sky_colours(rng)
    H = cv.H
    t = np.clip(np.arange(H, dtype=np.float32) / max(y_end, 1.0), 0, 1) ** rng.uniform(0.6, 1.6)
    col = top[None, :] * (1 - t[:, None]) + bot[None, :] * t[:, None]
    cv.img[:] = col[:, None, :]
    cloud = np.clip((cv.coarse + 0.6 * cv.med) * rng.uniform(0.2, 0.6) - rng.uniform(-0.2, 0.4), 0, 1)
    white = np.float32(rng.uniform(0.75, 1.0))
    k = (cloud * rng.uniform(0.3, 0.9))[..., None]
    cv.img *= 1 - k
    cv.img += k * white


def _paint_hills(cv: _Canvas, rng: np.random.Generator, y_h: float) -> None:
    W = cv.W
    ridge = y_h - np.abs(_noise1d(rng, W, W / rng.uniform(2, 8))) * rng.uniform(0.01, 0.08) * cv.H - rng.uniform(0, 0.02) * cv.H
    pts = np.concatenate([np.stack([np.arange(W), ridge], 1), [[W, y_h + 2], [0, y_h + 2]]])
    col = _lch(rng, (55, 80), (3, 14), (70, 240))
    _fill_poly(cv, pts, col, tex=(0.01, 0.05, 0.03))


def _paint_ground(cv: _Canvas, rng: np.random.Generator, y_h: float, style: str, tilt: float) -> np.ndarray:
    W, H = cv.W, cv.H
    base = _ground_colour(rng, style)
    y_l = y_h - tilt * W / 2
    y_r = y_h + tilt * W / 2
    pts = np.array([[-2, y_l], [W + 2, y_r], [W + 2, H + 2], [-2, H + 2]])
    roi, alpha = cv.poly_alpha([pts])
    if roi is None:
        return base
    y0, y1, x0, x1 = roi
    depth = np.clip((np.arange(y0, y1, dtype=np.float32) - y_h) / max(H - y_h, 1.0), 0, 1)[:, None]
    far = _varied(rng, base, 0.05) * np.float32(rng.uniform(1.0, 1.25))
    col = far[None, None, :] * (1 - depth[..., None]) + base[None, None, :] * depth[..., None]  # (h, 1, 3)
    t = cv.tex(roi, rng.uniform(0.05, 0.12), rng.uniform(0.06, 0.14), rng.uniform(0.05, 0.15))
    if style == "desert":
        X, Y = cv.grid(roi)
        ang = rng.uniform(0, math.pi)
        lam = rng.uniform(0.2, 0.5) * W
        dune = 1 + rng.uniform(0.05, 0.14) * np.sin(2 * math.pi * (X * math.cos(ang) + Y * math.sin(ang)) / lam + 2.5 * cv.coarse[y0:y1, x0:x1])
        lr = rng.uniform(6, 16) * (0.3 + depth)
        rip = 1 + rng.uniform(0.02, 0.06) * np.sin(2 * math.pi * (X * 0.3 + Y) / lr + 1.5 * cv.med[y0:y1, x0:x1])
        t = t * dune * rip
    cv.put(roi, alpha, col * t[..., None], 0)
    return base


def _paint_bushes(cv: _Canvas, rng: np.random.Generator, y_h: float, n: int, palette: str = "dry") -> None:
    layer = _Layer(cv.H, cv.W)
    if palette == "dry":
        pal = _palette(rng, 8, (22, 45), (6, 22), (70, 125))
    else:
        pal = _palette(rng, 8, (20, 55), (15, 55), (105, 145))
    for _ in range(n):
        y = rng.uniform(y_h, cv.H)
        s = np.clip((y - y_h) / max(cv.H - y_h, 1), 0.05, 1.0)
        R = rng.uniform(0.02, 0.07) * cv.W * s
        x = rng.uniform(0, cv.W)
        base = pal[int(rng.integers(0, len(pal)))]
        k = int(rng.integers(8, 30))
        dx, dy = rng.normal(0, R * 0.6, k), -np.abs(rng.normal(0, R * 0.5, k))
        lv = rng.uniform(0.6, 1.25, k) * np.where(dy < -R * 0.4, 1.15, 1.0)
        cols = _srgb8_many(base[None, :] * lv[:, None])
        ax = rng.uniform(0.15, 0.45, k) * R + 0.6
        ay = ax * rng.uniform(0.4, 1.0, k)
        ang = rng.uniform(0, 180, k)
        layer.ellipses(x + dx, y + dy, ax, ay, ang, cols)
    layer.flush(cv, (0.08, 0.1, 0.0))


def _paint_rocks(cv: _Canvas, rng: np.random.Generator, light: _Light, y_h: float, n: int) -> None:
    for _ in range(n):
        y = rng.uniform(y_h + 2, cv.H + 10)
        s = np.clip((y - y_h) / max(cv.H - y_h, 1), 0.05, 1.0)
        R = rng.uniform(0.008, 0.05) * cv.W * s + 1.0
        x = rng.uniform(-R, cv.W + R)
        pts = _blob_pts(rng, (x, y), R, R * rng.uniform(0.45, 0.8), 0.5, 24)
        col = _lch(rng, (30, 65), (2, 14), (40, 100))
        _shadow(cv, light, [pts + light.shadow_vec * R * 0.8], 0.8)
        g = light.l[:2] * 0.5
        _fill_poly(cv, pts, col, tex=(0.06, 0.12, 0.0), grad=(-g[0], -g[1], R * 1.2))


def _paint_wall(cv: _Canvas, rng: np.random.Generator, y_base: float) -> None:
    W = cv.W
    kind = rng.choice(["concrete", "brick", "block", "plaster"])
    if kind == "brick":
        base = _lch(rng, (32, 55), (15, 35), (25, 55))
    elif kind == "block":
        base = _lch(rng, (45, 72), (0, 8), (60, 100))
    else:
        base = _lch(rng, (50, 82), (0, 12), (55, 95))
    yb = int(min(cv.H, max(2, y_base)))
    roi = (0, yb, 0, W)
    t = cv.tex(roi, 0.06, rng.uniform(0.05, 0.15), rng.uniform(0.05, 0.2))
    # vertical streaks (weathering)
    streak = cv2.resize(rng.standard_normal((4, max(2, W // 12))).astype(np.float32), (W, yb), interpolation=cv2.INTER_CUBIC)
    t = t * (1 + rng.uniform(0.02, 0.08) * streak)
    cv.put(roi, np.ones((yb, W), np.float32), base * t[..., None], 0)
    layer = _Layer(cv.H, W)
    mort = _srgb8(base * rng.uniform(0.55, 0.8))
    if kind in ("brick", "block"):
        bh = rng.uniform(0.015, 0.04) * cv.H if kind == "brick" else rng.uniform(0.04, 0.09) * cv.H
        bw = bh * (rng.uniform(2.5, 3.5) if kind == "brick" else rng.uniform(1.8, 2.4))
        row = 0
        y = float(yb)
        while y > -bh:
            off = (row % 2) * bw / 2
            x = -off
            while x < W:
                c = _srgb8(np.clip(base * rng.uniform(0.8, 1.2), 0, 1))
                layer.poly(np.array([[x + 1, y - bh + 1], [x + bw - 1, y - bh + 1], [x + bw - 1, y - 1], [x + 1, y - 1]]), c)
                x += bw
            y -= bh
            row += 1
        # mortar shows as the darker base underneath
        cv.img[0:yb] *= np.float32(rng.uniform(0.6, 0.8))
    elif kind == "concrete":
        pw = rng.uniform(0.15, 0.4) * W
        x = rng.uniform(0, pw)
        while x < W:
            layer.line(np.array([[x, 0], [x, yb]]), max(1, W / 700), mort)
            x += pw
    layer.flush(cv, (0.05, 0.08, 0.0))
    # windows / doors
    for _ in range(int(rng.integers(0, 4))):
        ww = rng.uniform(0.05, 0.15) * W
        wh = rng.uniform(0.3, 1.2) * ww
        wx = rng.uniform(0, W - ww)
        wy = rng.uniform(0.02 * cv.H, max(0.03 * cv.H, yb - wh - 0.05 * cv.H))
        frame = _lch(rng, (20, 85), (0, 10), (0, 360))
        glass = _lch(rng, (8, 30), (0, 12), (180, 260))
        f = max(2.0, ww * 0.06)
        _fill_poly(cv, np.array([[wx - f, wy - f], [wx + ww + f, wy - f], [wx + ww + f, wy + wh + f], [wx - f, wy + wh + f]]), frame)
        _fill_poly(cv, np.array([[wx, wy], [wx + ww, wy], [wx + ww, wy + wh], [wx, wy + wh]]), glass, tex=(0.03, 0.1, 0.0), grad=(0.3, -0.3, ww))


def _paint_foliage(cv: _Canvas, rng: np.random.Generator, y0: float, y1: float, density: float = 1.0, bright_frac: float = 0.5, size: float = 1.0, blur: float = 0.0) -> None:
    """Dense leaves between rows y0..y1 (three depth layers)."""
    W = cv.W
    hh = max(1.0, y1 - y0)
    base = _lch(rng, (12, 28), (10, 30), (110, 150))
    roi = (int(max(0, y0)), int(min(cv.H, y1)), 0, W)
    if roi[1] > roi[0]:
        cv.put(roi, np.ones((roi[1] - roi[0], W), np.float32), base * cv.tex(roi, 0.1, 0.3, 0.3)[..., None], 0)
    for depth in range(3):
        layer = _Layer(cv.H, W)
        if depth == 0 and roi[1] > roi[0]:
            # the back layer is opaque over the base region: pre-fill it so
            # leaves inside need no alpha drawing (half the cv2 calls)
            layer.rgb[roi[0] : roi[1]] = _srgb8(base)
            layer.a[roi[0] : roi[1]] = 255
        sz = size * (0.006 + 0.006 * depth) * W * rng.uniform(0.7, 1.4)
        n = int(density * W * hh / (sz * sz) * 0.55)
        n = min(n, 9000)
        ncl = max(3, n // 60)
        cxs = rng.uniform(0, W, ncl)
        cys = rng.uniform(y0, y1, ncl)
        which = rng.integers(0, ncl, n)
        xs = cxs[which] + rng.normal(0, 0.06 * W, n)
        ys = cys[which] + rng.normal(0, 0.06 * W, n)
        hue_shift = rng.uniform(-10, 10)
        bright = [_lch(rng, (45, 78), (35, 75), (105 + hue_shift, 145 + hue_shift)) for _ in range(6)]
        dark = [_lch(rng, (15, 38), (10, 38), (105 + hue_shift, 160 + hue_shift)) for _ in range(6)]
        lv = rng.uniform(0.55, 1.3, n) * (0.75 + 0.15 * depth)
        isb = rng.random(n) < bright_frac
        pick = rng.integers(0, 6, n)
        axs = sz * rng.uniform(0.5, 1.5, n)
        ays = axs * rng.uniform(0.25, 0.6, n)
        angs = rng.uniform(0, 180, n)
        pal = np.stack([np.stack(dark), np.stack(bright)])
        cols = _srgb8_many(pal[isb.astype(int), pick] * lv[:, None])
        inside = (ys - axs > roi[0] + 1) & (ys + axs < roi[1] - 1) if depth == 0 else None
        layer.ellipses(xs, ys, axs, ays, angs, cols, None if inside is None else ~inside)
        layer.flush(cv, (0.06, 0.08, 0.0), blur=blur * (2 - depth) / 2)


def _paint_grass(cv: _Canvas, rng: np.random.Generator, y_top: float, n: int, palette: str = "green") -> None:
    layer = _Layer(cv.H, cv.W)
    if palette == "green":
        pal = _palette(rng, 10, (28, 70), (20, 60), (100, 135))
    else:
        pal = _palette(rng, 10, (45, 75), (10, 30), (70, 95))
    ys = rng.uniform(y_top, cv.H + 5, n)
    ss = np.clip((ys - y_top) / max(cv.H - y_top, 1), 0.05, 1.0)
    Ls = rng.uniform(0.01, 0.06, n) * cv.H * ss + 2
    xs = rng.uniform(0, cv.W, n)
    bends = rng.normal(0, 0.4, n)
    cols = _srgb8_many(pal[rng.integers(0, len(pal), n)] * rng.uniform(0.8, 1.2, n)[:, None])
    thick = np.maximum(1.0, 2.0 * ss * cv.W / 1000)
    for i in range(n):
        x, y, L, bend = xs[i], ys[i], Ls[i], bends[i]
        pts = np.array([[x, y], [x + bend * L * 0.3, y - L * 0.5], [x + bend * L, y - L]])
        layer.line(pts, thick[i], cols[i])
    layer.flush(cv, (0.04, 0.04, 0.0))


def _paint_person(cv: _Canvas, rng: np.random.Generator, light: _Light, x: float, y_foot: float, h: float, label: int | None = 0, crouch: bool = False, shadow: bool = True) -> np.ndarray:
    """Draw a person-shaped figure; returns its outline points (for checks)."""
    r = rng.random()
    if r < 0.35:
        cloth = _lch(rng, (35, 58), (10, 25), (60, 95))  # khaki / multicam-ish
    elif r < 0.6:
        cloth = _lch(rng, (22, 40), (8, 22), (85, 130))  # olive / green
    elif r < 0.85:
        cloth = _lch(rng, (8, 25), (0, 8), (0, 360))  # black / dark
    else:
        cloth = _lch(rng, (15, 30), (5, 15), (230, 270))  # dark blue
    trousers = _varied(rng, cloth, 0.15)
    skin = _lch(rng, (30, 60), (8, 22), (45, 70))
    helmet = rng.random() < 0.7
    head_c = _lch(rng, (25, 50), (5, 20), (70, 110)) if helmet else skin
    sway = rng.uniform(-0.06, 0.06) * h
    hip_y = y_foot - (0.32 if crouch else 0.48) * h
    sh_y = hip_y - 0.32 * h
    parts = []
    # legs
    for side in (-1, 1):
        fx = x + side * rng.uniform(0.03, 0.1) * h
        hx = x + side * 0.05 * h
        if crouch:
            knee = (x + side * 0.12 * h, hip_y + 0.12 * h)
            parts.append((_thick_line((hx, hip_y), knee, 0.1 * h), trousers))
            parts.append((_thick_line(knee, (fx, y_foot), 0.09 * h, 0.08 * h), trousers))
        else:
            parts.append((_thick_line((hx, hip_y), (fx, y_foot), 0.1 * h, 0.08 * h), trousers))
    torso = np.array([[x - 0.13 * h + sway, sh_y], [x + 0.13 * h + sway, sh_y], [x + 0.1 * h, hip_y + 0.02 * h], [x - 0.1 * h, hip_y + 0.02 * h]])
    parts.append((torso, cloth))
    for side in (-1, 1):
        s0 = (x + side * 0.12 * h + sway, sh_y + 0.03 * h)
        hand = (x + side * rng.uniform(0.1, 0.25) * h, sh_y + rng.uniform(0.2, 0.33) * h)
        parts.append((_thick_line(s0, hand, 0.075 * h, 0.06 * h), _varied(rng, cloth, 0.05)))
    head_c_pt = (x + sway * 1.1, sh_y - 0.075 * h)
    parts.append((_ellipse_pts(head_c_pt, 0.06 * h, 0.075 * h), head_c))
    if helmet:
        parts.append((_ellipse_pts((head_c_pt[0], head_c_pt[1] - 0.02 * h), 0.075 * h, 0.06 * h), head_c))
    allpts = np.concatenate([p for p, _ in parts])
    if shadow:
        foot = np.array([x, y_foot])
        sh = [foot + (np.asarray(p) - foot) * [1, 0.0] + light.shadow_vec * (y_foot - np.asarray(p)[:, 1:2]) for p, _ in parts]
        _shadow(cv, light, sh, 0.9)
    g = light.l[:2]
    for p, c in parts:
        _fill_poly(cv, p, c, label=label, tex=(0.05, 0.12, 0.0), grad=(-g[0] * 0.6, -g[1] * 0.6, h * 0.15))
    return allpts


def _paint_vehicle(cv: _Canvas, rng: np.random.Generator, light: _Light, x: float, y_ground: float, length: float, colour: np.ndarray | None = None, label: int | None = 0) -> np.ndarray:
    """A civilian/pickup/truck side silhouette; returns its outline."""
    if colour is None:
        r = rng.random()
        if r < 0.3:
            colour = _lch(rng, (80, 95), (0, 5), (0, 360))
        elif r < 0.55:
            colour = _lch(rng, (40, 70), (0, 6), (0, 360))
        elif r < 0.75:
            colour = _lch(rng, (8, 22), (0, 5), (0, 360))
        elif r < 0.9:
            colour = _lch(rng, (55, 72), (10, 25), (60, 85))
        else:
            colour = _lch(rng, (30, 50), (30, 55), (20, 40) if rng.random() < 0.5 else (240, 280))
    L = length
    hb = L * rng.uniform(0.22, 0.3)
    wheel_r = L * rng.uniform(0.08, 0.11)
    yb = y_ground - wheel_r * 0.9
    body = np.array([[x, yb], [x + L, yb], [x + L, yb - hb * 0.55], [x + L * 0.97, yb - hb * 0.62], [x, yb - hb * 0.62]])
    cab_x0 = x + L * (rng.uniform(0.05, 0.2) if rng.random() < 0.5 else rng.uniform(0.45, 0.6))
    cab_w = L * rng.uniform(0.3, 0.42)
    cab = np.array([[cab_x0, yb - hb * 0.6], [cab_x0 + cab_w, yb - hb * 0.6], [cab_x0 + cab_w * 0.85, yb - hb], [cab_x0 + cab_w * 0.15, yb - hb]])
    win = np.array([[cab_x0 + cab_w * 0.12, yb - hb * 0.64], [cab_x0 + cab_w * 0.88, yb - hb * 0.64], [cab_x0 + cab_w * 0.78, yb - hb * 0.94], [cab_x0 + cab_w * 0.22, yb - hb * 0.94]])
    _shadow(cv, light, [np.array([[x - 0.05 * L, y_ground - 2], [x + 1.05 * L, y_ground - 2], [x + 1.05 * L + L * light.shadow_vec[0] * 0.2, y_ground + 0.05 * L], [x - 0.05 * L + L * light.shadow_vec[0] * 0.2, y_ground + 0.05 * L]])])
    sh = light.flat((0, 0, 1))
    _fill_poly(cv, body, colour, label=label, shade=sh, tex=(0.03, 0.06, 0.0), grad=(0, -0.4, hb))
    _fill_poly(cv, cab, colour, label=label, shade=sh * 1.05, tex=(0.03, 0.06, 0.0))
    _fill_poly(cv, win, _lch(rng, (10, 35), (0, 10), (190, 250)), label=label, tex=(0.02, 0.1, 0.0), grad=(0.4, -0.4, hb))
    tyre = _lch(rng, (5, 15), (0, 3), (0, 360))
    rim = _lch(rng, (40, 75), (0, 5), (0, 360))
    for wx in (x + L * 0.18, x + L * 0.8):
        _fill_poly(cv, _ellipse_pts((wx, y_ground - wheel_r), wheel_r, wheel_r), tyre, label=label)
        _fill_poly(cv, _ellipse_pts((wx, y_ground - wheel_r), wheel_r * 0.5, wheel_r * 0.5), rim, label=label)
    return np.concatenate([body, cab])


def _paint_building(cv: _Canvas, rng: np.random.Generator, light: _Light, x: float, y_ground: float, w: float, h: float) -> None:
    col = _lch(rng, (45, 85), (0, 18), (50, 95))
    pts = np.array([[x, y_ground], [x + w, y_ground], [x + w, y_ground - h], [x, y_ground - h]])
    _fill_poly(cv, pts, col, shade=light.flat((0, 0, 1)) * 1.1, tex=(0.04, 0.1, 0.05))
    glass = _lch(rng, (8, 30), (0, 10), (180, 260))
    nx = int(rng.integers(2, 6))
    ny = int(rng.integers(1, 4))
    for i in range(nx):
        for j in range(ny):
            if rng.random() < 0.25:
                continue
            ww = w / nx * 0.5
            wh = h / ny * 0.4
            wx = x + (i + 0.25) * w / nx
            wy = y_ground - h + (j + 0.3) * h / ny
            _fill_poly(cv, np.array([[wx, wy], [wx + ww, wy], [wx + ww, wy + wh], [wx, wy + wh]]), glass)


def _background(cv: _Canvas, rng: np.random.Generator, light: _Light, horizon_max: float, style: str | None = None) -> tuple[str, float]:
    """Paint a random background; returns (style, horizon y)."""
    H, W = cv.H, cv.W
    if style is None:
        style = str(rng.choice(_BG_STYLES))
    horizon_max = float(np.clip(horizon_max, 0.05 * H, 0.9 * H))
    y_h = rng.uniform(min(0.12 * H, horizon_max * 0.8), horizon_max)
    if style in ("desert", "dirt_rocks") and rng.random() < 0.3:
        y_h = rng.uniform(-0.05 * H, 0.1 * H)  # looking down, no sky
    tilt = rng.uniform(-0.03, 0.03)
    _paint_sky(cv, rng, max(y_h, 1.0))
    if style == "urban":
        _paint_wall(cv, rng, y_h)
    elif style == "foliage":
        _paint_foliage(cv, rng, -0.05 * H, y_h + 0.02 * H, density=1.0, bright_frac=rng.uniform(0.2, 0.6), blur=rng.uniform(0, 2.5))
    elif rng.random() < 0.6 and y_h > 0.05 * H:
        _paint_hills(cv, rng, y_h)
    _paint_ground(cv, rng, y_h, style, 0.0 if style == "urban" else tilt)
    if style == "scrub":
        _paint_bushes(cv, rng, y_h, int(rng.integers(15, 60)))
        _paint_grass(cv, rng, y_h, int(rng.integers(100, 400)), "dry")
    elif style == "dirt_rocks":
        _paint_rocks(cv, rng, light, y_h, int(rng.integers(15, 60)))
    elif style == "foliage":
        _paint_grass(cv, rng, y_h, int(rng.integers(300, 900)), "green")
    elif style == "sky_ground" and rng.random() < 0.5:
        _paint_grass(cv, rng, y_h, int(rng.integers(100, 500)), "dry" if rng.random() < 0.6 else "green")
    elif style == "urban" and rng.random() < 0.5:
        # pavement joints
        layer = _Layer(H, W)
        c = _srgb8(_lch(rng, (28, 45), (0, 4), (0, 360)))
        for k in range(1, int(rng.integers(3, 8))):
            yy = y_h + (H - y_h) * (k / 8.0) ** 1.5
            layer.line(np.array([[0, yy], [W, yy]]), max(1, W / 800), c)
        layer.flush(cv)
    return style, float(y_h)


def _dress(cv: _Canvas, rng: np.random.Generator, light: _Light, y_h: float, people: int, vehicle: bool, building: bool, y_max: float | None = None) -> None:
    """Background dressing: buildings, vehicles and people (behind the subject)."""
    H, W = cv.H, cv.W
    y_max = H if y_max is None else y_max
    y_lo = max(y_h + 0.02 * H, 0.1 * H)
    if building and y_h > 0.1 * H:
        w = rng.uniform(0.15, 0.4) * W
        _paint_building(cv, rng, light, rng.uniform(-0.1 * W, W - 0.5 * w), y_h + rng.uniform(0, 0.03) * H, w, rng.uniform(0.1, 0.3) * H)
    if vehicle:
        yg = rng.uniform(y_lo, max(y_lo + 1, min(y_max, y_h + 0.3 * H)))
        s = np.clip((yg - y_h) / max(H - y_h, 1), 0.15, 1.0)
        L = rng.uniform(0.25, 0.5) * W * s
        _paint_vehicle(cv, rng, light, rng.uniform(-0.2 * L, W - 0.8 * L), yg, L)
    for _ in range(people):
        yg = rng.uniform(y_lo, max(y_lo + 1, y_max))
        s = np.clip((yg - y_h) / max(H - y_h, 1), 0.12, 1.0)
        _paint_person(cv, rng, light, rng.uniform(0.03, 0.97) * W, yg, rng.uniform(0.3, 0.55) * H * s, crouch=rng.random() < 0.3)


# ----------------------------------------------------------------------------
# Finishing (illumination, camera)
# ----------------------------------------------------------------------------
def _finish(cv: _Canvas, rng: np.random.Generator, light: _Light) -> np.ndarray:
    img = cv.img
    img *= (light.tint * np.float32(light.exposure))[None, None, :]
    if rng.random() < 0.2:  # atmospheric haze
        haze = _lch(rng, (75, 92), (0, 12), (60, 240))
        k = np.float32(rng.uniform(0.02, 0.1))
        img *= 1 - k
        img += k * haze
    H, W = cv.H, cv.W
    yy = (np.arange(H, dtype=np.float32) - H / 2) / (H / 2)
    xx = (np.arange(W, dtype=np.float32) - W / 2) / (W / 2)
    vig = 1.0 - np.float32(rng.uniform(0.0, 0.25)) * (yy[:, None] ** 2 + xx[None, :] ** 2) / 2
    img *= vig[..., None]
    # soft highlight shoulder
    hi = img > 0.8
    img[hi] = 0.8 + 0.2 * np.tanh((img[hi] - 0.8) / 0.2)
    out = _to_srgb8_img(img)
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.6))
    g = rng.uniform(0.5, 2.0)
    oy, ox = int(rng.integers(1, cv._pad)), int(rng.integers(1, cv._pad))
    noise = cv.fine * np.float32(g) + cv._fine[oy : oy + H, ox : ox + W] * np.float32(g * 0.5)
    return np.clip(out.astype(np.float32) + noise[..., None], 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------
# Foreground occluders
# ----------------------------------------------------------------------------
def _occluder(cv: _Canvas, rng: np.random.Generator, light: _Light, pts: np.ndarray, kind: str, rough: float = 0.08) -> None:
    """Fill an (already organic) outline ``pts`` with an occluding object."""
    c = pts.mean(axis=0)
    size = float(np.ptp(pts, axis=0).max()) + 1.0
    g = light.l[:2]
    if kind == "foliage":
        _fill_poly(cv, pts, _lch(rng, (10, 25), (8, 25), (110, 150)), tex=(0.1, 0.3, 0.0))
        roi, alpha = cv.poly_alpha([pts])
        if roi is None:
            return
        layer = _Layer(cv.H, cv.W)
        y0, y1, x0, x1 = roi
        inside = np.argwhere(alpha > 0.99)
        if len(inside) == 0:
            return
        leaf = max(2.0, size * 0.04)
        n = int(min(3000, max(40, alpha.sum() / (leaf * leaf) * 1.2)))
        sel = inside[rng.integers(0, len(inside), n)]
        pal = _palette(rng, 5, (20, 60), (15, 60), (100, 150))
        cols = _srgb8_many(pal[rng.integers(0, 5, n)] * rng.uniform(0.6, 1.3, n)[:, None])
        la = leaf * rng.uniform(0.6, 1.4, n)
        lb = leaf * rng.uniform(0.3, 0.6, n)
        lang = rng.uniform(0, 180, n)
        layer.ellipses(x0 + sel[:, 1], y0 + sel[:, 0], la, lb, lang, cols)
        layer.flush(cv, (0.05, 0.08, 0.0))
    elif kind == "cloth":
        col = [
            _lch(rng, (45, 70), (10, 25), (60, 85)),
            _lch(rng, (30, 50), (5, 18), (50, 80)),
            _lch(rng, (35, 60), (0, 6), (0, 360)),
        ][int(rng.integers(0, 3))]
        roi, alpha = cv.poly_alpha([pts])
        if roi is None:
            return
        X, Y = cv.grid(roi)
        ang = rng.uniform(0, math.pi)
        lam = rng.uniform(0.05, 0.15) * size
        y0, y1, x0, x1 = roi
        folds = 1 + 0.18 * np.sin(2 * math.pi * (X * math.cos(ang) + Y * math.sin(ang)) / lam + 3 * cv.coarse[y0:y1, x0:x1])
        t = cv.tex(roi, 0.06, 0.1) * folds * light.flat((0, 0, 1))
        cv.put(roi, alpha, col * t[..., None], 0)
        if rng.random() < 0.5:  # camouflage blotches
            for _ in range(int(rng.integers(4, 12))):
                bc = pts[int(rng.integers(0, len(pts)))] * 0.5 + c * 0.5 + rng.normal(0, size * 0.15, 2)
                bp = _blob_pts(rng, bc, size * rng.uniform(0.05, 0.15), size * rng.uniform(0.03, 0.1), 0.6, 20)
                broi, ba = cv.poly_alpha([bp])
                if broi is None:
                    continue
                # clip blotch to the cloth
                inter = _roi_intersect(broi, roi)
                if inter is None:
                    continue
                ya, yb, xa, xb = inter
                m = ba[ya - broi[0] : yb - broi[0], xa - broi[2] : xb - broi[2]] * alpha[ya - y0 : yb - y0, xa - x0 : xb - x0]
                bcol = _lch(rng, (25, 55), (5, 20), (50, 90)) * light.flat((0, 0, 1))
                cv.put(inter, m, bcol * cv.tex(inter, 0.05, 0.1)[..., None], 0)
    elif kind == "sandbags":
        base = _lch(rng, (45, 70), (8, 22), (65, 90))
        _fill_poly(cv, pts, base * 0.55, tex=(0.05, 0.1, 0.0))
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        bh = max(4.0, (y1 - y0) / max(2, int(rng.integers(2, 6))))
        bw = bh * rng.uniform(1.8, 2.6)
        row = 0
        y = y1
        while y > y0 - bh * 0.3:
            x = x0 - (row % 2) * bw / 2
            while x < x1 + bw:
                bc = (x + bw / 2, y - bh / 2)
                inside = cv2.pointPolygonTest(pts.astype(np.float32), (float(bc[0]), float(bc[1])), True)
                if inside > -bh * 0.3:
                    _fill_poly(cv, _ellipse_pts(bc, bw * 0.55, bh * 0.6), _varied(rng, base, 0.1), tex=(0.06, 0.1, 0.0), grad=(-g[0] * 0.5, -g[1] * 0.8, bh * 0.6))
                x += bw
            y -= bh * 0.85
            row += 1
    elif kind == "crate":
        col = _lch(rng, (30, 55), (10, 30), (60, 100))
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        depth = (x1 - x0) * rng.uniform(0.1, 0.25)
        front = np.array([[x0, y0 + depth * 0.5], [x1 - depth, y0 + depth * 0.5], [x1 - depth, y1], [x0, y1]])
        top = np.array([[x0, y0 + depth * 0.5], [x0 + depth, y0], [x1, y0], [x1 - depth, y0 + depth * 0.5]])
        side = np.array([[x1 - depth, y0 + depth * 0.5], [x1, y0], [x1, y1 - depth * 0.5], [x1 - depth, y1]])
        _fill_poly(cv, front, col, shade=light.flat((0, 0.2, 1)), tex=(0.05, 0.1, 0.0))
        _fill_poly(cv, top, col, shade=light.flat((0, -1, 0.3)), tex=(0.05, 0.1, 0.0))
        _fill_poly(cv, side, col, shade=light.flat((1, 0, 0.3)), tex=(0.05, 0.1, 0.0))
        # planks
        layer = _Layer(cv.H, cv.W)
        dk = _srgb8(col * 0.5)
        for k in range(1, int(rng.integers(2, 5))):
            yy = y0 + depth * 0.5 + (y1 - y0 - depth * 0.5) * k / 4
            layer.line(np.array([[x0, yy], [x1 - depth, yy]]), max(1, (x1 - x0) / 150), dk)
        layer.flush(cv)
    else:  # rock
        col = _lch(rng, (30, 60), (2, 12), (40, 100))
        _fill_poly(cv, pts, col, tex=(0.08, 0.15, 0.0), grad=(-g[0], -g[1], size * 0.5))


def _roi_intersect(a: Roi, b: Roi) -> Roi | None:
    y0, y1 = max(a[0], b[0]), min(a[1], b[1])
    x0, x1 = max(a[2], b[2]), min(a[3], b[3])
    if y0 >= y1 or x0 >= x1:
        return None
    return (y0, y1, x0, x1)


def _wobbly_quad(rng: np.random.Generator, quad: np.ndarray, amp: float, keep_edge: int | None = None, n: int = 16) -> np.ndarray:
    """Densify a quad and jitter it outwards (edge ``keep_edge`` stays nearly straight)."""
    out = []
    c = quad.mean(axis=0)
    for e in range(4):
        p, q = quad[e], quad[(e + 1) % 4]
        t = np.linspace(0, 1, n, endpoint=False)[:, None]
        seg = p + (q - p) * t
        d = seg - c
        d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-9
        a = amp * (0.15 if e == keep_edge else 1.0)
        seg = seg + d * np.abs(_noise1d(rng, n, 3))[:, None] * a
        out.append(seg)
    return np.concatenate(out)


# ----------------------------------------------------------------------------
# The launcher
# ----------------------------------------------------------------------------
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX)


def _auto_serial(rng: np.random.Generator, toofan: bool) -> str:
    if toofan:
        return "".join(chr(65 + int(i)) for i in rng.integers(0, 26, 4))
    r = int(rng.integers(0, 7))
    if r == 0:
        return f"LOT {int(rng.integers(0, 10000)):04d}"
    if r == 1:
        return f"{int(rng.integers(10, 100))} {int(rng.integers(0, 1000)):03d}"
    if r == 2:
        return f"M220A{int(rng.integers(1, 3))}"
    if r == 3:
        return f"NSN {int(rng.integers(1000, 9999))}"
    if r == 4:
        return "US ARMY"
    if r == 5:
        return f"TOW {int(rng.integers(1, 99))}"
    return f"{int(rng.integers(0, 100000)):05d}"


def _text_patch(text: str, font: int, cap: float) -> tuple[np.ndarray, int]:
    thick = max(1, int(round(cap / 9.0)))
    scale = max(0.2, (cap - thick) / 20.0)
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    pad = thick + 3
    m = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
    cv2.putText(m, text, (pad, pad + th), font, scale, 255, thick, cv2.LINE_AA)
    ys, xs = np.nonzero(m > 0)
    m = m[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return m, thick


def _stamp_text(cv: _Canvas, patch: np.ndarray, centre: np.ndarray, direction: np.ndarray) -> tuple[Roi | None, np.ndarray | None]:
    """Warp a text patch so its baseline follows ``direction``; returns alpha."""
    ph, pw = patch.shape
    a = direction / np.linalg.norm(direction)
    nrm = np.array([-a[1], a[0]])
    corners = np.array([centre + (x - pw / 2) * a + (y - ph / 2) * nrm for x, y in ((0, 0), (pw, 0), (pw, ph), (0, ph))])
    roi = _roi(corners, 2, cv.W, cv.H)
    if roi is None:
        return None, None
    y0, y1, x0, x1 = roi
    tx = centre[0] - x0 - (pw / 2) * a[0] - (ph / 2) * nrm[0]
    ty = centre[1] - y0 - (pw / 2) * a[1] - (ph / 2) * nrm[1]
    M = np.array([[a[0], nrm[0], tx], [a[1], nrm[1], ty]], np.float64)
    warped = cv2.warpAffine(patch, M, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=0)
    return roi, warped.astype(np.float32) / 255.0


def _in_frame(pts: np.ndarray, W: int, H: int, margin: float = 1.0) -> bool:
    p = np.asarray(pts).reshape(-1, 2)
    return bool(np.all((p[:, 0] >= margin) & (p[:, 0] <= W - 1 - margin) & (p[:, 1] >= margin) & (p[:, 1] <= H - 1 - margin)))


def _out_of_frame(pts: np.ndarray, W: int, H: int) -> bool:
    p = np.asarray(pts).reshape(-1, 2)
    return bool(np.all((p[:, 0] < -1) | (p[:, 0] > W) | (p[:, 1] < -1) | (p[:, 1] > H)))


def _free_intervals(lo: float, hi: float, blocked: list[tuple[float, float]]) -> list[tuple[float, float]]:
    iv = [(lo, hi)]
    for b0, b1 in blocked:
        nxt = []
        for a0, a1 in iv:
            if b1 <= a0 or b0 >= a1:
                nxt.append((a0, a1))
            else:
                if b0 > a0:
                    nxt.append((a0, b0))
                if b1 < a1:
                    nxt.append((b1, a1))
        iv = nxt
    return [(a, b) for a, b in iv if b > a]


def _render_launcher(rng: np.random.Generator, W: int, H: int, kind: str, show_tape: bool, legs_with_bands: int, show_cover: bool, serial: str | None) -> tuple[_Canvas, _Light, dict] | None:
    toofan = kind == "toofan"
    light = _random_light(rng)
    # ---------------- layout ----------------
    D = rng.uniform(0.04, 0.10) * W
    r = D / 2
    Lt = rng.uniform(0.30, 0.65) * W
    facing = 1.0 if rng.random() < 0.5 else -1.0
    aimed = rng.random() < 0.4
    theta = math.radians(rng.uniform(4, 25) if aimed else rng.uniform(-15, 15))
    a = np.array([facing * math.cos(theta), -math.sin(theta)])
    cx = rng.uniform(0.35, 0.65) * W
    cy = rng.uniform(0.2, 0.45) * H
    if rng.random() < 0.15:  # front end runs off the frame
        edge = W if facing > 0 else 0
        cx = edge - facing * (Lt / 2 * math.cos(theta) - rng.uniform(0.03, 0.12) * Lt)
    C = np.array([cx, cy])
    p_rear = C - a * Lt / 2
    tube = _Cyl.between(p_rear, p_rear + a * Lt, r)
    n = tube.n
    tu_h = rng.uniform(0.5, 1.3) * r + 0.02 * H
    hub_u = Lt / 2 + rng.uniform(-0.1, 0.06) * Lt
    hub = tube.pt(hub_u, r + tu_h)
    t_leg = rng.uniform(0.008, 0.02) * W
    angs = [rng.uniform(118, 150), rng.uniform(78, 102), rng.uniform(30, 62)]
    lens = [rng.uniform(0.25, 0.45) * H, rng.uniform(0.25, 0.38) * H, rng.uniform(0.25, 0.45) * H]
    legs = [_Cyl.between(hub, hub + Ln * np.array([math.cos(math.radians(ag)), math.sin(math.radians(ag))]), t_leg / 2) for ag, Ln in zip(angs, lens)]
    feet = [lg.pt(lg.L, 0) for lg in legs]

    # ---------------- bands on legs ----------------
    b = rng.uniform(0.6, 1.6) * t_leg
    g = rng.uniform(0.8, 3.0) * b
    frac0 = rng.uniform(0.2, 0.5)
    leg_plan: list[dict] = []
    shown = set(int(i) for i in rng.choice(3, size=legs_with_bands, replace=False)) if toofan else set()
    for i, lg in enumerate(legs):
        plan: dict[str, Any] = {"draw": True, "bands": [], "hide": None}
        if toofan:
            bb, gg = b, g
            if 3 * bb + 2 * gg > 0.6 * lg.L:
                gg = max(0.8 * bb, (0.6 * lg.L - 3 * bb) / 2)
            if 3 * bb + 2 * gg > 0.62 * lg.L:
                bb = 0.62 * lg.L / 4.6
                gg = 0.8 * bb
            G = 3 * bb + 2 * gg
            lo, hi = 0.2 * lg.L, 0.85 * lg.L - G
            cands = np.linspace(lo, max(lo, hi), 25)
            want = np.clip(frac0 * lg.L + rng.normal(0, 0.03 * lg.L), lo, max(lo, hi))

            def group_quad(us: float) -> np.ndarray:
                return lg.quad(us, us + G, -lg.r * 1.1, lg.r * 1.1)

            if i in shown:
                ok = [u for u in cands if _in_frame(group_quad(u), W, H, 2 + t_leg)]
                if not ok:
                    return None
                us = min(ok, key=lambda u: abs(u - want))
            else:
                off = [u for u in cands if _out_of_frame(group_quad(u), W, H)]
                inf = [u for u in cands if _in_frame(group_quad(u), W, H, 2 + t_leg)]
                rr = rng.random()
                n_absent = sum(1 for q in leg_plan if q["hide"] == "absent")
                if off and rr < 0.45:
                    plan["hide"] = "frame"  # bands lie on the part of the leg outside the photo
                    us = off[int(rng.integers(0, len(off)))]
                elif rr > 0.9 and n_absent == 0:
                    plan["hide"] = "absent"  # leg out of shot (behind the launcher)
                    plan["draw"] = False
                    us = want
                else:
                    plan["hide"] = str(rng.choice(["foliage", "crate", "sandbags", "rock", "person"]))
                    us = min(inf, key=lambda u: abs(u - want)) if inf else want
                    plan["partial"] = rng.random() < 0.3
            plan["bands"] = [(us + k * (bb + gg), us + k * (bb + gg) + bb) for k in range(3)]
        leg_plan.append(plan)

    # US: optional single band (yellow or another colour) on the tube or one leg
    single_band: dict[str, Any] | None = None
    if not toofan and rng.random() < 0.5:
        yellow = rng.random() < 0.7
        col = _lch(rng, *_BAND_YELLOW) if yellow else [
            _lch(rng, (30, 45), (40, 60), (25, 40)),  # red
            _lch(rng, (25, 45), (25, 45), (250, 280)),  # blue
            _lch(rng, (25, 40), (15, 30), (50, 70)),  # brown
            _lch(rng, (8, 18), (0, 4), (0, 360)),  # black
            _lch(rng, (85, 95), (0, 5), (0, 360)),  # white
        ][int(rng.integers(0, 5))]
        if rng.random() < 0.6:
            single_band = {"on": "tube", "col": col, "yellow": yellow}
        else:
            i = int(rng.integers(0, 3))
            lg = legs[i]
            bb = rng.uniform(0.6, 1.6) * t_leg
            us = rng.uniform(0.25, 0.7) * lg.L
            if _in_frame(lg.quad(us, us + bb, -lg.r, lg.r), W, H, 2):
                single_band = {"on": "leg", "leg": i, "u": (us, us + bb), "col": col, "yellow": yellow}
                leg_plan[i]["bands"] = [(us, us + bb)]

    # ---------------- along-tube layout ----------------
    ring_r = rng.uniform(0.3, 0.8) * r
    ring_f = rng.uniform(0.3, 0.8) * r
    u_sight = rng.uniform(0.38, 0.62) * Lt
    l_sight = rng.uniform(0.14, 0.26) * Lt
    h_sight = rng.uniform(0.5, 1.0) * D
    sight_iv = (u_sight - l_sight / 2 - 0.1 * D, u_sight + l_sight / 2 + 0.1 * D)
    usable = (ring_r + 0.15 * D, Lt - ring_f - 0.15 * D)
    # which part of the tube is in the frame
    in_lo, in_hi = None, None
    for u in np.linspace(0, Lt, 80):
        if _in_frame(tube.quad(u, u, -r, r), W, H, 2):
            in_lo = u if in_lo is None else in_lo
            in_hi = u
    if in_lo is None:
        return None
    usable = (max(usable[0], in_lo + 1), min(usable[1], in_hi - 1))
    vis_end = None
    visible_iv = usable
    if not show_cover:
        vis_end = "rear" if rng.random() < 0.5 else "front"
        Lv = rng.uniform(1.0, 1.8) * D
        visible_iv = (usable[0], max(usable[0] + 1, min(usable[1], Lv))) if vis_end == "rear" else (max(usable[0], min(usable[1] - 1, Lt - Lv)), usable[1])

    tape_iv = None
    if toofan and show_tape:
        wt = rng.uniform(0.3, 1.2) * D
        blocked = [] if not show_cover else [sight_iv]
        frees = [iv for iv in _free_intervals(*visible_iv, blocked) if iv[1] - iv[0] >= 0.3 * D + 2]
        if not frees:
            return None
        f0, f1 = frees[int(rng.integers(0, len(frees)))]
        wt = min(wt, f1 - f0)
        ut = f0 + rng.uniform(0.0, max(0.0, f1 - f0 - wt))
        tape_iv = (ut, ut + wt)
    if not show_cover:
        # shrink the visible window to end right after the tape (if any)
        if vis_end == "rear":
            end = max(visible_iv[1], (tape_iv[1] + 0.15 * D) if tape_iv else 0)
            hidden_iv = (end, Lt + 0.2 * D)
        else:
            start = min(visible_iv[0], (tape_iv[0] - 0.15 * D) if tape_iv else Lt)
            hidden_iv = (-0.2 * D, start)
        if hidden_iv[1] - hidden_iv[0] < 0.6 * Lt:
            return None

    tube_band_iv = None
    if (single_band and single_band["on"] == "tube") or (toofan and rng.random() < 0.2):
        if toofan:
            single_band = {"on": "tube", "col": _lch(rng, *_BAND_YELLOW), "yellow": True, "toofan_extra": True}
        wb = rng.uniform(0.15, 0.5) * D
        blocked = [(tape_iv[0] - 0.3 * D, tape_iv[1] + 0.3 * D)] if tape_iv else []
        frees = [iv for iv in _free_intervals(ring_r, Lt - ring_f, blocked) if iv[1] - iv[0] > wb]
        if frees:
            f0, f1 = frees[int(rng.integers(0, len(frees)))]
            u0 = f0 + rng.uniform(0.0, max(0.0, f1 - f0 - wb))
            tube_band_iv = (u0, u0 + wb)

    # serial
    text = _auto_serial(rng, toofan) if serial is None else (serial or None)
    serial_plan = None
    if text:
        font = _FONTS[int(rng.integers(0, 2))]
        cap_max = min(40.0, 0.55 * D)
        if cap_max >= 8:
            cap = rng.uniform(8, cap_max)
            blocked = []
            if tape_iv:
                blocked.append((tape_iv[0] - 0.25 * D, tape_iv[1] + 0.25 * D))
            if tube_band_iv:
                blocked.append((tube_band_iv[0] - 0.2 * D, tube_band_iv[1] + 0.2 * D))
            frees = _free_intervals(*usable, blocked)
            while cap >= 8:
                patch, _th = _text_patch(text, font, cap)
                need = patch.shape[1] + 4
                fit = [iv for iv in frees if iv[1] - iv[0] >= need]
                if fit:
                    f0, f1 = fit[int(rng.integers(0, len(fit)))]
                    uc = f0 + need / 2 + rng.uniform(0.0, max(0.0, f1 - f0 - need))
                    ph = patch.shape[0]
                    vlo, vhi = max(-0.25 * r, -0.8 * r + ph / 2), min(0.3 * r, 0.8 * r - ph / 2)
                    vc = rng.uniform(vlo, vhi) if vhi > vlo else 0.0
                    serial_plan = {"patch": patch, "u": uc, "v": vc, "text": text}
                    break
                cap *= 0.8
    serial_hidden = serial is None and rng.random() < 0.2

    # ---------------- background ----------------
    cv = _Canvas(W, H, rng)
    foot_ys = [f[1] for f, p in zip(feet, leg_plan) if p["draw"]] or [hub[1] + 0.2 * H]
    horizon_max = min(foot_ys) - 0.05 * H
    style, y_h = _background(cv, rng, light, horizon_max)
    _dress(cv, rng, light, y_h, int(rng.integers(0, 3)) if rng.random() < 0.5 else 0, rng.random() < 0.2, rng.random() < 0.15, y_max=min(foot_ys))
    if aimed and rng.random() < 0.5:
        rear = tube.pt(0, 0)
        ph = rng.uniform(0.45, 0.7) * H
        _paint_person(cv, rng, light, rear[0] - facing * rng.uniform(0.0, 0.1) * W, max(foot_ys) + rng.uniform(0, 0.05) * H, ph, crouch=True)
    if rng.random() < 0.5 and style != "foliage":
        cv.img[:] = cv2.GaussianBlur(cv.img, (0, 0), rng.uniform(0.8, 2.5))  # depth of field

    # ---------------- shadows ----------------
    gy = float(np.mean([f[1] for f in feet]))
    sv = light.shadow_vec

    def ground_shadow(p: np.ndarray) -> np.ndarray:
        return np.array([p[0], gy]) + sv * max(gy - p[1], 0.0)

    hub_s = ground_shadow(hub)
    sh = []
    for lg, p in zip(legs, leg_plan):
        if p["draw"]:
            f = lg.pt(lg.L, 0)
            sh.append(_thick_line(f, hub_s, t_leg * 0.9))
    _shadow(cv, light, sh)
    _shadow(cv, light, [_thick_line(ground_shadow(tube.pt(0.05 * Lt, 0)), ground_shadow(tube.pt(0.95 * Lt, 0)), D * 0.45)], 0.7)

    # ---------------- legs ----------------
    leg_col = _lch(rng, *_LEG_PALETTES[int(rng.integers(0, 4))])
    yellow = _lch(rng, *_BAND_YELLOW)
    band_records: list[list[dict]] = [[], [], []]
    for i, (lg, p) in enumerate(zip(legs, leg_plan)):
        if not p["draw"]:
            continue
        _cyl_section(cv, lg, 0, lg.L, _varied(rng, leg_col, 0.05), light, rc=lg.r * 0.6, tex=(0.04, 0.07), spec=light.spec * 0.7)
        # foot pad and upper clamp
        _cyl_section(cv, lg, lg.L - lg.r * 1.2, lg.L, leg_col * 0.5, light, r_scale=1.3, rc=lg.r * 0.4)
        _cyl_section(cv, lg, 0.04 * lg.L, 0.04 * lg.L + 2.2 * lg.r, leg_col * 0.6, light, r_scale=1.2, rc=lg.r * 0.2)
        is_single = single_band is not None and single_band["on"] == "leg" and single_band["leg"] == i
        for (u0, u1) in p["bands"]:
            lab = cv.new_label()
            col = single_band["col"] if is_single else _varied(rng, yellow, 0.04)
            roi, _area = _cyl_section(cv, lg, u0, u1, col, light, label=lab, r_scale=1.04, tex=(0.02, 0.03), spec=light.spec * 1.2, ao=0.3)
            band_records[i].append({"label": lab, "roi": roi, "area": (u1 - u0) * 2 * lg.r * 1.04, "yellow": (not is_single) or single_band["yellow"]})

    # ---------------- traversing unit ----------------
    tu_col = _varied(rng, _lch(rng, *_DARK_GREY), 0.05)
    top_c = tube.pt(hub_u, r * 0.6)
    tw0 = rng.uniform(0.5, 0.9) * D
    tw1 = rng.uniform(0.3, 0.5) * D
    tu = np.array([top_c - a * tw0 / 2, top_c + a * tw0 / 2, hub + a * tw1 / 2, hub - a * tw1 / 2])
    _fill_poly(cv, tu, tu_col, shade=light.flat((0, 0, 1)), tex=(0.04, 0.06, 0.0), grad=(-light.l[0] * 0.5, -light.l[1] * 0.5, D))
    # yoke plates and the azimuth housing
    for side in (-1, 1):
        q = np.array([top_c + side * a * tw0 / 2, top_c + side * a * (tw0 / 2 + 0.12 * D), top_c + side * a * (tw0 / 2 + 0.12 * D) + n * 0.4 * D, top_c + side * a * tw0 / 2 + n * 0.5 * D])
        _fill_poly(cv, q, tu_col * 1.2, shade=light.flat((side * a[0], side * a[1], 1)), tex=(0.04, 0.06, 0.0))
    ht = _Cyl.between(hub - a * 0.35 * D, hub + a * 0.35 * D, 0.16 * D)
    _cyl_section(cv, ht, 0, ht.L, tu_col * 0.9, light, rc=0.05 * D, tex=(0.04, 0.06))

    # ---------------- tube ----------------
    if toofan:
        cover_kind = "dark_green"
        cover_col = _lch(rng, *_COVER_TOOFAN)
    elif rng.random() < 0.6:
        cover_kind = "olive_drab"
        cover_col = _lch(rng, *_COVER_OLIVE)
    else:
        cover_kind = "tan"
        cover_col = _lch(rng, *_COVER_TAN)
    tube_lab = cv.new_label()
    tube_roi, _ = _cyl_section(cv, tube, 0, Lt, cover_col, light, label=tube_lab, rc=r * rng.uniform(0.1, 0.3), tex=(0.03, 0.06), spec=light.spec)
    ring_col = cover_col * rng.uniform(0.4, 0.7) if rng.random() < 0.6 else _lch(rng, (8, 20), (0, 5), (0, 360))
    _cyl_section(cv, tube, -0.02 * r, ring_r, ring_col, light, label=tube_lab, r_scale=1.06, rc=r * 0.15)
    _cyl_section(cv, tube, Lt - ring_f, Lt + 0.02 * r, ring_col, light, label=tube_lab, r_scale=1.06, rc=r * 0.15)
    # dirt / dust patches (lower chroma), kept off the tape and the serial
    dust = _lch(rng, (40, 65), (3, 12), (55, 90))
    dstr = rng.uniform(0.15, 0.45)
    thr = rng.uniform(0.5, 1.5)
    keep_off = []
    if tape_iv:
        keep_off.append(tape_iv)
    if serial_plan and not serial_hidden:
        keep_off.append((serial_plan["u"] - serial_plan["patch"].shape[1] / 2 - 3, serial_plan["u"] + serial_plan["patch"].shape[1] / 2 + 3))

    droi = tube_roi
    if droi is not None:
        u, v = tube.uv(cv, droi)
        y0, y1, x0, x1 = droi
        m = np.clip((cv.med[y0:y1, x0:x1] + 0.3 * cv.coarse[y0:y1, x0:x1] - thr) * 1.2, 0, 1) * dstr
        m *= np.clip(r - np.abs(v) + 0.5, 0, 1) * np.clip(np.minimum(u, Lt - u) + 0.5, 0, 1)
        for (k0, k1) in keep_off:
            m *= 1 - ((u > k0 - 2) & (u < k1 + 2))
        shade, _sp = light.cyl(v / np.float32(r), tube.n)
        dcol = dust * (shade * cv.tex(droi, 0.06, 0.1))[..., None]
        cv.put(droi, m.astype(np.float32), dcol, None)
    # scuffs
    layer = _Layer(H, W)
    for _ in range(int(rng.integers(3, 15))):
        u0 = rng.uniform(0, Lt)
        v0 = rng.uniform(-0.8, 0.8) * r
        if any(k0 - 3 < u0 < k1 + 3 for k0, k1 in keep_off):
            continue
        p0 = tube.pt(u0, v0)
        p1 = p0 + rng.normal(0, 0.3 * D, 2)
        layer.line(np.array([p0, p1]), 1, _srgb8(cover_col * rng.choice([0.5, 1.6])))
    layer.flush(cv, label=None)
    if tube_band_iv and single_band is not None:
        _cyl_section(cv, tube, *tube_band_iv, single_band["col"], light, label=tube_lab, r_scale=1.02, tex=(0.02, 0.03))
    tape_lab = None
    tape_area = 0.0
    if tape_iv:
        tape_lab = cv.new_label()
        tape_col = _lch(rng, *_TAPE_GREEN)
        crumple = 0.05 if rng.random() < 0.4 else 0.015
        _, tape_area = _cyl_section(cv, tube, *tape_iv, tape_col, light, label=tape_lab, r_scale=1.025, tex=(0.015, crumple), spec=light.spec * rng.uniform(1.0, 2.0), ao=0.3)
        wt = tape_iv[1] - tape_iv[0]
        if rng.random() < 0.4:  # small white printed logo / text line
            um = (tape_iv[0] + tape_iv[1]) / 2
            white = _lch(rng, (85, 96), (0, 4), (0, 360))
            if rng.random() < 0.5:
                s = min(0.35 * wt, 0.4 * r)
                q = tube.quad(um - s / 2, um + s / 2, -s / 2, s / 2)
                _fill_poly(cv, q, white * light.flat((0, 0, 1)), label=tape_lab, tex=(0.02, 0.02, 0.0))
            else:
                q = tube.quad(um - 0.06 * wt, um + 0.06 * wt, -0.5 * r, 0.5 * r)
                _fill_poly(cv, q, white * light.flat((0, 0, 1)), label=tape_lab, tex=(0.02, 0.02, 0.0), alpha_mul=0.85)
    serial_lab = None
    serial_area = 0.0
    if serial_plan is not None:
        serial_lab = cv.new_label()
        direction = a if a[0] >= 0 else -a
        centre = tube.pt(serial_plan["u"], serial_plan["v"])
        sroi, salpha = _stamp_text(cv, serial_plan["patch"], centre, direction)
        if sroi is not None:
            if cover_kind == "tan" and rng.random() < 0.6:
                pcol = _lch(rng, (8, 22), (0, 6), (0, 360))
            else:
                pcol = [
                    _lch(rng, (85, 95), (0, 6), (60, 100)),
                    _lch(rng, (72, 85), (0, 4), (0, 360)),
                    _lch(rng, (82, 92), (15, 30), (85, 100)),
                ][int(rng.integers(0, 3))]
            u, v = tube.uv(cv, sroi)
            shade, _sp = light.cyl(v / np.float32(r), tube.n)
            wear = np.clip(0.8 + 0.3 * cv.med[sroi[0] : sroi[1], sroi[2] : sroi[3]], 0.4, 1.0)
            salpha = salpha * wear
            serial_area = float((salpha > 0.5).sum())
            cv.put(sroi, salpha, pcol * (shade * cv.tex(sroi, 0.03, 0.04))[..., None], serial_lab)
            if serial_hidden:  # a mud smear / strap hides part of it
                pw = serial_plan["patch"].shape[1]
                ph = serial_plan["patch"].shape[0]
                frac = rng.uniform(0.4, 0.7)
                side = rng.choice([-1.0, 1.0])
                uc = serial_plan["u"] + side * pw * (0.5 - frac / 2)
                q = tube.quad(uc - frac * pw / 2, uc + frac * pw / 2, serial_plan["v"] - ph, serial_plan["v"] + ph)
                q = _wobbly_quad(rng, q, ph * 0.3)
                mud = _lch(rng, (20, 45), (5, 20), (50, 80)) if rng.random() < 0.5 else cover_col * 0.9
                _fill_poly(cv, q, mud * light.flat((0, 0, 1)), label=0, tex=(0.08, 0.15, 0.0))

    # ---------------- sight ----------------
    s_col = _lch(rng, (10, 35), (0, 6), (0, 360))
    box = tube.quad(u_sight - l_sight / 2, u_sight + l_sight / 2, -r - h_sight, -0.85 * r)
    _fill_poly(cv, box, s_col, shade=light.flat((0, 0, 1)), tex=(0.03, 0.05, 0.0), grad=(-light.l[0] * 0.4, -light.l[1] * 0.4, h_sight))
    topf = tube.quad(u_sight - l_sight / 2, u_sight + l_sight / 2 - 0.1 * h_sight, -r - h_sight - 0.18 * h_sight, -r - h_sight)
    _fill_poly(cv, topf, s_col, shade=light.flat((0, -1, 0.4)) * 1.1, tex=(0.03, 0.05, 0.0))
    front_u = u_sight + l_sight / 2
    lens = tube.quad(front_u - 0.06 * l_sight, front_u + 0.02 * l_sight, -r - 0.85 * h_sight, -r - 0.2 * h_sight)
    _fill_poly(cv, lens, _lch(rng, (3, 10), (0, 5), (180, 260)), tex=(0.02, 0.02, 0.0))
    glint = tube.pt(front_u - 0.02 * l_sight, -r - 0.6 * h_sight)
    _fill_poly(cv, _ellipse_pts(glint, max(1.0, 0.04 * h_sight), max(1.0, 0.1 * h_sight)), np.full(3, 0.6 + light.spec, np.float32), alpha_mul=0.7)
    if rng.random() < 0.5:  # second (night) sight box
        u2 = u_sight - l_sight * rng.uniform(0.2, 0.45)
        box2 = tube.quad(u2 - l_sight * 0.25, u2 + l_sight * 0.25, -r - h_sight - 0.6 * h_sight, -r - h_sight * 0.95)
        _fill_poly(cv, box2, _varied(rng, s_col, 0.2), shade=light.flat((0, -0.3, 1)), tex=(0.03, 0.05, 0.0))
    handle = tube.quad(u_sight - 0.15 * l_sight, u_sight + 0.15 * l_sight, -r - h_sight - 0.35 * h_sight, -r - h_sight - 0.25 * h_sight)
    _fill_poly(cv, handle, s_col * 0.7, tex=(0.03, 0.05, 0.0))

    # ---------------- foreground occluders ----------------
    if not show_cover:
        q = tube.quad(hidden_iv[0], hidden_iv[1], -r - h_sight * 1.8 - 0.2 * D, r + 0.5 * D)
        keep = 3 if vis_end == "rear" else 1  # the cut edge stays fairly straight
        pts = _wobbly_quad(rng, q, 0.4 * D, keep_edge=keep)
        _occluder(cv, rng, light, pts, str(rng.choice(["foliage", "cloth", "sandbags"])))
    for i, (lg, p) in enumerate(zip(legs, leg_plan)):
        if p["hide"] in (None, "frame", "absent"):
            continue
        bands = p["bands"][1:] if p.get("partial") and rng.random() < 0.5 else (p["bands"][:2] if p.get("partial") else p["bands"])
        corners = np.concatenate([lg.quad(u0, u1, -lg.r, lg.r) for u0, u1 in bands])
        x0, y0 = corners.min(axis=0)
        x1, y1 = corners.max(axis=0)
        m = 0.8 * t_leg + 3
        if p["hide"] == "person":
            hh = max((x1 - x0 + 2 * m) / 0.18, (y1 - y0 + 2 * m) / 0.28)
            if hh < 0.95 * H:
                cx_, cyc = (x0 + x1) / 2, (y0 + y1) / 2
                _paint_person(cv, rng, light, cx_, cyc + 0.32 * hh * 0.55 + 0.25 * hh, hh, crouch=True, shadow=False)
                continue
            p["hide"] = "foliage"
        yb = min(H + 10.0, max(y1 + m, feet[i][1] + 0.02 * H))
        quad = np.array([[x0 - m, y0 - m], [x1 + m, y0 - m], [x1 + m, yb], [x0 - m, yb]])
        kind_o = p["hide"]
        if kind_o == "crate":
            pts = quad
        else:
            pts = _wobbly_quad(rng, quad, 0.5 * m + 0.1 * (x1 - x0))
        _occluder(cv, rng, light, pts, kind_o)

    # ---------------- truth ----------------
    band_visible: list[list[bool]] = []
    band_boxes: list[Box] = []
    yellow_run = 0
    groups = 0
    for i in range(3):
        flags = []
        for rec in band_records[i]:
            vis = rec["roi"] is not None and cv.count(rec["label"], rec["roi"]) >= 0.5 * rec["area"]
            flags.append(bool(vis and rec["yellow"]))
            if vis and rec["yellow"]:
                bx = cv.bbox([rec["label"]], rec["roi"])
                if bx is not None:
                    band_boxes.append(bx)
        run = best = 0
        for f in flags:
            run = run + 1 if f else 0
            best = max(best, run)
        yellow_run = max(yellow_run, best)
        if toofan and len(flags) == 3 and all(flags):
            groups += 1
        band_visible.append(flags)
    if toofan:
        for i in range(3):
            full = len(band_visible[i]) == 3 and all(band_visible[i])
            if (i in shown) != full:
                return None
    tape_vis = False
    tape_box = None
    if tape_lab is not None:
        cnt = cv.count(tape_lab, tube_roi)
        tape_vis = cnt >= 0.5 * tape_area
        if show_tape and cnt < 0.8 * tape_area:
            return None
        tape_box = cv.bbox([tape_lab], tube_roi) if tape_vis else None
    tube_labels = [tube_lab] + ([tape_lab] if tape_lab else []) + ([serial_lab] if serial_lab else [])
    tube_px = sum(cv.count(lab_, tube_roi) for lab_ in tube_labels) if tube_roi is not None else 0
    tube_frac = tube_px / (Lt * D)
    if show_cover and tube_frac < 0.6:
        return None
    if not show_cover and tube_frac > 0.35:
        return None
    cover = cover_kind if tube_frac >= 0.35 else None
    tube_box = cv.bbox(tube_labels, tube_roi) if cover else None
    serial_text = None
    serial_box = None
    if serial_lab is not None and not serial_hidden and serial_area > 0:
        cnt = cv.count(serial_lab, tube_roi)
        bx = cv.bbox([serial_lab], tube_roi)
        if cnt >= 0.85 * serial_area and bx is not None and bx[0] > 0 and bx[1] > 0 and bx[0] + bx[2] < W and bx[1] + bx[3] < H:
            serial_text, serial_box = serial_plan["text"], bx
    truth = {
        "green_seal_tape": bool(tape_vis),
        "tape_bbox": tape_box,
        "yellow_bands": int(yellow_run),
        "band_groups": int(groups),
        "band_bboxes": band_boxes,
        "cover": cover,
        "tube_bbox": tube_box,
        "serial": serial_text,
        "serial_bbox": serial_box,
    }
    return cv, light, truth


# ----------------------------------------------------------------------------
# Empty scenes and hard negatives
# ----------------------------------------------------------------------------
def _render_empty(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    _style, y_h = _background(cv, rng, light, rng.uniform(0.25, 0.6) * H)
    _dress(cv, rng, light, y_h, int(rng.integers(0, 5)), rng.random() < 0.45, rng.random() < 0.35)
    return cv, light


def _render_vegetation(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    y_sky = rng.uniform(0.05, 0.3) * H if rng.random() < 0.4 else -0.05 * H
    _paint_sky(cv, rng, max(1.0, y_sky))
    _paint_foliage(cv, rng, y_sky, H * 1.02, density=rng.uniform(0.8, 1.3), bright_frac=rng.uniform(0.3, 0.8), size=rng.uniform(0.7, 2.0), blur=rng.uniform(0, 1.5))
    if rng.random() < 0.7:
        _paint_grass(cv, rng, rng.uniform(0.45, 0.8) * H, int(rng.integers(400, 1400)), "green")
    # straight green stems / reeds
    for _ in range(int(rng.integers(3, 11))):
        x = rng.uniform(0, W)
        y1 = rng.uniform(0.6, 1.1) * H
        Ls = rng.uniform(0.1, 0.5) * H
        ang = math.radians(rng.uniform(-105, -75))
        p1 = np.array([x, y1])
        p0 = p1 + Ls * np.array([math.cos(ang), math.sin(ang)])
        rad = rng.uniform(1.0, max(1.5, 0.006 * W))
        col = _lch(rng, (35, 75), (30, 70), (110, 145))
        _cyl_section(cv, _Cyl.between(p0, p1, rad), 0, Ls, col, light, rc=rad, tex=(0.03, 0.05), spec=light.spec * 0.8)
    # a few big sharp leaves in front
    layer = _Layer(H, W)
    for _ in range(int(rng.integers(0, 25))):
        c = _lch(rng, (25, 75), (25, 75), (105, 150))
        sz = rng.uniform(0.02, 0.08) * W
        layer.ellipse((rng.uniform(0, W), rng.uniform(0, H)), (sz, sz * rng.uniform(0.25, 0.5)), rng.uniform(0, 180), _srgb8(c))
    layer.flush(cv, (0.03, 0.08, 0.0))
    return cv, light


def _strip_poly(proj: Callable[[float, float], tuple[float, float]], X0: float, X1: float, Z0: float, Z1: float, n: int = 10) -> np.ndarray:
    zs = np.geomspace(Z0, Z1, n)
    left = [proj(X0, z) for z in zs]
    right = [proj(X1, z) for z in zs[::-1]]
    return np.array(left + right, np.float64)


def _render_road_lines(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    y_h = rng.uniform(0.05, 0.4) * H if rng.random() < 0.85 else rng.uniform(-0.3, 0.05) * H
    _paint_sky(cv, rng, max(1.0, y_h))
    side = str(rng.choice(["desert", "scrub", "sky_ground", "foliage", "dirt_rocks"]))
    if y_h > 0.05 * H and rng.random() < 0.5:
        _paint_hills(cv, rng, y_h)
    _paint_ground(cv, rng, y_h, side, 0.0)
    if side == "scrub":
        _paint_bushes(cv, rng, y_h, int(rng.integers(10, 40)))
    f = rng.uniform(0.7, 1.3) * max(W, H)
    hc = rng.uniform(1.2, 3.0)
    yaw = rng.uniform(-0.25, 0.25)
    rw = rng.uniform(6, 11)
    xoff = rng.uniform(-0.2, 0.2) * rw
    cy_, sy_ = math.cos(yaw), math.sin(yaw)

    def proj(X: float, Z: float) -> tuple[float, float]:
        Xc = X - xoff
        Xr = Xc * cy_ + Z * sy_
        Zr = max(-Xc * sy_ + Z * cy_, 0.05)
        return (W / 2 + f * Xr / Zr, y_h + f * hc / Zr)

    z_near = f * hc / (1.3 * H - y_h) * 0.7
    z_far = 500.0
    asphalt = _lch(rng, (22, 45), (0, 5), (0, 360))
    road = _strip_poly(proj, -rw / 2, rw / 2, z_near, z_far, 40)
    roi, alpha = cv.poly_alpha([road])
    if roi is not None:
        t = cv.tex(roi, 0.12, 0.12, 0.12)
        cv.put(roi, alpha, asphalt * t[..., None], 0)
    # cracks
    layer = _Layer(H, W)
    for _ in range(int(rng.integers(0, 12))):
        X = rng.uniform(-rw / 2, rw / 2)
        Z = rng.uniform(z_near, 40)
        pts = [proj(X, Z)]
        for _k in range(6):
            X += rng.normal(0, 0.3)
            Z += abs(rng.normal(0, 1.0))
            pts.append(proj(X, Z))
        layer.line(np.array(pts), 1, _srgb8(asphalt * 0.4))
    layer.flush(cv)
    yellow = _lch(rng, (65, 85), (50, 80), (80, 95))
    white = _lch(rng, (80, 95), (0, 5), (0, 360))
    lw = rng.uniform(0.1, 0.2)
    wear = rng.uniform(0.65, 1.0)

    def paint_strip(X: float, z0: float, z1: float, col: np.ndarray) -> None:
        _fill_poly(cv, _strip_poly(proj, X - lw / 2, X + lw / 2, z0, z1), col, tex=(0.06, 0.12, 0.0), alpha_mul=wear)

    edge_col = yellow if rng.random() < 0.7 else white
    for s in (-1, 1):
        if rng.random() < 0.8:
            paint_strip(s * (rw / 2 - 0.3), z_near, z_far, edge_col if s < 0 or rng.random() < 0.5 else white)
    mode = rng.random()
    if mode < 0.6:
        dash = rng.uniform(2, 4)
        gap = rng.uniform(4, 9)
        z = z_near - rng.uniform(0, dash + gap)
        while z < 150:
            if z + dash > z_near:
                paint_strip(0.0, max(z, z_near), z + dash, yellow)
            z += dash + gap
    elif mode < 0.85:
        for X in (-0.12, 0.12):
            paint_strip(X, z_near, z_far, yellow)
    else:
        paint_strip(0.0, z_near, z_far, yellow)
    if rng.random() < 0.5:  # kerb
        s = 1 if rng.random() < 0.5 else -1
        X0, X1 = s * rw / 2, s * (rw / 2 + 0.35)
        hk = rng.uniform(0.1, 0.2)

        def proj_up(X: float, Z: float) -> tuple[float, float]:
            x, y = proj(X, Z)
            return (x, y - f * hk / max(-(X - xoff) * sy_ + Z * cy_, 0.05))

        seg = rng.uniform(0.5, 1.5)
        alternate = rng.random() < 0.6
        black = _lch(rng, (8, 20), (0, 4), (0, 360))
        z = z_near
        k = 0
        while z < 120:
            col = (yellow if k % 2 == 0 else black) if alternate else yellow
            top = np.array([proj_up(X0, z), proj_up(X1, z), proj_up(X1, z + seg), proj_up(X0, z + seg)])
            face = np.array([proj(X0, z), proj_up(X0, z), proj_up(X0, z + seg), proj(X0, z + seg)])
            _fill_poly(cv, face, col, shade=0.75, tex=(0.05, 0.1, 0.0))
            _fill_poly(cv, top, col, shade=1.0, tex=(0.05, 0.1, 0.0))
            z += seg
            k += 1
    return cv, light


def _stripes(u: np.ndarray, v: np.ndarray, width: float, phi: float) -> np.ndarray:
    """AA weight of 'A' stripes (width ``width`` px, direction ``phi``)."""
    s = (u * math.cos(phi) + v * math.sin(phi)) / (2 * width)
    frac = s - np.floor(s)
    d = np.where(frac < 0.5, np.minimum(frac, 0.5 - frac), -np.minimum(frac - 0.5, 1 - frac)) * 2 * width
    return np.clip(d + 0.5, 0, 1)


def _striped_panel(cv: _Canvas, rng: np.random.Generator, light: _Light, c: Sequence[float], pw: float, ph: float, ang: float, yellow: np.ndarray, black: np.ndarray) -> np.ndarray:
    ca, sa = math.cos(ang), math.sin(ang)
    corners = np.array([[c[0] + x * ca - y * sa, c[1] + x * sa + y * ca] for x, y in ((-pw / 2, -ph / 2), (pw / 2, -ph / 2), (pw / 2, ph / 2), (-pw / 2, ph / 2))])
    roi, alpha = cv.poly_alpha([corners])
    if roi is None:
        return corners
    X, Y = cv.grid(roi)
    u = (X - c[0]) * ca + (Y - c[1]) * sa
    v = -(X - c[0]) * sa + (Y - c[1]) * ca
    sw = rng.uniform(0.08, 0.3) * min(pw, ph) if rng.random() < 0.5 else rng.uniform(0.04, 0.12) * max(pw, ph)
    sw = max(sw, 2.5)
    phi = math.radians(float(rng.choice([45, -45, 0, 90, 30, -30])))
    w = _stripes(u, v, sw, phi)[..., None]
    col = yellow * w + black * (1 - w)
    t = cv.tex(roi, 0.04, 0.1) * light.flat((0, 0, 1))
    cv.put(roi, alpha, col * t[..., None], 0)
    return corners


def _render_hazard_stripes(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    _background(cv, rng, light, rng.uniform(0.3, 0.6) * H, str(rng.choice(["urban", "sky_ground", "dirt_rocks", "desert"])))
    black = _lch(rng, (6, 20), (0, 4), (0, 360))
    n_obj = int(rng.integers(2, 6))
    kinds = ["panel"] + [str(rng.choice(["panel", "boom", "pole", "kerb", "barrier"])) for _ in range(n_obj - 1)]
    for kind in kinds:
        yellow = _lch(rng, *_BAND_YELLOW)
        if kind == "panel":
            pw = rng.uniform(0.1, 0.6) * W
            ph = pw * rng.uniform(0.15, 1.2)
            c = (rng.uniform(0.1, 0.9) * W, rng.uniform(0.15, 0.85) * H)
            if rng.random() < 0.5:  # on pole(s)
                pole_col = _lch(rng, (40, 75), (0, 5), (0, 360))
                for dx in ((-0.35, 0.35) if rng.random() < 0.5 else (0.0,)):
                    x = c[0] + dx * pw
                    pr = max(2.0, 0.01 * W)
                    _cyl_section(cv, _Cyl.between((x, c[1]), (x, H + 10), pr), 0, H, pole_col, light, tex=(0.03, 0.05))
            _striped_panel(cv, rng, light, c, pw, ph, math.radians(rng.uniform(-15, 15)), yellow, black)
        elif kind == "barrier":  # A-frame road barrier: a striped board on legs
            pw = rng.uniform(0.25, 0.7) * W
            ph = rng.uniform(0.04, 0.1) * H
            c = np.array([rng.uniform(0.2, 0.8) * W, rng.uniform(0.4, 0.8) * H])
            legc = _lch(rng, (15, 60), (0, 10), (0, 360))
            for dx in (-0.4, 0.4):
                _fill_poly(cv, _thick_line(c + [dx * pw, 0], c + [dx * pw * 1.1, rng.uniform(0.15, 0.3) * H], max(2, 0.01 * W)), legc)
            _striped_panel(cv, rng, light, c, pw, ph, math.radians(rng.uniform(-5, 5)), yellow, black)
        elif kind in ("boom", "pole"):
            rad = rng.uniform(0.006, 0.02) * W
            if kind == "boom":
                p0 = np.array([rng.uniform(0, 0.4) * W, rng.uniform(0.3, 0.8) * H])
                ang = math.radians(rng.uniform(-40, 10))
                Lb = rng.uniform(0.4, 0.9) * W
                p1 = p0 + Lb * np.array([math.cos(ang), math.sin(ang)])
                post = _lch(rng, (20, 60), (0, 10), (0, 360))
                _fill_poly(cv, np.array([[p0[0] - 3 * rad, p0[1] - 2 * rad], [p0[0] + 3 * rad, p0[1] - 2 * rad], [p0[0] + 3 * rad, H + 5], [p0[0] - 3 * rad, H + 5]]), post, shade=light.flat((0, 0, 1)))
            else:
                x = rng.uniform(0.05, 0.95) * W
                p1 = np.array([x, H + 5])
                p0 = np.array([x + rng.uniform(-0.05, 0.05) * W, rng.uniform(0.05, 0.6) * H])
            cyl = _Cyl.between(p0, p1, rad)
            first, second = (yellow, black) if rng.random() < 0.7 else (black, yellow)
            _cyl_section(cv, cyl, 0, cyl.L, second, light, rc=rad * 0.3)
            seg = rng.uniform(1.0, 5.0) * 2 * rad
            u = 0.0
            while u < cyl.L:
                _cyl_section(cv, cyl, u, min(cyl.L, u + seg), first, light, r_scale=1.01, tex=(0.03, 0.06))
                u += 2 * seg
        else:  # kerb along the bottom
            yk = rng.uniform(0.75, 0.95) * H
            hk = rng.uniform(0.02, 0.06) * H
            seg = rng.uniform(0.03, 0.12) * W
            x = -rng.uniform(0, seg)
            k = 0
            slope = rng.uniform(-0.15, 0.15)
            while x < W:
                col = yellow if k % 2 == 0 else black
                y0 = yk + slope * (x - W / 2)
                y1 = yk + slope * (x + seg - W / 2)
                _fill_poly(cv, np.array([[x, y0 - hk], [x + seg, y1 - hk], [x + seg, y1], [x, y0]]), col, shade=light.flat((0, 0, 1)), tex=(0.05, 0.1, 0.0))
                _fill_poly(cv, np.array([[x, y0 - hk], [x + seg, y1 - hk], [x + seg * 1.05, y1 - hk * 1.4], [x + seg * 0.05, y0 - hk * 1.4]]), col, shade=light.flat((0, -1, 0.3)), tex=(0.05, 0.1, 0.0))
                x += seg
                k += 1
    return cv, light


def _green_sign_or_door(cv: _Canvas, rng: np.random.Generator, light: _Light, y_h: float) -> None:
    """A green road sign on poles, or a green door (tarp-scene dressing)."""
    H, W = cv.H, cv.W
    r = rng.random()
    if r < 0.6:
        green = _lch(rng, (30, 55), (25, 55), (135, 165))
        if r < 0.3:
            sw_ = rng.uniform(0.12, 0.3) * W
            sh_ = sw_ * rng.uniform(0.4, 0.8)
            sx = rng.uniform(0, W - sw_)
            sy = rng.uniform(0.05, 0.3) * H
            pole = _lch(rng, (40, 70), (0, 5), (0, 360))
            for dx in (0.2, 0.8):
                _cyl_section(cv, _Cyl.between((sx + dx * sw_, sy), (sx + dx * sw_, H + 5), max(2, 0.006 * W)), 0, H, pole, light)
            q = np.array([[sx, sy], [sx + sw_, sy], [sx + sw_, sy + sh_], [sx, sy + sh_]])
            _fill_poly(cv, q, _lch(rng, (85, 95), (0, 4), (0, 360)), shade=light.flat((0, 0, 1)))
            b_ = 0.04 * sh_
            _fill_poly(cv, q + np.array([[b_, b_], [-b_, b_], [-b_, -b_], [b_, -b_]]), green, shade=light.flat((0, 0, 1)), tex=(0.02, 0.04, 0.0))
            m = np.zeros((int(sh_), int(sw_)), np.uint8)
            txt = str(rng.choice(["EXIT", "KM 12", "ROUTE 4", "NORTH", "AREA B"]))
            cv2.putText(m, txt, (int(0.1 * sw_), int(0.65 * sh_)), cv2.FONT_HERSHEY_SIMPLEX, sh_ / 80, 255, max(1, int(sh_ / 30)), cv2.LINE_AA)
            y0, x0_ = int(sy), int(sx)
            ro = _roi_intersect((y0, y0 + m.shape[0], x0_, x0_ + m.shape[1]), (0, H, 0, W))
            if ro is not None:
                mm = m[ro[0] - y0 : ro[1] - y0, ro[2] - x0_ : ro[3] - x0_].astype(np.float32) / 255
                cv.put(ro, mm, np.full(3, 0.85, np.float32) * light.flat((0, 0, 1)), 0)
        else:
            dw = rng.uniform(0.1, 0.2) * W
            dh = dw * rng.uniform(1.8, 2.4)
            dx = rng.uniform(0, W - dw)
            dy = max(y_h, 0.2 * H) + rng.uniform(0.0, 0.1) * H
            q = np.array([[dx, dy], [dx + dw, dy], [dx + dw, dy + dh], [dx, dy + dh]])
            f_ = 0.06 * dw
            _fill_poly(cv, q + np.array([[-f_, -f_], [f_, -f_], [f_, 0], [-f_, 0]]), _lch(rng, (20, 80), (0, 10), (0, 360)))
            _fill_poly(cv, q, green, shade=light.flat((0, 0, 1)), tex=(0.03, 0.06, 0.0))
            for k in range(2):
                pq = np.array([[dx + 0.15 * dw, dy + (0.1 + 0.45 * k) * dh], [dx + 0.85 * dw, dy + (0.1 + 0.45 * k) * dh], [dx + 0.85 * dw, dy + (0.45 + 0.45 * k) * dh], [dx + 0.15 * dw, dy + (0.45 + 0.45 * k) * dh]])
                _fill_poly(cv, pq, green * 0.8, tex=(0.03, 0.06, 0.0))
            _fill_poly(cv, _ellipse_pts((dx + 0.88 * dw, dy + 0.5 * dh), 0.03 * dw, 0.03 * dw), _lch(rng, (50, 80), (0, 10), (60, 90)))


def _render_green_tarp(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    _style, y_h = _background(cv, rng, light, rng.uniform(0.3, 0.6) * H, str(rng.choice(["urban", "sky_ground", "dirt_rocks", "desert", "scrub"])))
    _green_sign_or_door(cv, rng, light, y_h)
    if rng.random() < 0.5:
        tarp = _lch(rng, (45, 70), (35, 65), (125, 155))
    else:
        tarp = _lch(rng, (20, 40), (12, 35), (120, 165))
    tw = rng.uniform(0.35, 0.85) * W
    x0 = rng.uniform(0, W - tw)
    yg = rng.uniform(max(y_h + 0.1 * H, 0.55 * H), 0.98 * H)
    th = rng.uniform(0.2, 0.5) * H
    xs = np.linspace(x0, x0 + tw, 60)
    bumps = np.zeros_like(xs)
    for _ in range(int(rng.integers(1, 4))):
        bc = rng.uniform(x0 + 0.15 * tw, x0 + 0.85 * tw)
        bumps += rng.uniform(0.4, 1.0) * np.exp(-((xs - bc) / (tw * rng.uniform(0.2, 0.4))) ** 2)
    bumps = bumps / bumps.max()
    top = yg - th * (0.25 + 0.75 * np.clip(bumps + 0.05 * _noise1d(rng, 60, 4), 0, 1.2))
    top[0] = top[-1] = yg - th * 0.05
    bottom = yg + 0.02 * H * _noise1d(rng, 60, 6)
    outline = np.concatenate([np.stack([xs, top], 1), np.stack([xs[::-1], bottom[::-1]], 1)])
    _shadow(cv, light, [outline + light.shadow_vec * th * 0.3])
    roi, alpha = cv.poly_alpha([outline])
    if roi is not None:
        X, Y = cv.grid(roi)
        shade = np.ones_like(X)
        for _ in range(int(rng.integers(6, 16))):  # folds as ridges
            fx = rng.uniform(x0, x0 + tw)
            ang = math.radians(rng.uniform(60, 120))
            d = (X - fx) * math.sin(ang) - (Y - yg) * math.cos(ang)
            wdt = rng.uniform(0.01, 0.05) * W
            shade += rng.uniform(0.2, 0.5) * np.tanh(d / wdt) * np.exp(-(d / (3 * wdt)) ** 2)
        vert = 1 + 0.25 * (Y - yg) / th * (-1 if light.l[1] < 0 else 1)
        t = cv.tex(roi, 0.03, 0.08, 0.1) * shade * vert * (light.ambient + light.diffuse * 0.7)
        cv.put(roi, alpha, tarp * np.clip(t, 0.2, 2)[..., None], 0)
    # ropes and straps
    for _ in range(int(rng.integers(1, 6))):
        i = int(rng.integers(5, 55))
        p0 = np.array([xs[i], top[i]])
        p1 = np.array([xs[i] + rng.uniform(-0.3, 0.3) * tw, yg + rng.uniform(0, 0.05) * H])
        if rng.random() < 0.4:  # a rope thrown over the top, staked on both sides
            p0 = np.array([x0 + rng.uniform(-0.1, 0.1) * tw, yg + rng.uniform(-0.02, 0.04) * H])
            p1 = np.array([xs[i], top[i] + 2])
            q1 = np.array([x0 + tw + rng.uniform(-0.1, 0.1) * tw, yg + rng.uniform(-0.02, 0.04) * H])
            colr = _lch(rng, (70, 90), (5, 20), (60, 90))
            rad = rng.uniform(1.0, max(1.5, 0.005 * W))
            for a_, b_ in ((p0, p1), (p1, q1)):
                _cyl_section(cv, _Cyl.between(a_, b_, rad), 0, float(np.linalg.norm(b_ - a_)), colr, light, tex=(0.08, 0.1), rc=rad)
            continue
        col = [_lch(rng, (70, 90), (5, 20), (60, 90)), _lch(rng, (85, 95), (0, 4), (0, 360)), _lch(rng, (5, 20), (0, 4), (0, 360)), _lch(rng, (30, 50), (10, 25), (50, 75))][int(rng.integers(0, 4))]
        rad = rng.uniform(1.0, max(1.5, 0.007 * W))
        _cyl_section(cv, _Cyl.between(p0, p1, rad), 0, float(np.linalg.norm(p1 - p0)), col, light, tex=(0.08, 0.1), rc=rad)
    # grommets along the bottom hem
    gcol = _lch(rng, (60, 85), (0, 15), (60, 90))
    for xg in np.linspace(x0 + 0.05 * tw, x0 + 0.95 * tw, int(rng.integers(3, 9))):
        yy = float(np.interp(xg, xs, bottom)) - 0.015 * H
        rr = max(1.5, 0.005 * W)
        _fill_poly(cv, _ellipse_pts((xg, yy), rr, rr), gcol)
    return cv, light


def _render_yellow_sign(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    _style, y_h = _background(cv, rng, light, rng.uniform(0.3, 0.65) * H, str(rng.choice(["urban", "sky_ground", "desert", "scrub", "foliage"])))
    black = _lch(rng, (6, 20), (0, 4), (0, 360))
    pole_col = _lch(rng, (45, 75), (0, 5), (0, 360))
    for _ in range(int(rng.integers(1, 4))):
        yellow = _lch(rng, (70, 88), (60, 90), (85, 100))
        s = rng.uniform(0.12, 0.4) * min(W, H)
        c = np.array([rng.uniform(0.1, 0.9) * W, rng.uniform(0.15, 0.55) * H])
        _cyl_section(cv, _Cyl.between(c, (c[0], H + 10), max(2, 0.008 * W)), 0, H, pole_col, light, tex=(0.03, 0.05), spec=light.spec * 1.5)
        sx = rng.uniform(0.75, 1.0)  # yaw foreshortening
        rot = math.radians(rng.uniform(-8, 8))

        def diamond(k: float) -> np.ndarray:
            pts = np.array([[0, -k], [k, 0], [0, k], [-k, 0]]) * [sx, 1]
            ca, sa = math.cos(rot), math.sin(rot)
            return c + pts @ np.array([[ca, sa], [-sa, ca]])

        sh = light.flat((0, 0, 1))
        _fill_poly(cv, diamond(s / 2), black, shade=sh)
        _fill_poly(cv, diamond(s / 2 * 0.9), yellow, shade=sh, tex=(0.03, 0.05, 0.0))
        _fill_poly(cv, diamond(s / 2 * 0.84), black, shade=sh)
        _fill_poly(cv, diamond(s / 2 * 0.8), yellow, shade=sh, tex=(0.03, 0.05, 0.0))
        sym = int(rng.integers(0, 3))
        if sym == 0:  # exclamation mark
            _fill_poly(cv, np.array([c + [-0.04 * s * sx, -0.25 * s], c + [0.04 * s * sx, -0.25 * s], c + [0.025 * s * sx, 0.08 * s], c + [-0.025 * s * sx, 0.08 * s]]), black, shade=sh)
            _fill_poly(cv, _ellipse_pts(c + [0, 0.17 * s], 0.045 * s * sx, 0.045 * s), black, shade=sh)
        elif sym == 1:  # arrow
            _fill_poly(cv, np.array([c + [-0.2 * s * sx, 0.05 * s], c + [0.05 * s * sx, 0.05 * s], c + [0.05 * s * sx, 0.15 * s], c + [0.25 * s * sx, 0], c + [0.05 * s * sx, -0.15 * s], c + [0.05 * s * sx, -0.05 * s], c + [-0.2 * s * sx, -0.05 * s]]), black, shade=sh)
        else:  # simple pictogram: a triangle
            _fill_poly(cv, np.array([c + [0, -0.2 * s], c + [0.2 * s * sx, 0.15 * s], c + [-0.2 * s * sx, 0.15 * s]]), black, shade=sh)
    for _ in range(int(rng.integers(0, 4))):
        yellow = _lch(rng, *_BAND_YELLOW)
        r = rng.random()
        if r < 0.5:  # rectangular sign with text
            sw_ = rng.uniform(0.12, 0.4) * min(W, H)
            sh_ = sw_ * rng.uniform(0.3, 0.7)
            sx_, sy_ = rng.uniform(0, W - sw_), rng.uniform(0.1, 0.7) * H
            for dx in (0.25, 0.75):
                _cyl_section(cv, _Cyl.between((sx_ + dx * sw_, sy_ + sh_ / 2), (sx_ + dx * sw_, H + 10), max(2, 0.006 * W)), 0, H, pole_col, light, tex=(0.03, 0.05))
            q = np.array([[sx_, sy_], [sx_ + sw_, sy_], [sx_ + sw_, sy_ + sh_], [sx_, sy_ + sh_]])
            _fill_poly(cv, q, yellow, shade=light.flat((0, 0, 1)), tex=(0.03, 0.06, 0.0))
            m = np.zeros((max(2, int(sh_)), max(2, int(sw_))), np.uint8)
            txt = str(rng.choice(["SLOW", "DANGER", "CAUTION", "STOP", "NO ENTRY", "KEEP OUT"]))
            fs = max(0.3, sh_ / 70)
            tw_ = cv2.getTextSize(txt, cv2.FONT_HERSHEY_DUPLEX, fs, max(1, int(sh_ / 25)))[0][0]
            fs = fs * min(1.0, 0.88 * sw_ / max(tw_, 1))
            cv2.putText(m, txt, (int(0.06 * sw_), int(0.5 * sh_ + 10 * fs)), cv2.FONT_HERSHEY_DUPLEX, fs, 255, max(1, int(fs * 2.5)), cv2.LINE_AA)
            ro = _roi_intersect((int(sy_), int(sy_) + m.shape[0], int(sx_), int(sx_) + m.shape[1]), (0, H, 0, W))
            if ro is not None:
                mm = m[ro[0] - int(sy_) : ro[1] - int(sy_), ro[2] - int(sx_) : ro[3] - int(sx_)].astype(np.float32) / 255
                cv.put(ro, mm, black * light.flat((0, 0, 1)), 0)
        elif r < 0.75:  # yellow utility cabinet
            bw = rng.uniform(0.06, 0.18) * W
            bh = bw * rng.uniform(1.0, 2.0)
            bx = rng.uniform(0, W - bw)
            by = rng.uniform(max(y_h, 0.3 * H), 0.9 * H)
            _fill_poly(cv, np.array([[bx, by - bh], [bx + bw, by - bh], [bx + bw, by], [bx, by]]), yellow, shade=light.flat((0, 0, 1)), tex=(0.04, 0.08, 0.0))
            _fill_poly(cv, np.array([[bx + bw, by - bh], [bx + 1.2 * bw, by - 1.05 * bh], [bx + 1.2 * bw, by - 0.05 * bh], [bx + bw, by]]), yellow, shade=light.flat((1, 0, 0.4)), tex=(0.04, 0.08, 0.0))
        else:  # yellow bollard
            br = rng.uniform(0.01, 0.03) * W
            bx = rng.uniform(0.05, 0.95) * W
            by = rng.uniform(max(y_h + 0.1 * H, 0.5 * H), 0.98 * H)
            hgt = br * rng.uniform(4, 8)
            cyl = _Cyl.between((bx, by - hgt), (bx, by), br)
            _cyl_section(cv, cyl, 0, hgt, yellow, light, rc=br * 0.5, tex=(0.03, 0.06))
            if rng.random() < 0.5:
                _cyl_section(cv, cyl, 0.15 * hgt, 0.25 * hgt, black, light, r_scale=1.01)
    return cv, light


def _render_yellow_flowers(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    y_h = rng.uniform(0.1, 0.4) * H if rng.random() < 0.6 else -0.02 * H
    _paint_sky(cv, rng, max(1.0, y_h))
    if y_h > 0.05 * H and rng.random() < 0.6:  # tree line
        _paint_foliage(cv, rng, y_h - rng.uniform(0.05, 0.15) * H, y_h + 0.01 * H, density=0.8, bright_frac=0.2, size=0.6, blur=1.0)
    grass = _lch(rng, (35, 60), (25, 50), (110, 135))
    pts = np.array([[-2, y_h], [W + 2, y_h], [W + 2, H + 2], [-2, H + 2]])
    _fill_poly(cv, pts, grass, tex=(0.12, 0.2, 0.2))
    _paint_grass(cv, rng, y_h, int(rng.integers(800, 2500)), "green")
    layer = _Layer(H, W)
    n = int(rng.integers(300, 1400))
    petal_hue = rng.uniform(78, 98)
    yel = _srgb8_many(_palette(rng, 8, (72, 92), (60, 95), (petal_hue - 6, petal_hue + 6)))
    whi = _srgb8_many(_palette(rng, 3, (88, 97), (0, 6), (0, 360)))
    pur = _srgb8_many(_palette(rng, 3, (40, 60), (30, 55), (290, 320)))
    cen = _srgb8_many(_palette(rng, 4, (45, 70), (40, 70), (55, 80)))
    stem = _srgb8(grass * 0.9)
    # more (and smaller) flowers towards the horizon
    d = rng.random(n) ** 1.6
    ys = y_h + (H - y_h) * (1 - d) + rng.normal(0, 0.01 * H, n)
    ss = np.clip((ys - y_h) / max(H - y_h, 1), 0.03, 1.0)
    xs = rng.uniform(0, W, n)
    size = rng.uniform(0.006, 0.02, n) * W * ss + 0.8
    r = rng.random(n)
    allc = yel + whi + pur
    idx = np.where(r < 0.85, rng.integers(0, len(yel), n), np.where(r < 0.95, len(yel) + rng.integers(0, len(whi), n), len(yel) + len(whi) + rng.integers(0, len(pur), n)))
    cols = [allc[i] for i in idx]
    small = size < 3
    big = np.flatnonzero(~small)
    for i in big:  # stems first
        layer.line(np.array([[xs[i], ys[i]], [xs[i] + rng.normal(0, size[i] * 0.3), ys[i] + size[i] * 3]]), max(1, size[i] * 0.15), stem)
    sm = np.flatnonzero(small)
    layer.ellipses(xs[sm], ys[sm], size[sm], size[sm] * 0.8, np.zeros(len(sm)), [cols[i] for i in sm])
    k = rng.integers(5, 9, len(big))
    a0 = rng.uniform(0, 2 * math.pi, len(big))
    fi = np.repeat(np.arange(len(big)), k)
    j = np.concatenate([np.arange(kk) for kk in k]) if len(big) else np.zeros(0, int)
    ang = a0[fi] + 2 * math.pi * j / k[fi]
    bi = big[fi]
    layer.ellipses(xs[bi] + np.cos(ang) * size[bi] * 0.55, ys[bi] + np.sin(ang) * size[bi] * 0.4, size[bi] * 0.5, size[bi] * 0.22, np.degrees(ang), [cols[i] for i in bi])
    layer.ellipses(xs[big], ys[big], size[big] * 0.25, size[big] * 0.2, np.zeros(len(big)), [cen[int(c)] for c in rng.integers(0, len(cen), len(big))])
    layer.flush(cv, (0.04, 0.04, 0.0))
    return cv, light


def _render_olive_vehicle(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    _style, y_h = _background(cv, rng, light, rng.uniform(0.3, 0.55) * H, str(rng.choice(["desert", "scrub", "dirt_rocks", "sky_ground"])))
    olive = _lch(rng, *_COVER_OLIVE)
    L = rng.uniform(0.5, 0.9) * W
    x0 = rng.uniform(-0.05 * W, W - L * 0.9)
    yg = rng.uniform(max(y_h + 0.15 * H, 0.6 * H), 0.95 * H)
    hb = L * rng.uniform(0.22, 0.32)
    flip = rng.random() < 0.5
    wheel_r = L * rng.uniform(0.07, 0.1)
    ybot = yg - wheel_r * 0.6
    apc = rng.random() < 0.6
    sh_side = light.flat((0, 0, 1))
    sh_top = light.flat((0, -1, 0.3))
    _shadow(cv, light, [np.array([[x0, yg - 3], [x0 + L, yg - 3], [x0 + L + light.shadow_vec[0] * hb, yg + 0.05 * H], [x0 + light.shadow_vec[0] * hb, yg + 0.05 * H]])])

    def X(u: float) -> float:
        return x0 + (L - u if flip else u)

    tyre = _lch(rng, (5, 15), (0, 3), (0, 360))
    n_w = int(rng.integers(3, 6)) if apc else 3
    for k in range(n_w):
        wx = X(L * (0.12 + 0.76 * k / max(1, n_w - 1)))
        _fill_poly(cv, _ellipse_pts((wx, yg - wheel_r), wheel_r, wheel_r), tyre, tex=(0.05, 0.08, 0.0))
        _fill_poly(cv, _ellipse_pts((wx, yg - wheel_r), wheel_r * 0.5, wheel_r * 0.5), olive * 0.8, shade=sh_side)
    if apc:
        hull = np.array([[X(0), ybot - 0.1 * hb], [X(L * 0.15), ybot], [X(L), ybot], [X(L), ybot - 0.85 * hb], [X(L * 0.25), ybot - 0.85 * hb], [X(0), ybot - 0.45 * hb]])
        _fill_poly(cv, hull, olive, shade=sh_side, tex=(0.04, 0.08, 0.05), grad=(0, -0.3, hb))
        deck = np.array([[X(L * 0.25), ybot - 0.85 * hb], [X(L), ybot - 0.85 * hb], [X(L * 0.98), ybot - 0.95 * hb], [X(L * 0.27), ybot - 0.95 * hb]])
        _fill_poly(cv, deck, olive, shade=sh_top, tex=(0.04, 0.08, 0.0))
        tx = L * rng.uniform(0.35, 0.6)
        tur = np.array([[X(tx), ybot - 0.95 * hb], [X(tx + 0.3 * L), ybot - 0.95 * hb], [X(tx + 0.27 * L), ybot - 1.3 * hb], [X(tx + 0.04 * L), ybot - 1.3 * hb]])
        _fill_poly(cv, tur, olive, shade=sh_side * 1.05, tex=(0.04, 0.08, 0.0))
        mz = np.array([X(tx), ybot - 1.12 * hb])
        ang = math.radians(rng.uniform(-5, 20))
        dirx = -1 if not flip else 1
        p1 = mz + rng.uniform(0.4, 0.8) * L * np.array([dirx * math.cos(ang), -math.sin(ang)])
        barrel_col = olive if rng.random() < 0.6 else _lch(rng, (10, 25), (0, 6), (0, 360))
        cyl = _Cyl.between(mz, p1, rng.uniform(0.015, 0.035) * L)
        _cyl_section(cv, cyl, 0, cyl.L, barrel_col, light, rc=cyl.r * 0.3, tex=(0.03, 0.06))
        _cyl_section(cv, cyl, cyl.L - 3 * cyl.r, cyl.L, barrel_col * 0.7, light, r_scale=1.3, rc=cyl.r * 0.3)
        for k in range(int(rng.integers(0, 4))):  # vision blocks
            vx = X(L * (0.3 + 0.15 * k))
            _fill_poly(cv, np.array([[vx, ybot - 0.8 * hb], [vx + 0.04 * L, ybot - 0.8 * hb], [vx + 0.04 * L, ybot - 0.72 * hb], [vx, ybot - 0.72 * hb]]), _lch(rng, (5, 20), (0, 10), (180, 250)))
    else:  # truck with canvas-covered bed
        cab = np.array([[X(0), ybot], [X(0.3 * L), ybot], [X(0.3 * L), ybot - 1.1 * hb], [X(0.05 * L), ybot - 1.1 * hb], [X(0), ybot - 0.6 * hb]])
        _fill_poly(cv, cab, olive, shade=sh_side, tex=(0.04, 0.08, 0.0))
        win = np.array([[X(0.08 * L), ybot - 0.65 * hb], [X(0.27 * L), ybot - 0.65 * hb], [X(0.27 * L), ybot - 1.0 * hb], [X(0.1 * L), ybot - 1.0 * hb]])
        _fill_poly(cv, win, _lch(rng, (10, 30), (0, 10), (190, 250)), grad=(0.3, -0.3, hb))
        bed = np.array([[X(0.32 * L), ybot], [X(L), ybot], [X(L), ybot - 0.5 * hb], [X(0.32 * L), ybot - 0.5 * hb]])
        _fill_poly(cv, bed, olive, shade=sh_side * 0.95, tex=(0.04, 0.08, 0.0))
        canvas_col = _varied(rng, _lch(rng, *_COVER_OLIVE), 0.1) if rng.random() < 0.6 else _lch(rng, *_COVER_TAN)
        top = np.array([[X(0.32 * L), ybot - 0.5 * hb], [X(L), ybot - 0.5 * hb], [X(L), ybot - 1.25 * hb], [X(0.34 * L), ybot - 1.3 * hb]])
        _fill_poly(cv, top, canvas_col, shade=sh_side, tex=(0.05, 0.12, 0.05))
    # dust on the lower body
    if rng.random() < 0.7:
        dust = _lch(rng, (50, 70), (8, 20), (60, 85))
        q = np.array([[X(0.1 * L), ybot - 0.3 * hb], [X(L), ybot - 0.3 * hb], [X(L), ybot], [X(0.15 * L), ybot]])
        _fill_poly(cv, q, dust, tex=(0.1, 0.2, 0.1), alpha_mul=rng.uniform(0.15, 0.35), label=None)
    # unit number stencil (digits only)
    if rng.random() < 0.6:
        txt = f"{int(rng.integers(1, 999))}"
        cap = rng.uniform(0.08, 0.15) * hb
        patch, _th = _text_patch(txt, _FONTS[0], max(8.0, cap))
        roi, al = _stamp_text(cv, patch, np.array([X(L * 0.65), ybot - 0.4 * hb]), np.array([1.0, 0.0]))
        if roi is not None:
            cv.put(roi, al * 0.9, _lch(rng, (85, 95), (0, 6), (60, 100)) * sh_side, 0)
    # shells / rockets with one yellow band
    if rng.random() < 0.7:
        for _ in range(int(rng.integers(1, 5))):
            ls = rng.uniform(0.08, 0.25) * W
            rs = ls * rng.uniform(0.08, 0.16)
            p0 = np.array([rng.uniform(0.05, 0.8) * W, rng.uniform(max(yg, 0.7 * H), 0.97 * H)])
            ang = math.radians(rng.uniform(-20, 20))
            p1 = p0 + ls * np.array([math.cos(ang), math.sin(ang)])
            body = _lch(rng, *_COVER_OLIVE) if rng.random() < 0.7 else _lch(rng, (20, 35), (0, 6), (0, 360))
            cyl = _Cyl.between(p0, p1, rs)
            _shadow(cv, light, [_thick_line(p0 + [0, rs], p1 + [0, rs], rs * 2)], 0.8)
            _cyl_section(cv, cyl, 0, ls * 0.8, body, light, rc=rs * 0.1, tex=(0.03, 0.05))
            nose = np.array([cyl.pt(ls * 0.8, -rs), cyl.pt(ls, 0), cyl.pt(ls * 0.8, rs)])
            _fill_poly(cv, nose, body, shade=light.flat((0, 0, 1)), tex=(0.03, 0.05, 0.0))
            if rng.random() < 0.5:  # brass case
                _cyl_section(cv, cyl, 0, ls * 0.25, _lch(rng, (55, 70), (25, 40), (75, 90)), light, r_scale=1.01, spec=light.spec * 2)
            ub = ls * rng.uniform(0.45, 0.7)
            _cyl_section(cv, cyl, ub, ub + rng.uniform(0.04, 0.1) * ls, _lch(rng, *_BAND_YELLOW), light, r_scale=1.01, tex=(0.02, 0.03))
    return cv, light


def _render_camera_tripod(rng: np.random.Generator, W: int, H: int) -> tuple[_Canvas, _Light]:
    light = _random_light(rng)
    cv = _Canvas(W, H, rng)
    _style, y_h = _background(cv, rng, light, rng.uniform(0.3, 0.6) * H)
    if rng.random() < 0.3:
        _dress(cv, rng, light, y_h, 1, False, False)
    black = _lch(rng, (5, 18), (0, 4), (0, 360)) if rng.random() < 0.85 else _lch(rng, (30, 50), (0, 4), (0, 360))
    head = np.array([rng.uniform(0.3, 0.7) * W, rng.uniform(0.25, 0.45) * H])
    r1 = rng.uniform(0.005, 0.012) * W / 2 + 0.8
    legs = []
    for ag, ln in ((rng.uniform(110, 140), rng.uniform(0.35, 0.6)), (rng.uniform(80, 100), rng.uniform(0.3, 0.5)), (rng.uniform(40, 70), rng.uniform(0.35, 0.6))):
        p1 = head + ln * H * np.array([math.cos(math.radians(ag)), math.sin(math.radians(ag))])
        legs.append(_Cyl.between(head + [0, 0.03 * H], p1, r1))
    gy = max(lg.pt(lg.L, 0)[1] for lg in legs)
    _shadow(cv, light, [_thick_line(lg.pt(lg.L, 0), np.array([head[0], gy]) + light.shadow_vec * (gy - head[1]), r1 * 2) for lg in legs])
    spec = light.spec * 1.5
    for lg in legs:
        sec = [0.0, lg.L * rng.uniform(0.35, 0.45), lg.L * rng.uniform(0.65, 0.75), lg.L]
        for k in range(3):
            _cyl_section(cv, lg, sec[k], sec[k + 1], black, light, r_scale=1.0 - 0.18 * k, rc=r1 * 0.3, spec=spec)
        for k in (1, 2):  # leg-lock clamps (dark, never yellow)
            _cyl_section(cv, lg, sec[k] - 1.5 * r1, sec[k] + 0.8 * r1, black * 1.3 + 0.005, light, r_scale=1.35 - 0.15 * k, rc=r1 * 0.3, spec=spec)
        _cyl_section(cv, lg, lg.L - 2 * r1, lg.L, black * 0.6, light, r_scale=1.2, rc=r1)
    # centre column, head, camera
    col_c = _Cyl.between(head + [0, 0.06 * H], head - [0, 0.04 * H], r1 * 1.3)
    _cyl_section(cv, col_c, 0, col_c.L, black, light, spec=spec)
    _fill_poly(cv, _ellipse_pts(head - [0, 0.05 * H], r1 * 3, r1 * 2.5), black * 1.2, shade=light.flat((0, 0, 1)))
    cw = rng.uniform(0.08, 0.16) * min(W, H)
    chh = cw * rng.uniform(0.6, 0.8)
    cbase = head - [0, 0.06 * H]
    body = np.array([cbase + [-cw / 2, 0], cbase + [cw / 2, 0], cbase + [cw / 2, -chh], cbase + [-cw / 2, -chh]])
    _fill_poly(cv, body, black, shade=light.flat((0, 0, 1)), tex=(0.04, 0.06, 0.0), grad=(-light.l[0] * 0.4, -light.l[1] * 0.4, cw))
    lens_c = cbase + [rng.choice([-1, 1]) * cw * 0.1, -chh * 0.45]
    _fill_poly(cv, _ellipse_pts(lens_c, chh * 0.38, chh * 0.38), black * 0.7)
    _fill_poly(cv, _ellipse_pts(lens_c, chh * 0.25, chh * 0.25), _lch(rng, (5, 20), (0, 15), (200, 280)), grad=(0.5, 0.5, chh))
    if rng.random() < 0.5:  # yellow strap hanging from the camera
        yellow = _lch(rng, *_BAND_YELLOW)
        p0 = cbase + [-cw / 2, -chh * 0.8]
        p3 = cbase + [cw / 2, -chh * 0.8]
        sag = rng.uniform(0.1, 0.35) * H
        tt = np.linspace(0, 1, 30)[:, None]
        ctrl1 = p0 + [-0.1 * cw, sag]
        ctrl2 = p3 + [0.1 * cw, sag]
        curve = (1 - tt) ** 3 * p0 + 3 * (1 - tt) ** 2 * tt * ctrl1 + 3 * (1 - tt) * tt**2 * ctrl2 + tt**3 * p3
        layer = _Layer(H, W)
        layer.line(curve, max(2, 0.008 * W), _srgb8(yellow * light.flat((0, 0, 1))))
        layer.flush(cv, (0.03, 0.05, 0.0))
    return cv, light


_NEGATIVE_RENDERERS: dict[str, Callable[[np.random.Generator, int, int], tuple[_Canvas, _Light]]] = {
    "empty": _render_empty,
    "vegetation": _render_vegetation,
    "road_lines": _render_road_lines,
    "hazard_stripes": _render_hazard_stripes,
    "green_tarp": _render_green_tarp,
    "yellow_sign": _render_yellow_sign,
    "yellow_flowers": _render_yellow_flowers,
    "olive_vehicle": _render_olive_vehicle,
    "camera_tripod": _render_camera_tripod,
}


# ----------------------------------------------------------------------------
# Public API: rendering
# ----------------------------------------------------------------------------
def render_scene(
    kind: str,
    seed: int,
    size: tuple[int, int] = (1280, 960),
    *,
    show_tape: bool = True,
    legs_with_bands: int = 3,
    show_cover: bool = True,
    serial: str | None = None,
) -> SyntheticScene:
    """Render one synthetic photo-like scene with exact cue ground truth.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    seed : int
        Seed for ``np.random.default_rng``; the same arguments give the same
        image, byte for byte.
    size : tuple of int, optional
        ``(width, height)`` of the image in pixels.
    show_tape : bool, optional
        ``toofan`` only: ``False`` omits the green security-seal tape.
    legs_with_bands : int, optional
        ``toofan`` only: how many tripod legs (0-3) show all three yellow
        bands; the others are cut off by the frame, occluded (person, crate,
        sandbags, rock or foliage) or out of shot.
    show_cover : bool, optional
        ``toofan`` / ``us``: ``False`` hides most of the tube behind an
        occluder (``truth["cover"]`` and ``truth["tube_bbox"]`` are ``None``);
        the tape, if shown, stays visible on the uncovered end.
    serial : str or None, optional
        ``toofan`` / ``us``: text to stencil on the tube.  ``None`` chooses by
        kind (four random capital letters for Toofan, a digits/words marking
        for US; 20 % of these are partly hidden, then ``truth["serial"]`` is
        ``None``); ``""`` draws no serial.

    Returns
    -------
    SyntheticScene
        ``image`` is ``(H, W, 3)`` uint8 RGB; ``truth`` is a JSON-serialisable
        dict with keys ``kind``, ``toofan``, ``launcher``, ``green_seal_tape``,
        ``tape_bbox``, ``yellow_bands``, ``band_groups``, ``band_bboxes``,
        ``cover``, ``tube_bbox``, ``serial``, ``serial_bbox`` (boxes are
        ``[x, y, w, h]`` ints in image pixels, ``None`` when absent).

    Raises
    ------
    ValueError
        For an unknown kind, a bad size or ``legs_with_bands`` outside 0-3.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    W, H = int(size[0]), int(size[1])
    if W < 64 or H < 64:
        raise ValueError(f"size too small: {size!r}")
    if not 0 <= int(legs_with_bands) <= 3:
        raise ValueError("legs_with_bands must be in 0..3")
    # the kind is mixed into the seed so that e.g. toofan/us scenes with the
    # same seed do not share a layout
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFFFFFF, KINDS.index(kind)])
    truth: dict[str, Any] = {
        "kind": kind,
        "toofan": kind == "toofan",
        "launcher": kind in LAUNCHER_KINDS,
        "green_seal_tape": False,
        "tape_bbox": None,
        "yellow_bands": 0,
        "band_groups": 0,
        "band_bboxes": [],
        "cover": None,
        "tube_bbox": None,
        "serial": None,
        "serial_bbox": None,
    }
    if kind in LAUNCHER_KINDS:
        res = None
        for _attempt in range(40):
            res = _render_launcher(rng, W, H, kind, bool(show_tape), int(legs_with_bands), bool(show_cover), serial)
            if res is not None:
                break
        if res is None:  # pragma: no cover - layout failure is practically impossible
            raise RuntimeError(f"could not lay out a {kind} scene for seed {seed} at size {size}")
        cv, light, cue_truth = res
        truth.update(cue_truth)
    else:
        cv, light = _NEGATIVE_RENDERERS[kind](rng, W, H)
    image = _finish(cv, rng, light)
    return SyntheticScene(image=image, truth=truth)


# ----------------------------------------------------------------------------
# Public API: social-media degradation
# ----------------------------------------------------------------------------
def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("expected an (H, W, 3) uint8 RGB image")
    return image


def downscale(image: np.ndarray, factor: float) -> np.ndarray:
    """Resize by ``factor`` (< 1 shrinks) with area interpolation.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    factor : float
        Scale factor; output size is ``round(W*factor) x round(H*factor)``.
        ``factor >= 1`` returns a copy unchanged.

    Returns
    -------
    numpy.ndarray
        ``(H', W', 3)`` uint8 RGB.
    """
    image = _check_image(image)
    if factor >= 1.0:
        return image.copy()
    h, w = image.shape[:2]
    nw, nh = max(1, int(round(w * factor))), max(1, int(round(h * factor)))
    return cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)


def colour_cast(image: np.ndarray, gains: Sequence[float]) -> np.ndarray:
    """Multiply the R, G and B channels by independent ``gains``.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    gains : sequence of float
        Three per-channel gains (R, G, B), e.g. in ``[0.85, 1.15]``.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB, rounded and clipped.
    """
    image = _check_image(image)
    g = np.asarray(gains, dtype=np.float32).reshape(1, 1, 3)
    return np.clip(np.rint(image.astype(np.float32) * g), 0, 255).astype(np.uint8)


def jpeg_bytes(image: np.ndarray, quality: int) -> bytes:
    """Encode an RGB image as baseline JPEG with 4:2:0 chroma subsampling.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    quality : int
        JPEG quality 1-100.

    Returns
    -------
    bytes
        The JPEG file.
    """
    image = _check_image(image)
    params = [
        cv2.IMWRITE_JPEG_QUALITY,
        int(quality),
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
    ]
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params)
    if not ok:  # pragma: no cover
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


def decode_jpeg(data: bytes) -> np.ndarray:
    """Decode JPEG (or any OpenCV-readable) bytes to an RGB uint8 image.

    Parameters
    ----------
    data : bytes
        Encoded image.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    """
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise ValueError("could not decode image bytes")
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """Compress with :func:`jpeg_bytes` and decode again.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    quality : int
        JPEG quality 1-100.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB after one JPEG (4:2:0) generation.
    """
    return decode_jpeg(jpeg_bytes(image, quality))


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels (0 = copy).

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    sigma : float
        Blur sigma in pixels.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    """
    image = _check_image(image)
    if sigma <= 0:
        return image.copy()
    return cv2.GaussianBlur(image, (0, 0), float(sigma))


def add_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian sensor noise of ``sigma`` grey levels to every channel.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    sigma : float
        Noise standard deviation in 8-bit levels.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB, rounded and clipped.
    """
    image = _check_image(image)
    if sigma <= 0:
        return image.copy()
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(np.rint(image.astype(np.float32) + noise), 0, 255).astype(np.uint8)


_LONG_SIDES = (1280, 960, 800, 640)


def degrade(image: np.ndarray, seed: int) -> tuple[bytes, dict]:
    """Apply a random social-media repost chain and return JPEG bytes.

    The chain, in order: optional downscale to a long side of 1280, 960, 800
    or 640 px (only if smaller than the input; INTER_AREA), optional Gaussian
    blur (sigma 0-1.2), optional sensor noise (sigma 0-4 levels), optional
    colour cast (independent per-channel gains in [0.85, 1.15], sometimes up
    to +-20 %), JPEG at quality 35-90 with 4:2:0 chroma subsampling and, with
    probability 0.3, a second recompression at another quality 40-85.

    Parameters
    ----------
    image : numpy.ndarray
        ``(H, W, 3)`` uint8 RGB.
    seed : int
        Seed for ``np.random.default_rng``.

    Returns
    -------
    data : bytes
        The final JPEG file.
    params : dict
        JSON-serialisable parameters actually applied: ``input_size`` and
        ``output_size`` (``[w, h]``), ``scale`` (output/input width ratio,
        1.0 if not downscaled), ``target_long_side`` (int or None),
        ``blur_sigma``, ``noise_sigma`` (0.0 when not applied),
        ``colour_gains`` ([r, g, b] or None), ``jpeg_quality``,
        ``chroma_subsampling`` ("4:2:0") and ``recompress_quality``
        (int or None).
    """
    image = _check_image(image)
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    out = image
    target = None
    if rng.random() < 0.65:
        options = [s for s in _LONG_SIDES if s < max(w, h)]
        if options:
            target = int(options[int(rng.integers(0, len(options)))])
            out = downscale(out, target / max(w, h))
    sigma_b = float(rng.uniform(0.0, 1.2)) if rng.random() < 0.35 else 0.0
    if sigma_b > 0:
        out = blur(out, sigma_b)
    sigma_n = float(rng.uniform(0.0, 4.0)) if rng.random() < 0.5 else 0.0
    if sigma_n > 0:
        out = add_noise(out, sigma_n, rng)
    gains = None
    if rng.random() < 0.6:
        span = 0.2 if rng.random() < 0.25 else 0.15
        gains = [round(float(x), 4) for x in rng.uniform(1 - span, 1 + span, 3)]
        out = colour_cast(out, gains)
    q1 = int(rng.integers(35, 91))
    data = jpeg_bytes(out, q1)
    q2 = None
    if rng.random() < 0.3:
        q2 = int(rng.integers(40, 86))
        while q2 == q1:
            q2 = int(rng.integers(40, 86))
        data = jpeg_bytes(decode_jpeg(data), q2)
    oh, ow = out.shape[:2]
    params = {
        "input_size": [int(w), int(h)],
        "output_size": [int(ow), int(oh)],
        "scale": float(ow) / float(w),
        "target_long_side": target,
        "blur_sigma": round(sigma_b, 4),
        "noise_sigma": round(sigma_n, 4),
        "colour_gains": gains,
        "jpeg_quality": q1,
        "chroma_subsampling": "4:2:0",
        "recompress_quality": q2,
    }
    return data, params
