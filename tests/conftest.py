"""Shared fixtures: every image is built in code, never a golden file."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


def jpeg_bytes(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width x height`` but carries no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def gradient_image(width: int = 64, height: int = 48) -> np.ndarray:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None, None]
    rgb = np.concatenate([np.broadcast_to(x, (height, width, 1)), np.broadcast_to(y, (height, width, 1)), np.full((height, width, 1), 90.0)], axis=2)
    return rgb.astype(np.uint8)


def pil_bytes(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    """The bad-input table of the scan: each name maps to a file on disk."""
    base = gradient_image()
    good = jpeg_bytes(base)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    rgb16 = (base.astype(np.uint16) * 257)[:, :, ::-1]
    ok, png16 = cv2.imencode(".png", rgb16)
    files = {
        "zero_byte.jpg": b"",
        "truncated.jpg": good[: len(good) // 2],
        "text.jpg": b"this is not an image, just text\n" * 4,
        "one_pixel.png": pil_bytes(Image.new("RGB", (1, 1), (10, 200, 30)), "PNG"),
        "bomb.png": png_header_only(50000, 50000),
        "sixteen_bit.png": png16.tobytes(),
        "rgba.png": pil_bytes(Image.fromarray(np.dstack([base, np.full(base.shape[:2], 128, np.uint8)]), "RGBA"), "PNG"),
        "gray.png": pil_bytes(Image.fromarray(base[:, :, 0], "L"), "PNG"),
        "cmyk.jpg": pil_bytes(Image.fromarray(base, "RGB").convert("CMYK"), "JPEG", quality=95),
        "exif_rotated.jpg": pil_bytes(Image.fromarray(base, "RGB"), "JPEG", quality=95, exif=exif),
        "good.jpg": good,
    }
    paths = {}
    for name, data in files.items():
        p = tmp_path / "inputs" / name
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
        paths[name] = p
    return paths
