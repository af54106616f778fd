"""Batch scans: collect inputs, process them (in parallel), stream the report files."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import traceback
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from tqdm import tqdm

from .dedupe import near_duplicate_groups
from .evidence import Profile, load_profile
from .html_report import write_html_report
from .index import rebuild as rebuild_index
from .io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES
from .memory import reuse_freed_memory
from .pipeline import error_record, scan_file
from .report import write_summary
from .video import DEFAULT_EVERY, VIDEO_SUFFIXES, is_video, scan_video

__all__ = ["ScanSummary", "collect_inputs", "recover_results", "run_scan"]


def collect_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders (recursively, image and video suffixes only) into a sorted, unique list.

    Files named explicitly are kept whatever their suffix (a bad file gets an error record);
    a path that does not exist is kept too, so it is reported rather than silently dropped.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            batch = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES)
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
    skipped: int = 0  # already recorded by an earlier run (resume)
    duplicates: int = 0  # same content as an earlier photo: linked, not analysed again


_WORKER_PROFILE: Profile | None = None
_WORKER_SETTINGS: dict[str, Any] = {}


def _init_worker(profile_source: str | Profile, settings: dict[str, Any]) -> None:
    global _WORKER_PROFILE, _WORKER_SETTINGS
    import cv2

    cv2.setNumThreads(1)  # one core per worker, so that workers do not fight over the cores
    reuse_freed_memory()  # each photo's large arrays reuse the last photo's memory
    _WORKER_PROFILE = profile_source if isinstance(profile_source, Profile) else load_profile(profile_source)
    _WORKER_SETTINGS = settings


def _process(path: Path) -> dict[str, Any]:
    assert _WORKER_PROFILE is not None
    try:
        return scan_file(path, _WORKER_SETTINGS["out_dir"], _WORKER_PROFILE, max_pixels=_WORKER_SETTINGS["max_pixels"])
    except Exception as exc:  # one photo's failure must not stop the batch: it becomes its record
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return error_record(path, f"{path}: internal error while analysing ({detail})")


def _process_clip(clip: "_Clip") -> list[dict[str, Any]]:
    assert _WORKER_PROFILE is not None
    try:
        return scan_video(clip.path, clip.sha256, _WORKER_SETTINGS["out_dir"], _WORKER_PROFILE, every=_WORKER_SETTINGS["every"],
                          max_pixels=_WORKER_SETTINGS["max_pixels"], skip=clip.skip)
    except Exception as exc:  # as for photos: the clip's failure becomes its record
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return [error_record(clip.path, f"{clip.path}: internal error while analysing ({detail})", sha256=clip.sha256)]


def _file_sha256(path: Path) -> str | None:
    """Hex SHA-256 of a file's bytes, or None when it cannot be read (its record says why)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


@dataclass(frozen=True)
class _Duplicate:
    """A photo with the same bytes as an earlier one: its record is copied, not computed."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class _Clip:
    """A video: its sampled frames are scanned in one task, skipping those already recorded."""

    path: Path
    sha256: str
    skip: frozenset[str] = frozenset()


def _recorded(results_path: Path) -> tuple[dict[str, str | None], dict[bytes, tuple[str, int | None]]]:
    """Truncate a half-written last line; map recorded paths to digests and digests to their first record."""
    done: dict[str, str | None] = {}
    originals: dict[bytes, tuple[str, int | None]] = {}
    if not results_path.is_file():
        return done, originals
    with results_path.open("r+b") as fh:
        offset = 0
        for number, line in enumerate(fh, 1):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no line end")
                record = json.loads(line) if line.strip() else None
            except ValueError:
                if fh.read(1):
                    raise ValueError(f"{results_path}:{number}: not a JSON record") from None
                fh.truncate(offset)
                os.fsync(fh.fileno())
                break
            if record is not None:
                image, sha = str(record.get("image")), record.get("sha256")
                done[image] = sha
                if sha and "duplicate_of" not in record and "video" not in record:
                    originals.setdefault(bytes.fromhex(sha), (image, offset if record.get("status") == "ok" else None))
            offset += len(line)
    return done, originals


def recover_results(results_path: Path) -> dict[str, str | None]:
    """Prepare ``results.jsonl`` for appending and say which photos it already records.

    A half-written last line (a run killed mid-write) is truncated away, so the photo is
    redone rather than parsed as a record; a damaged line elsewhere raises ``ValueError``.

    Returns
    -------
    dict
        Recorded image path -> its ``sha256`` (None for photos that could not be read).
    """
    return _recorded(Path(results_path))[0]


def _iter_results(results_path: Path) -> Iterator[dict[str, Any]]:
    """The records of ``results.jsonl`` one at a time (memory stays flat)."""
    with results_path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _group_near_duplicates(results_path: Path) -> int:
    """Set ``near_duplicate_group`` on every record of ``results.jsonl`` (rewritten atomically).

    Groups are computed over the whole file, in file order, so a resumed scan ends with
    the same groups as an uninterrupted one. Returns the number of grouped records.
    """
    hashes: list[str | None] = []
    names: list[str] = []
    had_groups = False
    for record in _iter_results(results_path):
        hashes.append(record.get("phash") if record.get("status") == "ok" else None)
        names.append(str(record.get("sha256") or "")[:12])
        had_groups = had_groups or "near_duplicate_group" in record
    groups = near_duplicate_groups(hashes, names)
    grouped = sum(g is not None for g in groups)
    if not grouped and not had_groups:
        return 0
    tmp = results_path.with_name(f".{results_path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for record, group in zip(_iter_results(results_path), groups):
            record.pop("near_duplicate_group", None)
            if group is not None:
                record["near_duplicate_group"] = group
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, results_path)
    return grouped


def _remote(item: Path | _Clip, profile: Profile, settings: dict[str, Any]) -> dict[str, Any] | list[dict[str, Any]]:
    """One photo or clip on a Dask worker (the worker's process is set up on first use)."""
    _init_worker(profile, settings)  # cheap: the profile arrives with the task
    return _process_clip(item) if isinstance(item, _Clip) else _process(item)


def _in_order(
    items: Iterable[Path | _Duplicate | _Clip],
    copy: Callable[[_Duplicate], dict[str, Any]],
    submit: Callable[[Path | _Clip], Any],
    window: int,
) -> Iterator[dict[str, Any]]:
    """Submit work ahead (at most ``window`` items in flight) and yield the records in input order."""
    pending: deque[Any] = deque()

    def next_records() -> list[dict[str, Any]]:
        head = pending.popleft()
        if isinstance(head, _Duplicate):
            return [copy(head)]
        result = head.result()
        return result if isinstance(result, list) else [result]

    for item in items:
        pending.append(item if isinstance(item, _Duplicate) else submit(item))
        if len(pending) >= window:
            yield from next_records()
    while pending:
        yield from next_records()


def _records(
    items: Iterable[Path | _Duplicate | _Clip],
    copy: Callable[[_Duplicate], dict[str, Any]],
    profile: Profile,
    out_dir: Path,
    jobs: int,
    max_pixels: int,
    every: float,
    scheduler: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Records in input order; a few photos per worker are in flight, so memory stays flat.

    With ``scheduler`` (a Dask scheduler's address) the work runs on that cluster, else in
    ``jobs`` local processes (1 = in this process). A duplicate's record is made by ``copy``
    in this process once every record before it (its original's included) has been consumed.
    """
    settings = {"out_dir": out_dir, "max_pixels": max_pixels, "every": every}
    if scheduler is not None:
        from distributed import Client

        with Client(scheduler, set_as_default=False) as client:
            threads = max(1, sum(client.nthreads().values()))
            submit = lambda item: client.submit(_remote, item, profile, settings, pure=False)  # noqa: E731
            yield from _in_order(items, copy, submit, 4 * threads)
        return
    if jobs <= 1:
        _init_worker(profile, settings)
        for item in items:
            if isinstance(item, _Clip):
                yield from _process_clip(item)
            else:
                yield copy(item) if isinstance(item, _Duplicate) else _process(item)
        return
    ctx = multiprocessing.get_context("spawn")
    # A Tesseract built with OpenMP reads its thread limit when the library loads, which in a
    # spawned worker is before any initializer runs: so the limit goes into the environment
    # the workers inherit, for the pool's life only. (The tesserocr wheels' own Tesseract has
    # no OpenMP.)
    limit_set = "OMP_THREAD_LIMIT" not in os.environ
    if limit_set:
        os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(profile, settings)) as pool:
            yield from _in_order(items, copy, lambda item: pool.submit(_process_clip if isinstance(item, _Clip) else _process, item), 4 * jobs)
    finally:
        if limit_set:
            os.environ.pop("OMP_THREAD_LIMIT", None)


def run_scan(
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    profile: Profile | str = "toofan",
    *,
    jobs: int = 1,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: bool | None = None,
    resume: bool = False,
    parameters: Mapping[str, Any] | None = None,
    every: float = DEFAULT_EVERY,
    engine: str = "local",
    scheduler: str | None = None,
) -> ScanSummary:
    """Scan photos and write ``results.jsonl``, ``summary.csv``, ``overlays/``, ``report.html`` and a manifest into ``out_dir``.

    Each record is appended to ``results.jsonl`` (flushed and fsynced) as its photo finishes,
    and no record is kept in memory: ``summary.csv`` and ``report.html`` are written at the
    end from ``results.jsonl``. A run killed at any point can be finished with ``resume=True``.

    Photos with the same bytes (SHA-256) are analysed once: later copies get the first one's
    record with their own ``image`` and ``duplicate_of`` (the first one's path). Every ok
    record carries its perceptual hash (``phash``); photos within
    :data:`vision.dedupe.NEAR_DUPLICATE_DISTANCE` bits of each other share a
    ``near_duplicate_group`` (set over the whole ``results.jsonl`` at the end of the run).
    Videos (:data:`vision.video.VIDEO_SUFFIXES`) are sampled every ``every`` seconds, one
    record per frame (:mod:`vision.video`); they are not linked as duplicates.
    Each run writes a manifest (:mod:`vision.manifest`) and the query index ``results.sqlite``
    (:mod:`vision.index`).

    Parameters
    ----------
    inputs : iterable of paths
        Files and folders (folders are searched recursively).
    out_dir : path
        Created if needed.
    profile : Profile or str
        Profile or packaged profile name / profile file.
    jobs : int
        Worker processes (1 = in this process). Each process that analyses photos, this
        one included when ``jobs`` is 1, uses one OpenCV thread and keeps freed large blocks
        for reuse (:func:`vision.memory.reuse_freed_memory`).
    max_pixels : int
        Decompression-bomb limit.
    progress : bool or None
        Show a progress bar; ``None`` shows it only when stderr is a terminal.
    resume : bool
        Keep an existing ``results.jsonl`` and skip the photos it records (same path and
        SHA-256; a photo recorded as unreadable stays recorded); a half-written last line is
        truncated and its photo redone. Without it, an existing ``results.jsonl`` is replaced.
    parameters : mapping or None
        The run's parameters for the manifest (the CLI passes its arguments); default: the
        keyword arguments of this call.
    every : float
        Seconds between the sampled frames of a video.
    engine : {"local", "dask"}
        Where the per-photo work runs: ``jobs`` local processes, or the workers of an
        existing Dask distributed cluster (needs ``pip install "vision[dask]"``; the inputs
        and ``out_dir`` must be at the same paths on every worker, e.g. a shared file system).
        The records are the same either way.
    scheduler : str or None
        The Dask scheduler's address (``tcp://HOST:8786``); required with ``engine="dask"``.

    Returns
    -------
    ScanSummary
    """
    from .manifest import utc_now, write_manifest

    started = utc_now()
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive int, got {jobs!r}")
    if engine not in ("local", "dask"):
        raise ValueError(f"engine must be 'local' or 'dask', got {engine!r}")
    if (engine == "dask") != (scheduler is not None):
        raise ValueError(f"scheduler: expected a Dask scheduler address with engine='dask' only, got {scheduler!r} with engine={engine!r}")
    if not isinstance(every, (int, float)) or not every > 0:
        raise ValueError(f"every must be a positive number of seconds, got {every!r}")
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if parameters is None:
        parameters = {"inputs": [str(i) for i in inputs], "out": str(out_dir), "profile": profile.name, "jobs": jobs,
                      "max_pixels": max_pixels, "resume": resume, "every": every,
                      "engine": engine, "scheduler": scheduler}
    paths = collect_inputs(inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    done, originals = _recorded(results_path) if resume else ({}, {})
    frames_done: dict[str, dict[str, str | None]] = {}
    for image, sha in done.items():
        clip, sep, _ = image.rpartition("#t=")
        if sep:
            frames_done.setdefault(clip, {})[image] = sha
    ok = errors = skipped = duplicates = 0
    bar = tqdm(total=len(paths), unit="photo", disable=(None if progress is None else not progress), file=sys.stderr)

    def todo() -> Iterator[Path | _Duplicate | _Clip]:
        nonlocal skipped, duplicates
        for p in paths:
            sha = _file_sha256(p)
            if str(p) in done and (done[str(p)] is None or done[str(p)] == sha):
                skipped += 1
                bar.update(1)
                continue
            if sha is not None and is_video(p):
                skip = frozenset(image for image, recorded in frames_done.get(str(p), {}).items() if recorded == sha)
                skipped += len(skip)
                yield _Clip(p, sha, skip)
                continue
            if sha is not None:
                digest = bytes.fromhex(sha)
                if digest in originals:
                    duplicates += 1
                    yield _Duplicate(p, sha)
                    continue
                originals[digest] = (str(p), None)  # its offset is known once its record is written
            yield p

    with results_path.open("ab" if resume else "wb") as fh, results_path.open("rb") as reader:

        def copy(dup: _Duplicate) -> dict[str, Any]:
            first, offset = originals[bytes.fromhex(dup.sha256)]
            if offset is None:  # the original could not be analysed
                record = error_record(dup.path, f"{dup.path}: same content as {first}, which could not be analysed", sha256=dup.sha256)
            else:
                reader.seek(offset)
                record = {**json.loads(reader.readline()), "image": str(dup.path), "timings": {}}
                record.pop("near_duplicate_group", None)
            record["duplicate_of"] = first
            return record

        for record in _records(todo(), copy, profile, out, jobs, max_pixels, every, scheduler):
            offset = fh.tell()
            fh.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
            sha = record.get("sha256")
            if record["status"] == "ok" and sha and "duplicate_of" not in record and "video" not in record:
                originals[bytes.fromhex(sha)] = (str(record["image"]), offset)
            if record["status"] == "ok":
                ok += 1
            else:
                errors += 1
                bar.write(f"error: {record['error']}", file=sys.stderr)
            bar.update(1)
    bar.close()
    _group_near_duplicates(results_path)
    write_summary(_iter_results(results_path), out / "summary.csv", profile.cue_names)
    write_html_report(out)
    rebuild_index(out)
    counts = {"total": len(paths), "ok": ok, "errors": errors, "skipped": skipped, "duplicates": duplicates}
    write_manifest(
        out,
        profile={"name": profile.name, "source": profile.source, "sha256": profile.sha256},
        parameters=parameters,
        started=started,
        finished=utc_now(),
        counts=counts,
    )
    return ScanSummary(total=len(paths), ok=ok, errors=errors, out_dir=out, skipped=skipped, duplicates=duplicates)
