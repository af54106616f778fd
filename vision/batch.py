"""Batch scans: collect inputs, process them (in parallel), stream the report files."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from tqdm import tqdm

from .evidence import Profile, load_profile
from .html_report import write_html_report
from .io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES
from .pipeline import error_record, scan_file
from .report import write_summary

__all__ = ["ScanSummary", "collect_inputs", "run_scan"]


def collect_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively, image suffixes only) into a sorted, unique list.

    Files named explicitly are kept whatever their suffix (a bad file gets an error record);
    a path that does not exist is kept too, so it is reported rather than silently dropped.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            batch = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES)
        else:
            batch = [p]
        for q in batch:
            key = q.resolve()
            if key not in seen:
                seen.add(key)
                found.append(q)
    return found


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did."""

    total: int
    ok: int
    errors: int
    out_dir: Path


_WORKER_PROFILE: Profile | None = None
_WORKER_SETTINGS: dict[str, Any] = {}


def _init_worker(profile_source: str | Profile, settings: dict[str, Any]) -> None:
    global _WORKER_PROFILE, _WORKER_SETTINGS
    import cv2

    cv2.setNumThreads(1)
    _WORKER_PROFILE = profile_source if isinstance(profile_source, Profile) else load_profile(profile_source)
    _WORKER_SETTINGS = settings


def _process(path: Path) -> dict[str, Any]:
    assert _WORKER_PROFILE is not None
    try:
        return scan_file(path, _WORKER_SETTINGS["out_dir"], _WORKER_PROFILE, max_pixels=_WORKER_SETTINGS["max_pixels"])
    except Exception as exc:  # one photo's failure must not stop the batch: it becomes its record
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return error_record(path, f"{path}: internal error while analysing ({detail})")


def _records(paths: list[Path], profile: Profile, out_dir: Path, jobs: int, max_pixels: int) -> Iterator[dict[str, Any]]:
    settings = {"out_dir": out_dir, "max_pixels": max_pixels}
    if jobs <= 1 or len(paths) <= 1:
        _init_worker(profile, settings)
        for p in paths:
            yield _process(p)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(profile, settings)) as pool:
        yield from pool.map(_process, paths, chunksize=1)


def run_scan(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    profile: Profile | str = "toofan",
    *,
    jobs: int = 1,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: bool | None = None,
) -> ScanSummary:
    """Scan photos and write ``results.jsonl``, ``summary.csv``, ``overlays/`` and ``report.html`` into ``out_dir``.

    Parameters
    ----------
    inputs : iterable of paths
        Files and folders (folders are searched recursively).
    out_dir : path
        Created if needed.
    profile : Profile or str
        Profile or packaged profile name / profile file.
    jobs : int
        Worker processes (1 = in this process).
    max_pixels : int
        Decompression-bomb limit.
    progress : bool or None
        Show a progress bar; ``None`` shows it only when stderr is a terminal.

    Returns
    -------
    ScanSummary
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    paths = collect_inputs(inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    records = []
    ok = errors = 0
    with results_path.open("w", encoding="utf-8") as fh:
        bar = tqdm(total=len(paths), unit="photo", disable=(None if progress is None else not progress), file=sys.stderr)
        for record in _records(paths, profile, out, jobs, max_pixels):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
            records.append({k: record.get(k) for k in ("image", "status", "identification", "cues", "error")})
            if record["status"] == "ok":
                ok += 1
            else:
                errors += 1
                bar.write(f"error: {record['error']}", file=sys.stderr)
            bar.update(1)
        bar.close()
        os.fsync(fh.fileno())
    write_summary(records, out / "summary.csv", profile.cue_names)
    write_html_report(out)
    return ScanSummary(total=len(paths), ok=ok, errors=errors, out_dir=out)
