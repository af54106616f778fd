"""Video clips: frames sampled every N seconds, one record per frame."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest

from test_batch_scale import comparable, small_photo
from vision.batch import run_scan
from vision.cli import main
from vision.report import read_results, result_schema
from vision.video import sample_frames


def write_clip(path: Path, seconds: int = 3, fps: int = 10) -> Path:
    """An MJPG .avi: each second shows a different scene (scene i during second i)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (320, 240))
    assert writer.isOpened()
    for n in range(seconds * fps):
        writer.write(cv2.cvtColor(small_photo(n // fps), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.mark.parametrize(
    "every, frames, times",
    [
        (1.0, [0, 10, 20], [0.0, 1.0, 2.0]),
        (1.5, [0, 15], [0.0, 1.5]),
        (0.95, [0, 10, 19, 29], [0.0, 1.0, 1.9, 2.9]),  # the first frame at or after each sampling time
        (10.0, [0], [0.0]),
    ],
)
def test_sample_frames(tmp_path, every, frames, times):
    clip = write_clip(tmp_path / "clip.avi")
    got = list(sample_frames(clip, every))
    assert [n for n, _, _ in got] == frames
    assert [t for _, t, _ in got] == times
    for n, _, rgb in got:
        assert rgb.shape == (240, 320, 3) and rgb.dtype == np.uint8
        expected = small_photo(n // 10).astype(np.int16)
        assert np.abs(rgb.astype(np.int16) - expected).mean() < 4, "RGB order, not BGR"


@pytest.mark.parametrize("every, message", [(0, "positive"), (-1.0, "positive"), (float("nan"), "positive")])
def test_sample_frames_rejects_bad_intervals(tmp_path, every, message):
    with pytest.raises(ValueError, match=message):
        list(sample_frames(write_clip(tmp_path / "c.avi", seconds=1), every))


def test_scan_a_clip(tmp_path):
    clip = write_clip(tmp_path / "clip.avi")
    out = tmp_path / "out"
    assert main(["scan", str(clip), "--out", str(out), "--every", "1", "--no-progress"]) == 0
    records = read_results(out)
    assert [r["image"] for r in records] == [f"{clip}#t={t}" for t in (0.0, 1.0, 2.0)]
    schema = result_schema()
    for r, frame in zip(records, (0, 10, 20)):
        jsonschema.validate(r, schema)
        assert r["status"] == "ok"
        assert r["video"] == {"path": str(clip), "frame": frame, "time_s": frame / 10}
        assert (out / r["overlay"]).is_file()
        assert (r["width"], r["height"]) == (320, 240)
    assert len({r["overlay"] for r in records}) == 3, "an overlay per frame"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["every"] == 1.0 and manifest["counts"]["ok"] == 3
    assert "Best frames per clip" in (out / "report.html").read_text()


def test_clip_in_a_folder_and_resume(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_clip(folder / "clip.avi", seconds=2)
    cv2.imwrite(str(folder / "photo.jpg"), small_photo(9))
    out = tmp_path / "out"
    run_scan([folder], out, progress=False, every=1.0)
    full = read_results(out)
    assert [Path(r["image"]).name for r in full] == ["clip.avi#t=0.0", "clip.avi#t=1.0", "photo.jpg"]
    results = out / "results.jsonl"
    results.write_bytes(b"".join(results.read_bytes().splitlines(keepends=True)[:1]))  # killed after the first frame
    again = run_scan([folder], out, progress=False, resume=True, every=1.0)
    assert (again.skipped, again.ok) == (1, 2)
    assert comparable(read_results(out)) == comparable(full)


def test_unreadable_clip_is_an_error_record(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 10)
    out = tmp_path / "out"
    assert main(["scan", str(bad), "--out", str(out), "--no-progress"]) == 1
    (record,) = read_results(out)
    assert record["status"] == "error" and str(bad) in record["error"]
    jsonschema.validate(record, result_schema())


def test_every_must_be_positive(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.avi", seconds=1)
    with pytest.raises(SystemExit):
        main(["scan", str(clip), "--out", str(tmp_path / "o"), "--every", "0"])
    assert "--every must be > 0" in capsys.readouterr().err
