"""Report files: ``results.jsonl`` (one record per photo), ``summary.csv`` and the JSON Schema."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = ["SUMMARY_COLUMNS", "read_results", "result_schema", "write_summary"]

SUMMARY_COLUMNS = ("image", "status", "confidence", "label")


def result_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one ``results.jsonl`` record."""
    text = (resources.files("vision") / "schemas" / "result.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def read_results(path: str | Path) -> list[dict[str, Any]]:
    """Read ``results.jsonl`` (a folder or the file itself). A half-written last line is skipped."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.jsonl"
    records = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                continue  # interrupted write: the photo will be redone
            raise ValueError(f"{path}:{number}: not a JSON record") from None
    return records


def write_summary(records: Iterable[Mapping[str, Any]], path: str | Path, cue_names: Iterable[str]) -> Path:
    """One CSV row per image: path, status, confidence, label, and each cue's state."""
    cue_names = list(cue_names)
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*SUMMARY_COLUMNS, *cue_names, "error"])
        for r in records:
            ident = r.get("identification") or {}
            cues = r.get("cues") or {}
            conf = ident.get("confidence")
            writer.writerow(
                [
                    r.get("image"),
                    r.get("status"),
                    "" if conf is None else f"{conf:.4f}",
                    ident.get("label", ""),
                    *[(cues.get(c) or {}).get("state", "") for c in cue_names],
                    r.get("error", ""),
                ]
            )
    return path
