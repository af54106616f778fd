"""A thin wrapper round the Tesseract OCR engine (through ``pytesseract``).

Tesseract is a separate program (Debian package ``tesseract-ocr``, which ships the English
model); ``scripts/setup.sh`` installs it. Nothing is downloaded at run time.

Starting Tesseract and loading its model costs far more than reading a small crop, so
:func:`read_lines` passes every crop of a photo to *one* Tesseract process (a list file
of images), each read in single-line mode, and returns per-character confidences taken
from the hOCR output.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

try:  # a missing wrapper is reported like a missing program, never raised at import
    import pytesseract
except ImportError:  # pragma: no cover - pytesseract is a declared dependency
    pytesseract = None

__all__ = ["LineReading", "TesseractMissingWarning", "tesseract_path", "tesseract_version", "read_lines", "warn_missing_once"]

#: Reason given by cues that need Tesseract when it cannot be found.
MISSING_REASON = "tesseract not installed"
#: What to install, for the warning and ``scripts/setup.sh``.
INSTALL_HINT = "install the Debian package tesseract-ocr (apt-get install -y tesseract-ocr) and pytesseract"


class TesseractMissingWarning(RuntimeWarning):
    """Tesseract (or pytesseract) is not installed: OCR cues are not assessable."""


@dataclass(frozen=True)
class LineReading:
    """What Tesseract read on one single-line crop.

    Attributes
    ----------
    text : str
        The line, words separated by single spaces (``""`` when nothing was read).
    chars : tuple of str
        Characters read, spaces left out.
    confidences : tuple of float
        Tesseract's confidence for each character of ``chars``, 0-100.
    boxes : tuple of (x0, y0, x1, y1)
        Each character's box in the crop's pixels.
    """

    text: str
    chars: tuple[str, ...]
    confidences: tuple[float, ...]
    boxes: tuple[tuple[int, int, int, int], ...]

    def __post_init__(self) -> None:
        if not len(self.chars) == len(self.confidences) == len(self.boxes):
            raise ValueError(f"expected one confidence and one box per character ({len(self.chars)}), got {len(self.confidences)} and {len(self.boxes)}")


def tesseract_path() -> str | None:
    """Path of the Tesseract program, or ``None`` when it (or pytesseract) is missing."""
    if pytesseract is None:
        return None
    return shutil.which(pytesseract.pytesseract.tesseract_cmd)


def tesseract_version() -> str | None:
    """Tesseract's version string, or ``None`` when it is missing."""
    if tesseract_path() is None:
        return None
    return str(pytesseract.get_tesseract_version())


_warned = False


def warn_missing_once() -> None:
    """Warn (once per process) that Tesseract is missing and what to install."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(f"{MISSING_REASON}: OCR cues are not assessable; {INSTALL_HINT}", TesseractMissingWarning, stacklevel=3)


_CHAR = re.compile(r"<span class='ocrx_cinfo' title='x_bboxes (\d+) (\d+) (\d+) (\d+); x_conf ([0-9.]+)'>([^<]*)</span>")


def _parse_hocr(text: str, pages: int) -> list[LineReading]:
    """One :class:`LineReading` per ``ocr_page`` of Tesseract's hOCR (with ``hocr_char_boxes``)."""
    out = []
    for page in text.split("class='ocr_page'")[1:]:
        words, chars, confs, boxes = [], [], [], []
        for word in page.split("class='ocrx_word'")[1:]:
            found = [(html.unescape(ch), float(c), (int(x0), int(y0), int(x1), int(y1))) for x0, y0, x1, y1, c, ch in _CHAR.findall(word)]
            found = [f for f in found if f[0].strip()]
            if found:
                words.append("".join(f[0] for f in found))
                chars.extend(f[0] for f in found)
                confs.extend(f[1] for f in found)
                boxes.extend(f[2] for f in found)
        out.append(LineReading(" ".join(words), tuple(chars), tuple(confs), tuple(boxes)))
    if len(out) != pages:
        raise RuntimeError(f"tesseract returned {len(out)} page(s) for {pages} image(s)")
    return out


def read_lines(images: Sequence[np.ndarray], *, whitelist: str, psm: int = 7, timeout: float = 30.0, extra: str = "") -> list[LineReading]:
    """Read each image as one line of text, in a single Tesseract run.

    Parameters
    ----------
    images : sequence of (h, w) uint8 ndarray
        Crops with dark text on a light background (Tesseract's preference).
    whitelist : str
        Characters Tesseract may output (``tessedit_char_whitelist``).
    psm : int
        Tesseract page segmentation mode; 7 is a single text line.
    timeout : float
        Seconds before the Tesseract process is stopped (raises ``RuntimeError``).

    Returns
    -------
    list of LineReading
        One per image, in order.

    Raises
    ------
    FileNotFoundError
        When Tesseract is not installed (check :func:`tesseract_path` first).

    Examples
    --------
    >>> img = np.full((60, 200), 255, np.uint8)
    >>> _ = cv2.putText(img, "ABCD", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    >>> read_lines([img], whitelist="ABCDEFGHIJKLMNOPQRSTUVWXYZ")[0].text  # doctest: +SKIP
    'ABCD'
    """
    if not images:
        return []
    for i, img in enumerate(images):
        if not (isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 2):
            got = f"{img.dtype} {img.shape}" if isinstance(img, np.ndarray) else type(img).__name__
            raise ValueError(f"images[{i}]: expected an (h, w) uint8 ndarray, got {got}")
    if not whitelist or any(c.isspace() or c in "'\"" for c in whitelist):
        raise ValueError(f"whitelist: expected printable characters without spaces or quotes, got {whitelist!r}")
    if tesseract_path() is None:
        raise FileNotFoundError(MISSING_REASON)
    config = f"--psm {int(psm)} --oem 1 -c tessedit_char_whitelist={whitelist} -c hocr_char_boxes=1 {extra}"
    with tempfile.TemporaryDirectory(prefix="vision-ocr-") as tmp:
        names = []
        for i, img in enumerate(images):
            name = str(Path(tmp) / f"line{i:03d}.png")
            if not cv2.imwrite(name, img):
                raise RuntimeError(f"could not write the OCR crop {name}")
            names.append(name)
        listing = Path(tmp) / "lines.txt"
        listing.write_text("\n".join(names) + "\n", encoding="utf-8")
        try:
            hocr = pytesseract.image_to_pdf_or_hocr(str(listing), extension="hocr", config=config, timeout=timeout)
        except pytesseract.TesseractNotFoundError:
            raise FileNotFoundError(MISSING_REASON) from None
    return _parse_hocr(hocr.decode("utf-8", "replace"), len(images))
