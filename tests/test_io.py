from __future__ import annotations

import numpy as np
import pytest

from conftest import gradient_image
from vision.io import ImageLoadError, as_rgb_uint8, decode_image, load_image, write_image


@pytest.mark.parametrize(
    "name, expected_shape, error",
    [
        ("zero_byte.jpg", None, "empty file"),
        ("truncated.jpg", None, "is damaged or truncated"),
        ("text.jpg", None, "not a recognised image format"),
        ("bomb.png", None, "decompression bomb"),
        ("one_pixel.png", (1, 1, 3), None),
        ("sixteen_bit.png", (48, 64, 3), None),
        ("rgba.png", (48, 64, 3), None),
        ("gray.png", (48, 64, 3), None),
        ("cmyk.jpg", (48, 64, 3), None),
        ("exif_rotated.jpg", (64, 48, 3), None),
        ("good.jpg", (48, 64, 3), None),
    ],
)
def test_load_table(bad_files, name, expected_shape, error):
    path = bad_files[name]
    if error:
        with pytest.raises(ImageLoadError, match=error) as info:
            load_image(path)
        assert str(path) in str(info.value), "the message must name the file"
    else:
        img = load_image(path)
        assert img.rgb.shape == expected_shape
        assert img.rgb.dtype == np.uint8
        assert len(img.sha256) == 64


def test_missing_file_names_path(tmp_path):
    with pytest.raises(ImageLoadError, match="file not found"):
        load_image(tmp_path / "nope.jpg")


def test_exif_orientation_moves_pixels(bad_files):
    """Orientation 6 means: rotate the stored image 90 degrees clockwise for display."""
    stored = gradient_image()
    shown = load_image(bad_files["exif_rotated.jpg"]).rgb
    expected = np.rot90(stored, k=-1)
    assert np.abs(shown.astype(int) - expected.astype(int)).mean() < 3


def test_cmyk_colours_survive(bad_files):
    shown = load_image(bad_files["cmyk.jpg"]).rgb.astype(int)
    assert np.abs(shown - gradient_image().astype(int)).mean() < 12


def test_sixteen_bit_scaled_not_clipped(bad_files):
    shown = load_image(bad_files["sixteen_bit.png"]).rgb.astype(int)
    assert np.abs(shown - gradient_image().astype(int)).max() <= 1


def test_alpha_composited_on_white(bad_files):
    img = load_image(bad_files["rgba.png"])
    base = gradient_image().astype(float)
    expected = base * 128 / 255 + 255 * (1 - 128 / 255)
    assert np.abs(img.rgb - expected).max() <= 2
    assert any("alpha" in n for n in img.notes)


def test_pixel_limit_is_configurable(bad_files):
    with pytest.raises(ImageLoadError, match="above the limit of 100"):
        load_image(bad_files["good.jpg"], max_pixels=100)


@pytest.mark.parametrize(
    "value, error, match",
    [
        (np.zeros((4, 4)), ValueError, r"expected \(H, W, 3\) RGB image, got shape \(4, 4\)"),
        (np.zeros((4, 4, 4), np.uint8), ValueError, "got shape"),
        ([[1, 2, 3]], TypeError, "expected a numpy ndarray, got list"),
        (np.zeros((4, 4, 3), np.int32), TypeError, "dtype int32"),
    ],
)
def test_as_rgb_uint8_errors(value, error, match):
    with pytest.raises(error, match=match):
        as_rgb_uint8(value)


def test_float_images_scaled():
    out = as_rgb_uint8(np.full((2, 2, 3), 1.0, np.float32))
    assert out.dtype == np.uint8 and out.max() == 255


def test_write_read_roundtrip(tmp_path):
    img = gradient_image()
    path = write_image(tmp_path / "x.png", img)
    assert np.array_equal(load_image(path).rgb, img)


def test_decode_rejects_bad_limit():
    with pytest.raises(ValueError, match="max_pixels"):
        decode_image(b"x", max_pixels=0)


def _jpeg(mode="RGB", trailer=b"", cut=0, size=(64, 48), **save):
    """A JPEG of a gradient in Pillow ``mode``, cut short by ``cut`` bytes, ``trailer`` appended."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(gradient_image(*size)).convert(mode).save(buf, format="JPEG", **save)
    data = buf.getvalue()
    return (data[:-cut] if cut else data) + trailer


@pytest.mark.parametrize("mode", ["RGB", "L"])
@pytest.mark.parametrize("trailer", [b"", b"\0\0", b"appended bytes"])
def test_jpeg_pixels_match_pillow(tmp_path, mode, trailer):
    """Every JPEG loads to Pillow's own pixels, whichever decoder ran (trailing bytes included)."""
    import io

    from PIL import Image

    data = _jpeg(mode, trailer, size=(128, 96), quality=70)
    expected = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    loaded = decode_image(data)
    assert loaded.rgb.shape == (96, 128, 3)
    np.testing.assert_array_equal(loaded.rgb, expected)
    assert ("grayscale expanded to RGB" in loaded.notes) == (mode == "L")


@pytest.mark.parametrize(
    "case, data, fast",
    [
        ("baseline RGB", _jpeg(), True),
        ("progressive", _jpeg(progressive=True), True),
        ("4:4:4", _jpeg(subsampling=0), True),
        ("grayscale", _jpeg("L"), True),
        ("zero padding after the end", _jpeg(trailer=b"\0" * 8), True),
        ("other bytes after the end", _jpeg(trailer=b"more"), False),
        ("truncated", _jpeg(cut=40), False),
        ("CMYK", _jpeg("CMYK"), False),
        ("EXIF-rotated", _jpeg(exif=b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0"), False),
    ],
)
def test_which_jpegs_take_the_fast_decoder(case, data, fast):
    """OpenCV decodes plain, complete, upright JPEGs; Pillow the rest (and names damage)."""
    import io

    from PIL import Image

    from vision.io import _decode_plain_jpeg

    pil = Image.open(io.BytesIO(data))
    orientation = pil.getexif().get(0x0112, 1)
    rgb = _decode_plain_jpeg(data, pil, orientation, [])
    assert (rgb is not None) == fast, case
    if case == "truncated":
        with pytest.raises(ImageLoadError, match="truncated"):
            decode_image(data)
    else:
        assert decode_image(data).rgb.shape[2] == 3
