"""End-to-end: the ``vision scan`` command on real files, bad ones included."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import jsonschema
import pytest

from vision.cli import main
from vision.report import read_results, result_schema


def _records(out):
    return {r["image"].rsplit("/", 1)[-1]: r for r in read_results(out)}


def test_batch_with_bad_inputs_goes_on(bad_files, tmp_path):
    out = tmp_path / "out"
    code = main(["scan", str(bad_files["good.jpg"].parent), "--out", str(out), "--no-progress"])
    assert code == 1, "some inputs could not be read"
    records = _records(out)
    assert set(records) == set(bad_files), "every input gets a record"
    schema = result_schema()
    for rec in records.values():
        jsonschema.validate(rec, schema)
    for name in ("zero_byte.jpg", "truncated.jpg", "text.jpg", "bomb.png"):
        assert records[name]["status"] == "error"
        assert name in records[name]["error"]
    for name in ("good.jpg", "one_pixel.png", "sixteen_bit.png", "rgba.png", "gray.png", "cmyk.jpg", "exif_rotated.jpg"):
        rec = records[name]
        assert rec["status"] == "ok", rec.get("error")
        assert (out / rec["overlay"]).is_file()
        assert 0.0 <= rec["identification"]["confidence"] <= 1.0
    assert (records["exif_rotated.jpg"]["width"], records["exif_rotated.jpg"]["height"]) == (48, 64)
    assert records["one_pixel.png"]["cues"]["green_seal_tape"]["state"] == "not_assessable"
    assert "too small" in records["one_pixel.png"]["cues"]["green_seal_tape"]["reason"]
    with open(out / "summary.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(bad_files)
    assert {"image", "status", "confidence", "label", "green_seal_tape", "yellow_bands", "dark_green_cover"} <= set(rows[0])


def test_all_good_exits_zero_and_sha256(bad_files, tmp_path):
    import hashlib

    out = tmp_path / "out"
    assert main(["scan", str(bad_files["good.jpg"]), str(bad_files["gray.png"]), "--out", str(out), "--no-progress"]) == 0
    rec = _records(out)["good.jpg"]
    assert rec["sha256"] == hashlib.sha256(bad_files["good.jpg"].read_bytes()).hexdigest()
    assert rec["schema_version"] and rec["tool_version"]


def test_parallel_jobs_give_the_same_records(bad_files, tmp_path):
    folder = str(bad_files["good.jpg"].parent)
    main(["scan", folder, "--out", str(tmp_path / "a"), "--no-progress"])
    main(["scan", folder, "--out", str(tmp_path / "b"), "--jobs", "2", "--no-progress"])
    strip = lambda r: {k: v for k, v in r.items() if k != "timings"}
    a = [strip(r) for r in read_results(tmp_path / "a")]
    b = [strip(r) for r in read_results(tmp_path / "b")]
    assert a == b


@pytest.mark.parametrize(
    "argv, message",
    [
        (["scan"], "required"),
        (["scan", "x.jpg"], "--out"),
        (["scan", "{inp}", "--out", "{out}", "--jobs", "0"], "--jobs must be >= 1"),
        (["scan", "{inp}", "--out", "{out}", "--profile", "nope"], "neither a packaged profile"),
        (["scan", "{empty}", "--out", "{out}"], "no image files found"),
        (["bogus"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(argv, message, bad_files, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = [a.format(inp=bad_files["good.jpg"], out=tmp_path / "o", empty=empty) for a in argv]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_path_is_an_error_record(bad_files, tmp_path):
    out = tmp_path / "out"
    code = main(["scan", str(bad_files["good.jpg"]), str(tmp_path / "missing.jpg"), "--out", str(out), "--no-progress"])
    assert code == 1
    assert "file not found" in _records(out)["missing.jpg"]["error"]


def test_python_dash_m_and_help():
    out = subprocess.run([sys.executable, "-m", "vision", "scan", "--help"], capture_output=True, text=True, check=True)
    assert "--profile" in out.stdout and "--jobs" in out.stdout
    assert json.loads(json.dumps(result_schema()))["title"]
