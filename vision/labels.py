"""Ground-truth labels for evaluation and calibration, in three formats.

- **project** (``samples/labels.json``, documented in ``samples/README.md``):
  ``{"schema_version": "1", "images": [{"image": ..., "toofan": 0|1, ...}, ...]}``.
- **COCO** (a COCO detection JSON): ``images`` carry per-image attributes, either in an
  ``attributes`` dict or as plain keys (``toofan`` is required; ``green_seal_tape``,
  ``yellow_bands``, ``cover``, ``serial`` are optional); ``annotations`` are boxes whose
  category names are cue names (``tube`` and ``serial`` boxes are read as the
  ``dark_green_cover`` and ``serial_4_letter`` boxes).
- **CSV** (label in a spreadsheet): columns ``image`` (file name) and ``toofan`` (0/1),
  optional ``green_seal_tape`` (0/1), ``yellow_bands`` (count), ``serial`` (text) and
  ``cover`` (``dark_green`` / ``olive_drab`` / ``tan``). An empty cell means "not labelled".

Every format loads into the same :class:`Label` records. Results are matched to labels by
file name, and by the longest common tail of the relative path when names collide
(:meth:`LabelSet.match`).
"""

from __future__ import annotations

import csv
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping, Sequence

__all__ = ["BANDS_IN_PATTERN", "BOX_ALIASES", "CSV_COLUMNS", "Label", "LabelSet", "load_labels", "write_csv"]

#: Bands in a row on one leg that make the Toofan pattern (``yellow_bands`` cue truth).
BANDS_IN_PATTERN = 3

#: Label box keys that are read as a cue's boxes (the cover cue's region is the tube).
BOX_ALIASES: Mapping[str, str] = MappingProxyType({"tube": "dark_green_cover", "serial": "serial_4_letter"})

#: Columns of the labels CSV (``image`` and ``toofan`` are required).
CSV_COLUMNS = ("image", "toofan", "green_seal_tape", "yellow_bands", "serial", "cover")

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Label:
    """What a labeller said about one photo.

    Attributes
    ----------
    image : str
        Path of the photo as written in the labels file (POSIX separators).
    toofan : int
        1 if the photo shows a Toofan launcher (even with its cues hidden), else 0.
    cues : mapping of cue name to int
        Whether each cue is visible (0/1), only for the cues the labels speak about:
        ``green_seal_tape``; ``yellow_bands`` (1 when ``band_count`` is at least
        :data:`BANDS_IN_PATTERN`); ``dark_green_cover`` (1 when ``cover`` is dark green);
        ``serial_4_letter`` (1 when ``serial`` is four capital letters).
    band_count : int or None
        Largest number of yellow bands in a row on one leg; None when not labelled.
    cover : str or None
        Colour of the tube cover when labelled and visible.
    serial : str or None
        The legible marking, when labelled.
    boxes : mapping of cue name to tuple of (x, y, w, h), or None
        Labelled regions in the photo's pixels; None when the labels carry no boxes
        (then region metrics skip this photo). ``tube`` boxes are filed under
        ``dark_green_cover`` and ``serial`` boxes under ``serial_4_letter``.
    attributes : mapping
        Everything else the labels file said (``kind``, ``source``, ...).
    """

    image: str
    toofan: int
    cues: Mapping[str, int] = field(default_factory=dict)
    band_count: int | None = None
    cover: str | None = None
    serial: str | None = None
    boxes: Mapping[str, tuple[Box, ...]] | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.image, str) or not self.image:
            raise ValueError(f"image: expected a non-empty path string, got {self.image!r}")
        object.__setattr__(self, "image", _posix(self.image))
        if self.toofan not in (0, 1) or isinstance(self.toofan, bool):
            raise ValueError(f"{self.image}: toofan: expected 0 or 1, got {self.toofan!r}")
        for name, value in self.cues.items():
            if value not in (0, 1):
                raise ValueError(f"{self.image}: cue {name}: expected 0 or 1, got {value!r}")
        if self.band_count is not None and (not isinstance(self.band_count, int) or self.band_count < 0):
            raise ValueError(f"{self.image}: yellow_bands: expected a count >= 0, got {self.band_count!r}")
        object.__setattr__(self, "cues", MappingProxyType(dict(self.cues)))
        if self.boxes is not None:
            object.__setattr__(self, "boxes", MappingProxyType({k: tuple(v) for k, v in self.boxes.items()}))
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    @property
    def name(self) -> str:
        """The file name (last path component)."""
        return PurePosixPath(self.image).name


class LabelSet(Sequence[Label]):
    """Labels of a set of photos, with matching of result paths to labels.

    Parameters
    ----------
    labels : iterable of Label
        Paths must be unique.
    source : str
        Where the labels came from (for messages).
    format : str
        ``"project"``, ``"coco"`` or ``"csv"``.
    """

    def __init__(self, labels: Iterable[Label], *, source: str = "<labels>", format: str = "project") -> None:
        self._labels = tuple(labels)
        self.source = source
        self.format = format
        self._by_name: dict[str, list[Label]] = {}
        seen: set[str] = set()
        for label in self._labels:
            if label.image in seen:
                raise ValueError(f"{source}: image {label.image!r} is labelled twice")
            seen.add(label.image)
            self._by_name.setdefault(label.name.lower(), []).append(label)

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index):  # type: ignore[override]
        return self._labels[index]

    def __iter__(self) -> Iterator[Label]:
        return iter(self._labels)

    def __repr__(self) -> str:
        return f"LabelSet({len(self)} labels from {self.source!r}, format={self.format!r})"

    def match(self, image: str | Path) -> Label | None:
        """The label of a photo given by its path, or None.

        The file name must match (case-insensitively). When several labels share the
        name, the one whose path has the longest common tail with ``image`` wins
        (``synthetic/a.jpg`` over ``real/a.jpg`` for ``samples/synthetic/a.jpg``); a tie
        is ambiguous and gives None with a warning.

        Examples
        --------
        >>> s = LabelSet([Label("real/a.jpg", 0), Label("synthetic/a.jpg", 1)])
        >>> s.match("samples/synthetic/a.jpg").toofan
        1
        """
        parts = [p.lower() for p in _posix(str(image)).split("/") if p not in ("", ".")]
        if not parts:
            return None
        candidates = self._by_name.get(parts[-1], [])
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        scored = sorted(((_common_tail(parts, c.image), c) for c in candidates), key=lambda t: -t[0])
        if scored[0][0] == scored[1][0]:
            warnings.warn(
                f"{image}: matches {sum(1 for s, _ in scored if s == scored[0][0])} labels in {self.source} equally "
                "well (same file name, no distinguishing folder); left unlabelled",
                stacklevel=2,
            )
            return None
        return scored[0][1]


def _posix(path: str) -> str:
    """A path with ``/`` separators, whichever system wrote it (``\\`` is read as a separator too)."""
    return PurePath(path.replace("\\", "/")).as_posix()


def _common_tail(parts: list[str], label_path: str) -> int:
    other = [p.lower() for p in label_path.split("/") if p not in ("", ".")]
    n = 0
    while n < min(len(parts), len(other)) and parts[-1 - n] == other[-1 - n]:
        n += 1
    return n


# ----------------------------------------------------------------------------------------
# Parsing helpers: each names the file, the entry and the field that is wrong.
# ----------------------------------------------------------------------------------------
def _binary(value: Any, where: str, name: str, *, required: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise ValueError(f"{where}: {name}: required (0 or 1), got nothing")
        return None
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower()
    if text in ("1", "1.0", "true", "yes"):
        return 1
    if text in ("0", "0.0", "false", "no"):
        return 0
    raise ValueError(f"{where}: {name}: expected 0 or 1, got {value!r}")


def _count(value: Any, where: str, name: str) -> int | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name}: expected a whole number >= 0, got {value!r}") from None
    if number < 0 or number != int(number):
        raise ValueError(f"{where}: {name}: expected a whole number >= 0, got {value!r}")
    return int(number)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _box(value: Any, where: str) -> Box:
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise ValueError(f"{where}: expected a box [x, y, w, h], got {value!r}")
    try:
        x, y, w, h = (int(round(float(v))) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected a box of numbers [x, y, w, h], got {value!r}") from None
    if w < 1 or h < 1:
        raise ValueError(f"{where}: box width and height must be >= 1, got {value!r}")
    return (x, y, w, h)


def _make_label(image: str, toofan: int, values: Mapping[str, Any], where: str, boxes, attributes) -> Label:
    """Build a Label from the fields every format shares."""
    tape = _binary(values.get("green_seal_tape"), where, "green_seal_tape")
    bands = _count(values.get("yellow_bands"), where, "yellow_bands")
    cover = _text(values.get("cover"))
    cues: dict[str, int] = {}
    if tape is not None:
        cues["green_seal_tape"] = tape
    if bands is not None:
        cues["yellow_bands"] = int(bands >= BANDS_IN_PATTERN)
    if "cover" in values:  # present (even null: no visible cover) -> the cue truth is known
        cues["dark_green_cover"] = int(cover == "dark_green")
    serial = _text(values.get("serial"))
    if serial is not None or ("serial" in values and values["serial"] is None):  # null: absent; "" (CSV): not labelled
        cues["serial_4_letter"] = int(serial is not None and len(serial) == 4 and serial.isalpha() and serial.isupper())
    return Label(
        image=image,
        toofan=toofan,
        cues=cues,
        band_count=bands,
        cover=cover,
        serial=serial,
        boxes=boxes,
        attributes=attributes,
    )


def _from_project(data: Mapping[str, Any], source: str) -> list[Label]:
    images = data.get("images")
    if not isinstance(images, list):
        raise ValueError(f"{source}: expected {{'images': [...]}} (the project's labels format)")
    labels = []
    for i, entry in enumerate(images):
        where = f"{source}: images[{i}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("image"), str):
            raise ValueError(f"{where}: expected an object with an 'image' path")
        where = f"{source}: {entry['image']}"
        toofan = _binary(entry.get("toofan"), where, "toofan", required=True)
        boxes = None
        if isinstance(entry.get("boxes"), Mapping):
            boxes = {}
            for key, items in entry["boxes"].items():
                boxes[BOX_ALIASES.get(key, key)] = tuple(_box(b, f"{where}: boxes.{key}") for b in items or ())
        known = {"image", "toofan", "green_seal_tape", "yellow_bands", "cover", "serial", "boxes"}
        attributes = {k: v for k, v in entry.items() if k not in known}
        labels.append(_make_label(entry["image"], toofan, entry, where, boxes, attributes))
    return labels


def _from_coco(data: Mapping[str, Any], source: str) -> list[Label]:
    categories = {c.get("id"): str(c.get("name")) for c in data.get("categories") or ()}
    box_names = {BOX_ALIASES.get(n, n) for n in categories.values()}
    boxes_of: dict[Any, dict[str, list[Box]]] = {}
    for j, ann in enumerate(data.get("annotations") or ()):
        where = f"{source}: annotations[{j}]"
        if ann.get("category_id") not in categories:
            raise ValueError(f"{where}: category_id {ann.get('category_id')!r} is not in 'categories'")
        name = categories[ann["category_id"]]
        boxes_of.setdefault(ann.get("image_id"), {}).setdefault(BOX_ALIASES.get(name, name), []).append(_box(ann.get("bbox"), f"{where}: bbox"))
    labels = []
    for i, image in enumerate(data.get("images") or ()):
        where = f"{source}: images[{i}]"
        if not isinstance(image, Mapping) or not isinstance(image.get("file_name"), str):
            raise ValueError(f"{where}: expected an image object with a 'file_name'")
        where = f"{source}: {image['file_name']}"
        fields = {k: v for k, v in image.items() if k not in ("attributes",)}
        fields.update(image.get("attributes") or {})
        toofan = _binary(fields.get("toofan"), where, "toofan (an image attribute)", required=True)
        found = boxes_of.get(image.get("id"), {})
        boxes = {name: tuple(found.get(name, ())) for name in box_names}
        # Annotations are taken as exhaustive: a cue category with no box on a photo is absent,
        # unless an attribute says otherwise.
        if "green_seal_tape" in box_names and fields.get("green_seal_tape") in (None, ""):
            fields["green_seal_tape"] = int(bool(boxes["green_seal_tape"]))
        known = {"id", "file_name", "width", "height", "toofan", "green_seal_tape", "yellow_bands", "cover", "serial"}
        attributes = {k: v for k, v in fields.items() if k not in known}
        labels.append(_make_label(image["file_name"], toofan, fields, where, boxes, attributes))
    return labels


def _from_csv(path: Path) -> list[Label]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in reader.fieldnames or ()]
        for needed in ("image", "toofan"):
            if needed not in columns:
                raise ValueError(f"{path}: CSV labels need the columns 'image' and 'toofan'; found {columns}")
        unknown = sorted(set(columns) - set(CSV_COLUMNS))
        if unknown:
            warnings.warn(f"{path}: ignoring unknown column(s) {unknown}; known: {list(CSV_COLUMNS)}", stacklevel=3)
        labels = []
        for row in reader:
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
            where = f"{path}:{reader.line_num}"
            if not row.get("image"):
                if not any(row.values()):
                    continue  # blank line
                raise ValueError(f"{where}: image: required (a file name), got nothing")
            toofan = _binary(row.get("toofan"), where, "toofan", required=True)
            fields = {k: row[k] for k in ("green_seal_tape", "yellow_bands", "serial") if k in row}
            if row.get("cover"):
                fields["cover"] = row["cover"]
            labels.append(_make_label(row["image"], toofan, fields, where, None, {}))
    return labels


def load_labels(path: str | Path) -> LabelSet:
    """Load labels in the project's format, COCO or CSV (chosen from the file itself).

    Parameters
    ----------
    path : path
        ``.csv`` for the spreadsheet format; a JSON file otherwise (COCO when it has
        ``annotations`` or ``categories``, the project's format when its images carry
        an ``image`` path).

    Returns
    -------
    LabelSet

    Raises
    ------
    ValueError
        The file is missing or malformed; the message names the file, entry and field.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"labels: {path} is not a readable file")
    if path.suffix.lower() == ".csv":
        return LabelSet(_from_csv(path), source=str(path), format="csv")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"labels {path}: not a CSV (by suffix) nor valid JSON ({exc})") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"labels {path}: expected a JSON object, got {type(data).__name__}")
    if "annotations" in data or "categories" in data:
        return LabelSet(_from_coco(data, str(path)), source=str(path), format="coco")
    return LabelSet(_from_project(data, str(path)), source=str(path), format="project")


def write_csv(labels: Iterable[Label], path: str | Path) -> Path:
    """Write labels as the minimal CSV (``image, toofan, green_seal_tape, yellow_bands, serial``).

    The ``image`` column holds the label's path as written in its source file, so a CSV
    written from ``samples/labels.json`` matches the same results.
    """
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS[:5])
        for label in labels:
            tape = label.cues.get("green_seal_tape")
            writer.writerow(
                [
                    label.image,
                    label.toofan,
                    "" if tape is None else tape,
                    "" if label.band_count is None else label.band_count,
                    label.serial or "",
                ]
            )
    return path
