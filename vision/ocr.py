"""A thin wrapper round the Tesseract OCR engine, in process (through ``tesserocr``).

``tesserocr`` links libtesseract into Python (its wheels bundle the library); the English
model, ``eng.traineddata``, comes from the system's Tesseract installation (Debian package
``tesseract-ocr``, which ``scripts/setup.sh`` installs). Nothing is downloaded at run time.

Loading the model takes about 0.1 s and reading a small crop about 5 ms, so each process
(and each thread) keeps one engine, created at its first use and reused for every later
crop; a forked worker creates its own. :func:`read_lines` reads each crop as one line of
text and returns every character with Tesseract's confidence and box.

The model is looked for in ``$TESSDATA_PREFIX`` (the ``tessdata`` folder itself, or its
parent), then in the usual system folders (:data:`TESSDATA_DIRS`). Tesseract counts as
installed when ``tesserocr`` imports and one of those folders holds ``eng.traineddata``.
"""

from __future__ import annotations

import glob
import os
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

try:  # a missing engine is reported like a missing model, never raised at import
    import tesserocr
except ImportError:  # pragma: no cover - tesserocr is a declared dependency
    tesserocr = None

__all__ = [
    "INSTALL_HINT",
    "MISSING_REASON",
    "TESSDATA_DIRS",
    "LineReading",
    "TesseractMissingWarning",
    "read_lines",
    "tessdata_path",
    "tesseract_path",
    "tesseract_version",
    "warn_missing_once",
]

#: Reason given by cues that need Tesseract when it cannot be found.
MISSING_REASON = "tesseract not installed"
#: What to install, for the warning and ``scripts/setup.sh``.
INSTALL_HINT = "install the Debian package tesseract-ocr (apt-get install -y tesseract-ocr, for the English model) and the Python package tesserocr"
#: Language model read (``<LANGUAGE>.traineddata``).
LANGUAGE = "eng"
#: Folders searched for the model after ``$TESSDATA_PREFIX`` (glob patterns, in order):
#: Debian/Ubuntu, Fedora/Arch/Alpine, a source build, Homebrew.
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/usr/local/share/tesseract-ocr/*/tessdata",
    "/opt/homebrew/share/tessdata",
)


class TesseractMissingWarning(RuntimeWarning):
    """Tesseract (the tesserocr engine or the English model) is missing: OCR cues are not assessable."""


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
    in_dictionary : bool
        Every word read is in Tesseract's English word list (``False`` when nothing was read).
    """

    text: str
    chars: tuple[str, ...]
    confidences: tuple[float, ...]
    boxes: tuple[tuple[int, int, int, int], ...]
    in_dictionary: bool = False

    def __post_init__(self) -> None:
        if not len(self.chars) == len(self.confidences) == len(self.boxes):
            raise ValueError(f"expected one confidence and one box per character ({len(self.chars)}), got {len(self.confidences)} and {len(self.boxes)}")


#: The model folder found, by ``($TESSDATA_PREFIX, TESSDATA_DIRS)`` searched.
_found: dict[tuple[str | None, tuple[str, ...]], str] = {}


def tessdata_path() -> str | None:
    """The folder holding the English model (``eng.traineddata``), or ``None`` when none is found.

    ``$TESSDATA_PREFIX`` is tried first (as the ``tessdata`` folder itself, then as its
    parent), then :data:`TESSDATA_DIRS`, newest Tesseract version first. The folder found
    is remembered for the same ``$TESSDATA_PREFIX`` and :data:`TESSDATA_DIRS`, and given
    again while its model is still there (the search costs ~0.15 ms, and every read asks);
    a search that found nothing is done again at the next call.
    """
    prefix = os.environ.get("TESSDATA_PREFIX")
    key = (prefix, tuple(TESSDATA_DIRS))
    folder = _found.get(key)
    if folder is not None and os.path.isfile(os.path.join(folder, f"{LANGUAGE}.traineddata")):
        return folder
    candidates = []
    if prefix:
        candidates += [prefix, os.path.join(prefix, "tessdata")]
    for pattern in TESSDATA_DIRS:
        candidates += sorted(glob.glob(pattern), reverse=True)
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, f"{LANGUAGE}.traineddata")):
            _found[key] = os.path.join(os.path.abspath(folder), "")  # tesserocr wants the trailing separator
            return _found[key]
    return None


def tesseract_path() -> str | None:
    """Where Tesseract's English model was found, or ``None`` when Tesseract is missing
    (no ``tesserocr`` engine, or no ``eng.traineddata``): check this before OCR."""
    if tesserocr is None:
        return None
    return tessdata_path()


def tesseract_version() -> str | None:
    """The version of the Tesseract library in use (e.g. ``"5.5.4"``), or ``None`` when
    Tesseract is missing."""
    if tesseract_path() is None:
        return None
    first = tesserocr.tesseract_version().splitlines()[0]  # "tesseract 5.5.4"
    return first.split()[-1]


_warned = False


def warn_missing_once() -> None:
    """Warn (once per process) that Tesseract is missing and what to install."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(f"{MISSING_REASON}: OCR cues are not assessable; {INSTALL_HINT}", TesseractMissingWarning, stacklevel=3)


_engines = threading.local()


def _engine(path: str):
    """This thread's Tesseract engine for the model folder ``path``, created on first use
    (and again in a forked child, or when the folder changes)."""
    key = (os.getpid(), path)
    api = getattr(_engines, "api", None)
    if api is None or _engines.key != key:
        api = tesserocr.PyTessBaseAPI(path=path, lang=LANGUAGE, oem=tesserocr.OEM.LSTM_ONLY, psm=tesserocr.PSM.SINGLE_LINE)
        # Crops come dark on light: Tesseract's second read of an uncertain line, inverted,
        # would double the cost of every illegible crop (about 2 ms) for nothing.
        api.SetVariable("tessedit_do_invert", "0")
        _engines.api, _engines.key = api, key
    return api


def read_lines(
    images: Sequence[np.ndarray],
    *,
    whitelist: str,
    psm: int = 7,
    timeout: float = 30.0,
    variables: Mapping[str, str] | None = None,
) -> list[LineReading]:
    """Read each image as one line of text.

    Parameters
    ----------
    images : sequence of (h, w) uint8 ndarray
        Crops with dark text on a light background (Tesseract's preference).
    whitelist : str
        Characters Tesseract may output (``tessedit_char_whitelist``).
    psm : int
        Tesseract page segmentation mode; 7 is a single text line.
    timeout : float
        Seconds allowed for all the images together (raises ``RuntimeError`` when spent).
    variables : mapping of str to str, optional
        Further Tesseract parameters for these reads only (``SetVariable``; the engine's
        previous values are restored afterwards).

    Returns
    -------
    list of LineReading
        One per image, in order.

    Raises
    ------
    FileNotFoundError
        When Tesseract is not installed (check :func:`tesseract_path` first).
    ValueError
        When an image is not an (h, w) uint8 array, the whitelist is empty or holds spaces or
        quotes, or ``variables`` names a parameter Tesseract does not have.
    RuntimeError
        When the reads take longer than ``timeout``.

    Examples
    --------
    >>> import cv2
    >>> img = np.full((60, 200), 255, np.uint8)
    >>> _ = cv2.putText(img, "ABCD", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    >>> read_lines([img], whitelist="ABCDEFGHIJKLMNOPQRSTUVWXYZ")[0].text
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
    path = tesseract_path()
    if path is None:
        raise FileNotFoundError(MISSING_REASON)
    api = _engine(path)
    api.SetPageSegMode(int(psm))
    if not api.SetVariable("tessedit_char_whitelist", whitelist):  # pragma: no cover - a standard parameter
        raise RuntimeError("tesseract refused the character whitelist")
    # The engine is shared by every later read in this thread: extra settings are undone after.
    restore = {}
    level = tesserocr.RIL.SYMBOL
    deadline = time.monotonic() + timeout
    out = []
    try:
        for name, value in (variables or {}).items():
            previous = api.GetVariableAsString(name)
            if previous is None or not api.SetVariable(name, str(value)):
                raise ValueError(f"variables: Tesseract has no parameter {name!r}")
            restore[name] = previous
        for img in images:
            left_ms = int((deadline - time.monotonic()) * 1000)
            img = np.ascontiguousarray(img)
            h, w = img.shape
            api.SetImageBytes(img.tobytes(), w, h, 1, w)
            api.SetSourceResolution(300)  # crops carry no resolution; silences Tesseract's guess
            if left_ms <= 0 or not api.Recognize(timeout=left_ms):
                raise RuntimeError(f"tesseract did not finish reading {len(images)} crop(s) in {timeout} s")
            out.append(_symbols(api.GetIterator(), level))
    finally:
        api.Clear()
        for name, previous in restore.items():
            api.SetVariable(name, previous)
    return out


def _symbols(iterator, level) -> LineReading:
    """Characters, confidences and boxes of a recognised line (spaces between words)."""
    words, chars, confs, boxes, known = [], [], [], [], []
    if iterator is not None:
        for symbol in tesserocr.iterate_level(iterator, level):
            if symbol.Empty(level):  # a blank crop: an empty page, no symbols
                continue
            ch = (symbol.GetUTF8Text(level) or "").strip()
            if not ch:
                continue
            if symbol.IsAtBeginningOf(tesserocr.RIL.WORD) or not words:
                words.append("")
                known.append(bool(symbol.WordIsFromDictionary()))
            words[-1] += ch
            chars.append(ch)
            confs.append(float(symbol.Confidence(level)))
            boxes.append(tuple(int(v) for v in symbol.BoundingBox(level)))
    return LineReading(" ".join(w for w in words if w), tuple(chars), tuple(confs), tuple(boxes), bool(known) and all(known))
