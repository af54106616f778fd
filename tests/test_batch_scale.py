"""Batches at scale: streaming results, --resume after a kill, manifests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.batch import recover_results, run_scan
from vision.report import read_results

ROOT = Path(__file__).resolve().parents[1]


def small_photo(i: int, width: int = 320, height: int = 240) -> np.ndarray:
    """A smooth RGB scene of coloured blobs, different for each ``i`` (pHashes >= 16 bits apart for i < 40)."""
    rng = np.random.default_rng(i)
    coarse = (rng.random((6, 8, 3)) * 200 + 20).astype(np.uint8)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 90) -> Path:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return path


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(20):
        write_jpeg(folder / f"p{i:02d}.jpg", small_photo(i))
    return folder


def comparable(records: list[dict]) -> list[dict]:
    """Records without their timing fields."""
    return [{k: v for k, v in r.items() if k != "timings"} for r in records]


def scan_cmd(inputs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "vision", "scan", str(inputs), "--out", str(out), "--no-progress", *extra]


def test_sigkill_mid_batch_then_resume_matches_an_uninterrupted_scan(photos, tmp_path):
    reference = tmp_path / "reference"
    subprocess.run(scan_cmd(photos, reference), check=True, cwd=ROOT, capture_output=True)
    expected = comparable(read_results(reference))
    assert len(expected) == 20

    out = tmp_path / "killed"
    proc = subprocess.Popen(scan_cmd(photos, out, "--jobs", "2"), cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if results.is_file() and results.read_bytes().count(b"\n") >= 3:
                break
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the scan and its workers: a new session started above
        proc.wait()
    written = results.read_bytes().count(b"\n")
    assert 3 <= written < 20, f"the kill should land mid-batch, {written} records were written"

    done = subprocess.run(scan_cmd(photos, out, "--resume", "--jobs", "2"), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = comparable(read_results(out))
    assert got == expected, "every photo exactly once, the same records as without the kill"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["skipped"] >= 3
    assert manifest["counts"]["skipped"] + manifest["counts"]["ok"] == 20
    assert len(list((out / "runs").glob("*.json"))) == 1, "the killed run wrote no manifest; the resumed one did"


@pytest.mark.parametrize(
    "tail",
    [
        b'{"image": "HALF-WRITTEN',  # cut mid-record
        b'{"image": "HALF-WRITTEN", "sha256": null}',  # cut just before the line end
        b"",  # cut between records: nothing to truncate
    ],
)
def test_half_written_last_line_is_truncated_and_redone(photos, tmp_path, tail):
    files = sorted(photos.glob("*.jpg"))[:4]
    out = tmp_path / "out"
    run_scan(files, out, progress=False)
    full = read_results(out)
    results = out / "results.jsonl"
    lines = results.read_bytes().splitlines(keepends=True)
    results.write_bytes(b"".join(lines[:3]) + tail)  # the fourth record was being written when the run died

    summary = run_scan(files, out, progress=False, resume=True)
    assert (summary.skipped, summary.ok) == (3, 1)
    assert comparable(read_results(out)) == comparable(full)
    text = results.read_bytes()
    assert text.endswith(b"\n") and b"HALF-WRITTEN" not in text


def test_damaged_line_before_the_last_is_an_error(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_text('{"image": "a.jpg", "sha256": null}\nnot json\n{"image": "b.jpg", "sha256": null}\n')
    with pytest.raises(ValueError, match="results.jsonl:2: not a JSON record"):
        recover_results(results)


def test_recover_results_maps_paths_to_digests(tmp_path):
    results = tmp_path / "results.jsonl"
    assert recover_results(results) == {}
    results.write_text('{"image": "a.jpg", "sha256": "ab"}\n{"image": "b.jpg", "sha256": null}\n{"ima')
    assert recover_results(results) == {"a.jpg": "ab", "b.jpg": None}
    assert results.read_text().endswith("null}\n")


def test_without_resume_results_are_replaced_and_changed_photos_are_redone(photos, tmp_path):
    files = sorted(photos.glob("*.jpg"))[:3]
    out = tmp_path / "out"
    run_scan(files, out, progress=False)
    again = run_scan(files, out, progress=False)
    assert (again.ok, again.skipped) == (3, 0)
    assert len(read_results(out)) == 3, "replaced, not appended"

    write_jpeg(files[0], small_photo(19))  # the content changed since it was recorded
    resumed = run_scan(files, out, progress=False, resume=True)
    assert (resumed.ok, resumed.skipped) == (1, 2)


def test_manifest_records_the_run(photos, tmp_path):
    out = tmp_path / "out"
    files = sorted(photos.glob("*.jpg"))[:2]
    from vision.cli import main

    assert main(["scan", *map(str, files), "--out", str(out), "--no-progress"]) == 0
    assert main(["scan", *map(str, files), "--out", str(out), "--no-progress", "--resume"]) == 0
    runs = sorted((out / "runs").glob("*.json"))
    assert len(runs) == 2, "one manifest per run"
    first, latest = (json.loads(p.read_text()) for p in runs)
    assert json.loads((out / "manifest.json").read_text()) == latest
    assert first["counts"] == {"total": 2, "ok": 2, "errors": 0, "skipped": 0, "duplicates": 0}
    assert latest["counts"] == {"total": 2, "ok": 0, "errors": 0, "skipped": 2, "duplicates": 0}
    assert latest["parameters"]["resume"] is True and latest["parameters"]["jobs"] == 1
    assert first["profile"]["name"] == "toofan" and len(first["profile"]["sha256"]) == 64
    assert first["tool_version"] and first["python"]["version"]
    for lib in ("numpy", "scikit-image", "pillow", "tesserocr"):
        assert first["libraries"][lib], lib
    # Tesseract's version, or why there is none (no English model: the serial cue is not assessable).
    assert first["libraries"]["tesseract"] or "not installed" in first["libraries"]["tesseract_error"]
    assert first["libraries"]["opencv-python-headless"] or first["libraries"]["opencv-python"]
    assert first["started"] <= first["finished"] <= latest["started"]


def test_exact_and_near_duplicates(tmp_path):
    import hashlib
    import shutil

    import jsonschema

    from vision.report import result_schema

    folder = tmp_path / "dups"
    folder.mkdir()
    write_jpeg(folder / "a.jpg", small_photo(1))
    shutil.copy(folder / "a.jpg", folder / "a_copy.jpg")  # same bytes
    shutil.copy(folder / "a.jpg", folder / "z_copy.jpg")
    write_jpeg(folder / "b_smaller.jpg", cv2.resize(small_photo(1), (200, 150), interpolation=cv2.INTER_AREA), quality=60)  # near
    write_jpeg(folder / "c.jpg", small_photo(2))  # unrelated
    out = tmp_path / "out"
    summary = run_scan([folder], out, progress=False, jobs=2)
    assert (summary.total, summary.ok, summary.duplicates) == (5, 5, 2)
    records = {Path(r["image"]).name: r for r in read_results(out)}
    for rec in records.values():
        jsonschema.validate(rec, result_schema())
        assert len(rec["phash"]) == 16
    original = records["a.jpg"]
    for name in ("a_copy.jpg", "z_copy.jpg"):
        copy = records[name]
        assert copy["duplicate_of"] == original["image"]
        assert copy["image"].endswith(name)
        same = ("sha256", "cues", "identification", "overlay", "phash", "width", "height")
        assert {k: copy[k] for k in same} == {k: original[k] for k in same}
    assert "duplicate_of" not in original and "duplicate_of" not in records["b_smaller.jpg"]
    group = hashlib.sha256((folder / "a.jpg").read_bytes()).hexdigest()[:12]
    assert {n: r.get("near_duplicate_group") for n, r in records.items()} == {
        "a.jpg": group, "a_copy.jpg": group, "z_copy.jpg": group, "b_smaller.jpg": group, "c.jpg": None,
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["duplicates"] == 2
    from vision import index

    assert (out / "results.sqlite").is_file(), "the scan builds the query index"
    assert sorted(Path(r["image"]).name for r in index.query(out) if r.get("near_duplicate_group") == group) == [
        "a.jpg", "a_copy.jpg", "b_smaller.jpg", "z_copy.jpg",
    ]
    html = (out / "report.html").read_text()
    assert html.count(f'"group":"{group}"') == 4, "the gallery knows each photo's group (sort and badge)"


def test_duplicate_of_a_photo_recorded_by_an_earlier_run(tmp_path):
    import shutil

    folder = tmp_path / "d"
    folder.mkdir()
    write_jpeg(folder / "a.jpg", small_photo(3))
    write_jpeg(folder / "b.jpg", small_photo(4))
    out = tmp_path / "out"
    run_scan([folder], out, progress=False)
    shutil.copy(folder / "a.jpg", folder / "c.jpg")
    summary = run_scan([folder], out, progress=False, resume=True)
    assert (summary.skipped, summary.duplicates, summary.ok) == (2, 1, 1)
    fresh = tmp_path / "fresh"
    run_scan([folder], fresh, progress=False)
    assert comparable(read_results(out)) == comparable(read_results(fresh))
    assert read_results(out)[-1]["duplicate_of"] == str(folder / "a.jpg")


@pytest.mark.parametrize(
    "hashes, distance, expected",
    [
        (["0000000000000000", "00000000000000ff", "ffffffffffffffff"], 8, ["g0", "g0", None]),
        (["0000000000000000", "00000000000001ff"], 8, [None, None]),  # 9 bits apart
        (["0000000000000000", "00000000000000ff", "000000000000ffff"], 8, ["g0", "g0", "g0"]),  # transitive
        (["000000000000ffff", None, "0000000000000000", "00000000000000ff"], 8, ["g0", None, "g0", "g0"]),
        ([], 8, []),
    ],
)
def test_near_duplicate_groups(hashes, distance, expected):
    from vision.dedupe import near_duplicate_groups

    assert near_duplicate_groups(hashes, [f"g{i}" for i in range(len(hashes))], distance=distance) == expected


@pytest.mark.parametrize(
    "edit, near",
    [
        (lambda rgb: cv2.resize(rgb, (160, 120), interpolation=cv2.INTER_AREA), True),
        (lambda rgb: np.clip(rgb.astype(np.int16) + 25, 0, 255).astype(np.uint8), True),
        (lambda rgb: cv2.imdecode(cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 30])[1], cv2.IMREAD_UNCHANGED), True),
        (lambda rgb: rgb[:, ::-1], False),
        (lambda rgb: small_photo(7), False),
    ],
)
def test_phash_tolerates_small_edits_only(edit, near):
    from vision.dedupe import NEAR_DUPLICATE_DISTANCE, hamming, phash

    rgb = small_photo(5)
    assert (hamming(phash(rgb), phash(np.ascontiguousarray(edit(rgb)))) <= NEAR_DUPLICATE_DISTANCE) is near


def test_phash_matches_an_independent_dct():
    """The hash bits against scipy-free numpy: DCT-II as a matrix product."""
    from vision.dedupe import phash

    rgb = small_photo(6)
    grey = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA).astype(np.float64)
    n = np.arange(32)
    basis = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 64) * np.sqrt(2 / 32)
    basis[0] /= np.sqrt(2)
    low = (basis @ grey @ basis.T)[:8, :8].reshape(-1)
    bits = "".join("1" if c > np.median(low[1:]) else "0" for c in low)
    assert phash(rgb) == f"{int(bits, 2):016x}"


@pytest.mark.parametrize("builtin", [True, False])
def test_popcount_matches_python(monkeypatch, builtin):
    from vision import dedupe

    if not builtin:
        monkeypatch.delattr(np, "bitwise_count", raising=False)
    values = np.random.default_rng(0).integers(0, 2**63, 200, dtype=np.int64).astype(np.uint64) * np.uint64(3)
    assert dedupe._popcount(values).tolist() == [bin(int(v)).count("1") for v in values]


def test_manifest_says_why_tesseract_is_missing(monkeypatch):
    from vision import ocr
    from vision.manifest import library_versions

    monkeypatch.setattr(ocr, "tesseract_path", lambda: None)
    versions = library_versions()
    assert versions["tesseract"] is None and "not installed" in versions["tesseract_error"]


def test_worker_thread_limit_lasts_only_for_the_pool(tmp_path, monkeypatch):
    """Workers inherit OMP_THREAD_LIMIT=1; the caller's environment is as it was afterwards."""
    from vision.batch import run_scan

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    photo = tmp_path / "a.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(photo), np.full((40, 60, 3), 128, np.uint8))
    assert run_scan([photo], tmp_path / "out", jobs=2, progress=False).ok == 1
    assert "OMP_THREAD_LIMIT" not in os.environ

