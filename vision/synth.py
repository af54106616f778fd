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


def _to_srgb8_img(lin: np.ndarray) -> np.ndarray:
    idx = np.clip(lin * (_L2S_N - 1) + 0.5, 0, _L2S_N - 1).astype(np.int32)
    return _L2S_LUT[idx]


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
    acc = np.zeros((H, W), np.float32)
    amp = 1.0
    for _ in range(octaves):
        acc += amp * _value_noise(rng, H, W, cell)
        cell /= 2.0
        amp *= gain
    s = float(acc.std()) or 1.0
    return (acc - acc.mean()) / s


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
        fine = rng.standard_normal((H, W)).astype(np.float32)
        self.fine = cv2.GaussianBlur(fine, (0, 0), 0.7)
        self.fine /= float(self.fine.std()) or 1.0
        self.med = _fractal(rng, H, W, max(W, H) / 70.0, 3)
        self.coarse = _fractal(rng, H, W, max(W, H) / 8.0, 3)

    def new_label(self) -> int:
        lab = self._next
        self._next += 1
        return lab

    def tex(self, roi: Roi, fine: float, med: float, coarse: float = 0.0) -> np.ndarray:
        y0, y1, x0, x1 = roi
        t = 1.0 + fine * self.fine[y0:y1, x0:x1] + med * self.med[y0:y1, x0:x1]
        if coarse:
            t = t + coarse * self.coarse[y0:y1, x0:x1]
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
        sub *= 1.0 - a
        sub += a * np.asarray(colour, dtype=np.float32)
        if label is not None:
            lab = self.label[y0:y1, x0:x1]
            lab[alpha > 0.5] = label

    def poly_alpha(self, polys: Sequence[np.ndarray], pad: float = 2.0) -> tuple[Roi | None, np.ndarray | None]:
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
        ld = s * float(n2 @ self.l[:2]) + nz * float(self.l[2])
        hd = s * float(n2 @ self.h[:2]) + nz * float(self.h[2])
        shade = (self.ambient + self.diffuse * np.maximum(ld, 0.0)) * (1.0 - ao * (1.0 - np.sqrt(nz)))
        spec = np.maximum(hd, 0.0) ** self.shininess
        return shade.astype(np.float32), spec.astype(np.float32)


def _random_light(rng: np.random.Generator) -> _Light:
    overcast = rng.random() < 0.25
    if rng.random() < 0.85:
        az = rng.uniform(math.radians(195), math.radians(345))  # from above
    else:
        az = rng.uniform(0, 2 * math.pi)
    lz = rng.uniform(0.25, 0.85)
    lxy = math.sqrt(1 - lz * lz)
    l = np.array([lxy * math.cos(az), lxy * math.sin(az), lz])
    h = l + np.array([0.0, 0.0, 1.0])
    h /= np.linalg.norm(h)
    if overcast:
        ambient, diffuse = rng.uniform(0.5, 0.7), rng.uniform(0.3, 0.45)
        spec, shadow, sblur = rng.uniform(0.02, 0.08), rng.uniform(0.1, 0.25), rng.uniform(4, 10)
    else:
        ambient, diffuse = rng.uniform(0.22, 0.4), rng.uniform(0.7, 0.95)
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
    extra: Callable[[np.ndarray, np.ndarray, Roi], np.ndarray] | None = None,
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
    if extra is not None:
        col = extra(col, alpha, roi)
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
    H, W = cv.H, cv.W
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
    X, Y = cv.grid(roi)
    depth = np.clip((Y - y_h) / max(H - y_h, 1.0), 0, 1)
    far = _varied(rng, base, 0.05) * np.float32(rng.uniform(1.0, 1.25))
    col = far[None, None, :] * (1 - depth[..., None]) + base[None, None, :] * depth[..., None]
    t = cv.tex(roi, rng.uniform(0.05, 0.12), rng.uniform(0.06, 0.14), rng.uniform(0.05, 0.15))
    if style == "desert":
        ang = rng.uniform(0, math.pi)
        lam = rng.uniform(0.2, 0.5) * W
        y0, y1, x0, x1 = roi
        dune = 1 + rng.uniform(0.05, 0.14) * np.sin(2 * math.pi * (X * math.cos(ang) + Y * math.sin(ang)) / lam + 2.5 * cv.coarse[y0:y1, x0:x1])
        lr = rng.uniform(6, 16) * (0.3 + depth)
        rip = 1 + rng.uniform(0.02, 0.06) * np.sin(2 * math.pi * (X * 0.3 + Y) / lr + 1.5 * cv.med[y0:y1, x0:x1])
        t = t * dune * rip
    cv.put(roi, alpha, col * t[..., None], 0)
    return base


def _paint_bushes(cv: _Canvas, rng: np.random.Generator, y_h: float, n: int, palette: str = "dry") -> None:
    layer = _Layer(cv.H, cv.W)
    for _ in range(n):
        y = rng.uniform(y_h, cv.H)
        s = np.clip((y - y_h) / max(cv.H - y_h, 1), 0.05, 1.0)
        R = rng.uniform(0.02, 0.07) * cv.W * s
        x = rng.uniform(0, cv.W)
        if palette == "dry":
            base = _lch(rng, (22, 45), (6, 22), (70, 125))
        else:
            base = _lch(rng, (20, 55), (15, 55), (105, 145))
        for _k in range(int(rng.integers(8, 30))):
            dx, dy = rng.normal(0, R * 0.6), -abs(rng.normal(0, R * 0.5))
            lv = rng.uniform(0.6, 1.25) * (1.15 if dy < -R * 0.4 else 1.0)
            c = _srgb8(np.clip(base * lv, 0, 1))
            ax = rng.uniform(0.15, 0.45) * R + 0.6
            layer.ellipse((x + dx, y + dy), (ax, ax * rng.uniform(0.4, 1.0)), rng.uniform(0, 180), c)
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
        for i in range(n):
            c = (bright if isb[i] else dark)[pick[i]] * lv[i]
            layer.ellipse((xs[i], ys[i]), (axs[i], ays[i]), angs[i], _srgb8(np.clip(c, 0, 1)))
        layer.flush(cv, (0.06, 0.08, 0.0), blur=blur * (2 - depth) / 2)


def _paint_grass(cv: _Canvas, rng: np.random.Generator, y_top: float, n: int, palette: str = "green") -> None:
    layer = _Layer(cv.H, cv.W)
    for _ in range(n):
        y = rng.uniform(y_top, cv.H + 5)
        s = np.clip((y - y_top) / max(cv.H - y_top, 1), 0.05, 1.0)
        L = rng.uniform(0.01, 0.06) * cv.H * s + 2
        x = rng.uniform(0, cv.W)
        bend = rng.normal(0, 0.4)
        pts = np.array([[x, y], [x + bend * L * 0.3, y - L * 0.5], [x + bend * L, y - L]])
        if palette == "green":
            c = _lch(rng, (28, 70), (20, 60), (100, 135))
        else:
            c = _lch(rng, (45, 75), (10, 30), (70, 95))
        layer.line(pts, max(1.0, 2.0 * s * cv.W / 1000), _srgb8(c))
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
        cloth = _lch(rng, (25, 45), (5, 20), (220, 270))  # dark blue
    trousers = _varied(rng, cloth, 0.15)
    skin = _lch(rng, (30, 70), (10, 30), (40, 70))
    helmet = rng.random() < 0.5
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
        c = _srgb8(_lch(rng, (20, 40), (0, 4), (0, 360)))
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
    if rng.random() < 0.3:  # atmospheric haze
        haze = _lch(rng, (75, 92), (0, 12), (60, 240))
        k = np.float32(rng.uniform(0.03, 0.15))
        img *= 1 - k
        img += k * haze
    H, W = cv.H, cv.W
    yy = (np.arange(H, dtype=np.float32) - H / 2) / (H / 2)
    xx = (np.arange(W, dtype=np.float32) - W / 2) / (W / 2)
    vig = 1.0 - np.float32(rng.uniform(0.0, 0.25)) * (yy[:, None] ** 2 + xx[None, :] ** 2) / 2
    img *= vig[..., None]
    # soft highlight shoulder
    np.minimum(img, 0.8 + 0.2 * np.tanh((img - 0.8) / 0.2), out=img)
    img = np.maximum(img, 0)
    out = _to_srgb8_img(img)
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 0.6))
    g = rng.uniform(0.5, 2.0)
    noise = cv.fine[..., None] * np.float32(g) + rng.standard_normal((H, W, 1)).astype(np.float32) * np.float32(g * 0.5)
    return np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)
