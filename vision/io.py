"""Loading and writing images: the only place where file formats and BGR exist.

Image convention for the whole package
--------------------------------------
Every image that leaves this module is an RGB ``(H, W, 3) uint8`` ndarray,
C-contiguous, in the *displayed* orientation (EXIF orientation applied). Colour
work inside the pipeline converts from that; OpenCV's BGR order never leaks out
of :func:`load_image` and :func:`write_image`.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "ImageLoadError",
    "LoadedImage",
    "as_rgb_uint8",
    "decode_image",
    "load_image",
    "write_image",
]

#: Refuse images whose header declares more pixels than this (decompression-bomb guard).
DEFAULT_MAX_PIXELS = 100_000_000

#: File suffixes picked up when a folder is scanned (explicitly named files are always tried).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"})

# Pillow's own guard would warn (or raise) before ours; ours names the file and the limit.
Image.MAX_IMAGE_PIXELS = None


class ImageLoadError(ValueError):
    """An image file could not be read; the message names the file and the reason."""


@dataclass(frozen=True)
class LoadedImage:
    """A decoded photo and what is known about its file.

    Attributes
    ----------
    rgb : (H, W, 3) uint8 ndarray
        Pixels in the displayed orientation.
    path : str
        Where it came from (``"<bytes>"`` when decoded from memory).
    sha256 : str
        Hex digest of the file's bytes.
    source_mode : str
        Pillow's mode of the stored image before conversion (``"RGB"``, ``"CMYK"``, ``"I;16"``, ...).
    notes : tuple of str
        Conversions applied (e.g. ``"exif orientation 6 applied"``, ``"alpha dropped"``).
    """

    rgb: np.ndarray
    path: str
    sha256: str
    source_mode: str
    notes: tuple[str, ...] = field(default=())

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


def load_image(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Read an image file into the package's RGB uint8 convention.

    Parameters
    ----------
    path : str or Path
        JPEG, PNG, WebP, TIFF or BMP file.
    max_pixels : int
        Refuse (before decoding) images whose header declares more pixels.

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageLoadError
        Missing, empty, truncated, non-image or oversized files; the message names the file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageLoadError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ImageLoadError(f"{path}: is a directory, not an image file") from None
    except OSError as exc:
        raise ImageLoadError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    return decode_image(data, name=str(path), max_pixels=max_pixels)


def decode_image(data: bytes, *, name: str = "<bytes>", max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Decode image bytes; see :func:`load_image`.

    Examples
    --------
    >>> import cv2, numpy as np
    >>> ok, buf = cv2.imencode(".png", np.zeros((2, 3, 3), np.uint8))
    >>> decode_image(buf.tobytes()).rgb.shape
    (2, 3, 3)
    """
    if not isinstance(max_pixels, int) or max_pixels <= 0:
        raise ValueError(f"max_pixels must be a positive int, got {max_pixels!r}")
    if len(data) == 0:
        raise ImageLoadError(f"{name}: empty file (0 bytes)")
    digest = hashlib.sha256(data).hexdigest()
    try:
        pil = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageLoadError(f"{name}: not a recognised image format") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageLoadError(f"{name}: image header is damaged or truncated ({exc})") from None

    width, height = pil.size
    if width * height > max_pixels:
        raise ImageLoadError(
            f"{name}: image declares {width}x{height} = {width * height:,} pixels, "
            f"above the limit of {max_pixels:,} (possible decompression bomb); refused before decoding"
        )
    if width < 1 or height < 1:
        raise ImageLoadError(f"{name}: image declares an empty size {width}x{height}")

    source_mode = pil.mode
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # Pillow warns on odd-but-legal metadata (e.g. corrupt EXIF); we report via notes.
            warnings.simplefilter("ignore")
            orientation = pil.getexif().get(0x0112, 1)
            rgb = _decode_plain_jpeg(data, pil, orientation, notes)
            if rgb is None:
                pil.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageLoadError(f"{name}: image data is damaged or truncated ({exc})") from None
    if rgb is None:
        if orientation not in (1, None):
            pil = ImageOps.exif_transpose(pil)
            notes.append(f"exif orientation {orientation} applied")
        rgb = _pil_to_rgb(pil, notes)
    return LoadedImage(rgb=rgb, path=name, sha256=digest, source_mode=source_mode, notes=tuple(notes))


_IMREAD_COLOR_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)


def _decode_plain_jpeg(data: bytes, pil: Image.Image, orientation: int | None, notes: list[str]) -> np.ndarray | None:
    """Decode a complete, upright RGB or grayscale JPEG with OpenCV; None for anything else.

    Pillow holds RGB at four bytes a pixel, and copying that out into numpy costs as much as
    the decode itself, while OpenCV's libjpeg-turbo decodes straight into an RGB array: the
    commonest input loads about twice as fast. Anything else (CMYK, EXIF-rotated, or without
    an end-of-image marker, so possibly truncated) is left to Pillow, which names the damage.
    """
    if pil.format != "JPEG" or pil.mode not in ("RGB", "L") or orientation not in (1, None):
        return None
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return None
    buf = np.frombuffer(data, np.uint8)
    if _IMREAD_COLOR_RGB is not None:
        rgb = cv2.imdecode(buf, _IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION)
    else:  # OpenCV before 4.11 decodes to BGR only
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
        rgb = None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if rgb is None or rgb.shape[:2] != (pil.height, pil.width):
        return None
    if pil.mode == "L":
        notes.append("grayscale expanded to RGB")
    return rgb


def _pil_to_rgb(pil: Image.Image, notes: list[str]) -> np.ndarray:
    """Convert any Pillow mode to RGB uint8, recording what was done."""
    mode = pil.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(pil, dtype=np.float64)
        peak = 65535.0 if mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        gray = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        notes.append(f"{mode} scaled to 8 bits")
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if mode == "F":
        arr = np.asarray(pil, dtype=np.float64)
        lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
        gray = np.zeros(arr.shape, np.uint8) if hi <= lo else ((arr - lo) / (hi - lo) * 255 + 0.5).astype(np.uint8)
        notes.append("float image rescaled to 8 bits")
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in pil.info):
        notes.append("alpha composited on white")
        rgba = pil.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        pil = Image.alpha_composite(background, rgba)
    elif mode == "CMYK":
        notes.append("CMYK converted to RGB")
    elif mode == "P":
        notes.append("palette expanded")
    elif mode in ("L", "1"):
        notes.append("grayscale expanded to RGB")
    if pil.mode != "RGB":
        pil = pil.convert("RGB")
    return np.ascontiguousarray(np.asarray(pil, dtype=np.uint8))


def as_rgb_uint8(image: np.ndarray, *, name: str = "image") -> np.ndarray:
    """Validate an in-memory image against the package convention.

    Accepts ``(H, W, 3) uint8`` as is; ``(H, W, 3)`` float in [0, 1] is scaled. Anything
    else raises, naming what was expected and what arrived.

    Examples
    --------
    >>> as_rgb_uint8(np.zeros((2, 2, 3), np.float32)).dtype
    dtype('uint8')
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name}: expected a numpy ndarray, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{name}: expected (H, W, 3) RGB image, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{name}: expected a non-empty image, got shape {image.shape}")
    if image.dtype == np.uint8:
        return np.ascontiguousarray(image)
    if np.issubdtype(image.dtype, np.floating):
        return np.ascontiguousarray(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8))
    raise TypeError(f"{name}: expected uint8 or float image, got dtype {image.dtype}")


def write_image(path: str | Path, image: np.ndarray, *, quality: int = 90) -> Path:
    """Write an RGB uint8 image; the format follows the suffix (``.jpg``, ``.png``, ``.webp``).

    Raises
    ------
    OSError
        When the encoder or the file system refuses.
    """
    path = Path(path)
    rgb = as_rgb_uint8(image)
    params: list[int] = []
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    elif suffix == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, int(quality)]
    ok, buf = cv2.imencode(suffix or ".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise OSError(f"{path}: encoder refused format {suffix!r}")
    path.write_bytes(buf.tobytes())
    return path
