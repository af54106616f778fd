"""A query index of a scan folder: ``DIR/results.sqlite``, built from ``DIR/results.jsonl``.

``results.jsonl`` stays the source of truth; the index is a disposable copy for fast
queries (:func:`query`, ``vision query``). :func:`rebuild` writes it afresh (atomically) and
:func:`ensure` does so when it is missing or older than ``results.jsonl``.

Tables
------
``photos``
    One row per record, ``id`` its line number (0-based) in ``results.jsonl``: ``image``,
    ``sha256``, ``status``, ``label``, ``confidence``, ``duplicate_of``,
    ``near_duplicate_group``, ``phash``, ``video`` (the clip's path for a video frame),
    ``time_s`` and ``record`` (the whole record as JSON).
``cues``
    One row per photo and cue: ``photo_id``, ``cue``, ``state``, ``score``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterator, Mapping

__all__ = ["CUE_STATES", "INDEX_NAME", "ensure", "query", "rebuild"]

#: File name of the index inside the scan folder.
INDEX_NAME = "results.sqlite"
#: The states a cue condition may ask for.
CUE_STATES = ("present", "absent", "not_assessable")

_SCHEMA = """
CREATE TABLE photos (
    id INTEGER PRIMARY KEY,
    image TEXT NOT NULL,
    sha256 TEXT,
    status TEXT NOT NULL,
    label TEXT,
    confidence REAL,
    duplicate_of TEXT,
    near_duplicate_group TEXT,
    phash TEXT,
    video TEXT,
    time_s REAL,
    record TEXT NOT NULL
);
CREATE TABLE cues (
    photo_id INTEGER NOT NULL REFERENCES photos(id),
    cue TEXT NOT NULL,
    state TEXT NOT NULL,
    score REAL,
    PRIMARY KEY (photo_id, cue)
);
CREATE INDEX cues_by_state ON cues (cue, state, photo_id);
CREATE INDEX photos_by_confidence ON photos (confidence);
CREATE INDEX photos_by_label ON photos (label);
CREATE INDEX photos_by_group ON photos (near_duplicate_group);
"""


def _folder(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    if not (out / "results.jsonl").is_file():
        raise FileNotFoundError(f"out_dir: expected a scan folder holding results.jsonl, got {out}")
    return out


def _records(results: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Records with their line numbers; a half-written last line is skipped (as :func:`vision.report.read_results`)."""
    with results.open(encoding="utf-8") as fh:
        number = -1
        for number, line in enumerate(fh):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                if fh.readline():
                    raise ValueError(f"{results}:{number + 1}: not a JSON record") from None


def rebuild(out_dir: str | Path) -> Path:
    """Write ``out_dir/results.sqlite`` afresh from ``out_dir/results.jsonl``.

    Returns
    -------
    Path
        The index file.

    Raises
    ------
    FileNotFoundError
        When ``out_dir`` holds no ``results.jsonl``.
    """
    out = _folder(out_dir)
    target = out / INDEX_NAME
    tmp = target.with_name(f".{INDEX_NAME}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.executescript(_SCHEMA)
        for number, r in _records(out / "results.jsonl"):
            ident = r.get("identification") or {}
            video = r.get("video") or {}
            con.execute(
                "INSERT INTO photos VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    number, str(r.get("image")), r.get("sha256"), str(r.get("status")),
                    ident.get("label") if r.get("status") == "ok" else "error", ident.get("confidence"),
                    r.get("duplicate_of"), r.get("near_duplicate_group"), r.get("phash"),
                    video.get("path"), video.get("time_s"), json.dumps(r, ensure_ascii=False),
                ),
            )
            con.executemany(
                "INSERT INTO cues VALUES (?, ?, ?, ?)",
                [(number, name, cue.get("state"), cue.get("score")) for name, cue in (r.get("cues") or {}).items()],
            )
        con.commit()
    finally:
        con.close()
    os.replace(tmp, target)
    return target


def ensure(out_dir: str | Path) -> Path:
    """The index of ``out_dir``, rebuilt first when it is missing or older than ``results.jsonl``."""
    out = _folder(out_dir)
    target = out / INDEX_NAME
    try:
        fresh = target.stat().st_mtime_ns >= (out / "results.jsonl").stat().st_mtime_ns
    except FileNotFoundError:
        fresh = False
    return target if fresh else rebuild(out)


def query(
    out_dir: str | Path,
    *,
    min_confidence: float | None = None,
    cues: Mapping[str, str] | None = None,
    label: str | None = None,
) -> list[dict[str, Any]]:
    """Records of a scan folder matching every condition, by confidence (highest first).

    Parameters
    ----------
    out_dir : str or Path
        Scan folder; its index is rebuilt first when missing or outdated.
    min_confidence : float or None
        Keep photos whose identification confidence is at least this (in [0, 1]).
    cues : mapping of cue name to state, or None
        Keep photos where each named cue has that state (one of :data:`CUE_STATES`).
    label : str or None
        Keep photos identified with this label.

    Returns
    -------
    list of dict
        The matching ``results.jsonl`` records, each with its line number as ``"_index"``.
    """
    if min_confidence is not None and not (isinstance(min_confidence, (int, float)) and 0.0 <= min_confidence <= 1.0):
        raise ValueError(f"min_confidence: expected a number in [0, 1], got {min_confidence!r}")
    cues = dict(cues or {})
    for name, state in cues.items():
        if state not in CUE_STATES:
            raise ValueError(f"cues[{name!r}]: expected one of {', '.join(CUE_STATES)}, got {state!r}")
    where, args = ["1 = 1"], []
    if min_confidence is not None:
        where.append("p.confidence >= ?")
        args.append(float(min_confidence))
    if label is not None:
        where.append("p.label = ?")
        args.append(label)
    for name, state in cues.items():
        where.append("EXISTS (SELECT 1 FROM cues c WHERE c.photo_id = p.id AND c.cue = ? AND c.state = ?)")
        args += [name, state]
    sql = f"SELECT p.id, p.record FROM photos p WHERE {' AND '.join(where)} ORDER BY p.confidence IS NULL, p.confidence DESC, p.id"
    con = sqlite3.connect(f"file:{ensure(out_dir)}?mode=ro", uri=True)
    try:
        return [{**json.loads(record), "_index": number} for number, record in con.execute(sql, args)]
    finally:
        con.close()
