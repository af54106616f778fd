"""COCO JSON export and import of scan results, without losing scores or cue states.

:func:`to_coco` writes one COCO ``image`` per analysed photo, one ``category`` per cue and
one ``annotation`` per cue region:

- standard fields: ``bbox`` ``[x, y, w, h]`` in the photo's pixels, ``area``, ``iscrowd``,
  and ``score`` (the region's score, as detection results carry it);
- extra fields: ``state`` (``present`` / ``absent`` / ``not_assessable``), ``cue_score``,
  ``label`` and ``region_index``, ``measurements`` (the cue's), and the same state and
  scores in an ``attributes`` dict, where CVAT and FiftyOne look for them.

Everything else a record holds goes into the image entry: ``vision_cues`` (each cue's
state, score, reason, measurements and fields, without the regions, which are the
annotations) and ``vision_record`` (identification, SHA-256, provenance, timings...).
Records of photos that could not be read have no COCO image; they travel in the
top-level ``vision_errors`` list (``{"id", "record"}``; ids give the records' order).
:func:`from_coco` rebuilds the records exactly, in their order.

A COCO file from another tool (no ``vision_*`` fields) imports too: each category named
after a cue becomes that cue, present with the annotations' boxes and scores (1 when
there is none); the profile's other cues are absent; the identification is computed
from those cues with the profile (:func:`vision.evidence.combine`).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import __version__
from .cues import CueResult, CueState, Region
from .evidence import Profile, combine, load_profile
from .pipeline import SCHEMA_VERSION

__all__ = ["from_coco", "read_coco", "to_coco", "write_coco"]

def to_coco(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """COCO detection JSON (a dict) of scan records.

    Parameters
    ----------
    records : sequence of mappings
        ``results.jsonl`` records.

    Returns
    -------
    dict
        ``info``, ``licenses``, ``categories``, ``images``, ``annotations`` and
        ``vision_errors`` (see the module docstring).

    Examples
    --------
    >>> rec = {"image": "a.jpg", "sha256": "0" * 64, "status": "ok", "width": 8, "height": 6,
    ...        "cues": {"green_seal_tape": {"state": "present", "present": True, "score": 0.9,
    ...        "reason": None, "regions": [{"bbox": [1, 2, 3, 4], "score": 0.8}], "measurements": {}}}}
    >>> coco = to_coco([rec])
    >>> coco["annotations"][0]["bbox"], coco["annotations"][0]["score"], coco["annotations"][0]["state"]
    ([1, 2, 3, 4], 0.8, 'present')
    >>> from_coco(coco) == [rec]
    True
    """
    categories: dict[str, int] = {}
    for record in records:
        for name in record.get("cues") or {}:
            categories.setdefault(name, len(categories) + 1)
    images, annotations, errors = [], [], []
    for position, record in enumerate(records):
        image_id = position + 1  # ids keep the records' order, error records included
        if record.get("status") != "ok":
            errors.append({"id": image_id, "record": dict(record)})
            continue
        cues = record.get("cues") or {}
        images.append(
            {
                "id": image_id,
                "file_name": str(record.get("image")),
                "width": record.get("width"),
                "height": record.get("height"),
                "vision_cues": {name: {k: v for k, v in cue.items() if k != "regions"} for name, cue in cues.items()},
                "vision_record": {k: v for k, v in record.items() if k != "cues"},
            }
        )
        for name, cue in cues.items():
            for index, region in enumerate(cue.get("regions") or ()):
                x, y, w, h = region["bbox"]
                attributes = {"state": cue.get("state"), "cue_score": cue.get("score"), "score": region.get("score")}
                if "label" in region:
                    attributes["label"] = region["label"]
                annotation = {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": categories[name],
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                    "score": region.get("score"),
                    "state": cue.get("state"),
                    "cue_score": cue.get("score"),
                    "region_index": index,
                    "measurements": cue.get("measurements", {}),
                    "attributes": attributes,
                }
                if "label" in region:
                    annotation["label"] = region["label"]
                annotations.append(annotation)
    versions = sorted({str(r["tool_version"]) for r in records if r.get("tool_version")})
    return {
        "info": {
            "description": "vision scan results: one category per cue, one annotation per cue region",
            "version": ", ".join(versions) or __version__,
            "contributor": f"vision {__version__}",
            "date_created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "vision_schema_version": SCHEMA_VERSION,
        },
        "licenses": [],
        "categories": [{"id": cid, "name": name, "supercategory": "cue"} for name, cid in categories.items()],
        "images": images,
        "annotations": annotations,
        "vision_errors": errors,
    }


def _region(annotation: Mapping[str, Any], where: str) -> dict[str, Any]:
    bbox = annotation.get("bbox")
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        raise ValueError(f"{where}: bbox: expected [x, y, w, h], got {bbox!r}")
    box = [int(round(float(v))) for v in bbox]
    score = annotation.get("score", (annotation.get("attributes") or {}).get("score"))
    region: dict[str, Any] = {"bbox": box, "score": 1.0 if score is None else float(score)}
    label = annotation.get("label", (annotation.get("attributes") or {}).get("label"))
    if label:
        region["label"] = str(label)
    return region


def _rebuilt_cue(stored: Mapping[str, Any], regions: list[dict[str, Any]]) -> dict[str, Any]:
    """A cue dict in the report's key order, with its regions from the annotations."""
    out = {k: stored[k] for k in ("state", "present", "score", "reason") if k in stored}
    out["regions"] = regions
    out.update((k, v) for k, v in stored.items() if k not in out)  # measurements, then the cue's fields
    return out


def _fields_from_boxes(name: str, state: CueState, regions: list[dict[str, Any]]) -> dict[str, Any]:
    """The cue-specific fields a record needs, guessed from another tool's boxes alone:
    bands are counted three to a leg, and a present cover is taken as dark green."""
    if name == "yellow_bands":
        return {"count": min(len(regions), 3), "groups": len(regions) // 3}
    if name == "dark_green_cover":
        return {"colour": "dark_green" if state is CueState.PRESENT else None}
    if name == "serial_4_letter":
        return {"text": None}  # a box does not say what the serial reads
    return {}


def _foreign_record(image: Mapping[str, Any], found: Mapping[str, list[dict[str, Any]]], states: Mapping[str, str], profile: Profile) -> dict[str, Any]:
    """A record for an image of a COCO file that another tool wrote."""
    results: dict[str, CueResult] = {}
    for name in [*profile.cue_names, *(n for n in found if n not in profile.cue_names)]:
        regions = found.get(name, [])
        state = CueState(states.get(name, "present" if regions else "absent"))
        score = max((r["score"] for r in regions), default=0.0)
        reason = "not assessable in the imported annotations" if state is CueState.NOT_ASSESSABLE else None
        results[name] = CueResult(
            name,
            state,
            score if state is not CueState.NOT_ASSESSABLE else 0.0,
            tuple(Region(tuple(r["bbox"]), r["score"], r.get("label", "")) for r in regions),
            {},
            reason,
            _fields_from_boxes(name, state, regions),
        )
    identification = combine(results, profile)
    return {
        "image": str(image["file_name"]),
        "sha256": None,
        "status": "ok",
        "width": int(image["width"]),
        "height": int(image["height"]),
        "cues": {name: r.to_dict() for name, r in results.items()},
        "identification": identification.to_dict(),
        "overlay": None,
        "profile": {"name": profile.name, "source": profile.source, "sha256": profile.sha256},
        "source": {"mode": None, "notes": ["imported from COCO annotations"]},
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
    }


def from_coco(data: Mapping[str, Any], *, profile: Profile | str = "toofan") -> list[dict[str, Any]]:
    """Records (as in ``results.jsonl``) from COCO JSON written by :func:`to_coco` or another tool.

    Parameters
    ----------
    data : mapping
        The parsed COCO JSON.
    profile : Profile or str
        Used only for images without ``vision_*`` fields, to compute the identification.

    Returns
    -------
    list of dict
        The records :func:`to_coco` wrote (error records included), in their original
        order, then one record per image from another tool, in file order.

    Raises
    ------
    ValueError
        Malformed COCO; the message names the entry and the field.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("images"), list):
        raise ValueError("coco: expected a JSON object with an 'images' list")
    categories = {}
    for c in data.get("categories") or ():
        if not isinstance(c, Mapping) or "id" not in c or not isinstance(c.get("name"), str):
            raise ValueError(f"coco: categories: expected {{'id', 'name'}} objects, got {c!r}")
        categories[c["id"]] = c["name"]
    by_image: dict[Any, dict[str, list[tuple[int, dict[str, Any]]]]] = {}
    states: dict[Any, dict[str, str]] = {}
    for j, ann in enumerate(data.get("annotations") or ()):
        where = f"coco: annotations[{j}]"
        if not isinstance(ann, Mapping) or ann.get("category_id") not in categories:
            raise ValueError(f"{where}: category_id {ann.get('category_id') if isinstance(ann, Mapping) else None!r} is not in 'categories'")
        name = categories[ann["category_id"]]
        order = ann.get("region_index", j)
        by_image.setdefault(ann.get("image_id"), {}).setdefault(name, []).append((int(order), _region(ann, where)))
        state = ann.get("state", (ann.get("attributes") or {}).get("state"))
        if state is not None:
            states.setdefault(ann.get("image_id"), {})[name] = str(state)
    loaded_profile: Profile | None = profile if isinstance(profile, Profile) else None
    ours: list[tuple[Any, dict[str, Any]]] = []
    records = []
    for i, image in enumerate(data["images"]):
        if not isinstance(image, Mapping) or not isinstance(image.get("file_name"), str):
            raise ValueError(f"coco: images[{i}]: expected an object with a 'file_name'")
        found = {name: [r for _, r in sorted(items, key=lambda t: t[0])] for name, items in by_image.get(image.get("id"), {}).items()}
        if isinstance(image.get("vision_record"), Mapping) and isinstance(image.get("vision_cues"), Mapping):
            record = dict(image["vision_record"])
            cues = {name: _rebuilt_cue(stored, found.get(name, [])) for name, stored in image["vision_cues"].items()}
            ordered: dict[str, Any] = {}
            for k, v in record.items():
                ordered[k] = v
                if k == "height":
                    ordered["cues"] = cues
            ordered.setdefault("cues", cues)
            ours.append((image.get("id"), ordered))
        else:
            if loaded_profile is None:
                loaded_profile = load_profile(profile if isinstance(profile, str) else "toofan")
            try:
                records.append(_foreign_record(image, found, states.get(image.get("id"), {}), loaded_profile))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"coco: images[{i}] ({image['file_name']}): {exc}") from None
    for j, error in enumerate(data.get("vision_errors") or ()):
        if not isinstance(error, Mapping) or not isinstance(error.get("record"), Mapping):
            raise ValueError(f"coco: vision_errors[{j}]: expected {{'id', 'record'}}")
        ours.append((error.get("id"), dict(error["record"])))
    ours.sort(key=lambda t: t[0] if isinstance(t[0], int) else 0)
    return [record for _, record in ours] + records


def write_coco(records: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write :func:`to_coco` of ``records`` as a JSON file."""
    path = Path(path)
    path.write_text(json.dumps(to_coco(records), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def read_coco(path: str | Path, *, profile: Profile | str = "toofan") -> list[dict[str, Any]]:
    """Records from a COCO JSON file (see :func:`from_coco`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable COCO JSON file ({exc})") from None
    return from_coco(data, profile=profile)
