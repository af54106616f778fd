"""The SQLite query index and ``vision query``."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing

import pytest

from vision import index
from vision.cli import main


def record(image: str, label: str, confidence: float, **states: str) -> dict:
    return {
        "image": image, "sha256": None, "status": "ok", "width": 4, "height": 3,
        "cues": {name: {"state": state, "present": state == "present", "score": 0.5, "regions": [], "measurements": {}} for name, state in states.items()},
        "identification": {"profile": "toofan", "label": label, "confidence": confidence, "verbal": "", "evidence": []},
        "overlay": None, "schema_version": "1.0", "tool_version": "0",
    }


@pytest.fixture
def scan_dir(tmp_path):
    records = [
        record("a.jpg", "toofan", 0.95, green_seal_tape="present", yellow_bands="present"),
        record("b.jpg", "toofan", 0.85, green_seal_tape="absent", yellow_bands="present"),
        record("c.jpg", "not_toofan", 0.10, green_seal_tape="present", yellow_bands="absent"),
        record("d.jpg", "toofan", 0.90, green_seal_tape="present", yellow_bands="not_assessable"),
        {"image": "e.jpg", "sha256": None, "status": "error", "error": "e.jpg: empty file", "schema_version": "1.0", "tool_version": "0"},
    ]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path


def names(records):
    return [r["image"] for r in records]


@pytest.mark.parametrize(
    "kwargs, expected, error",
    [
        ({}, ["a.jpg", "d.jpg", "b.jpg", "c.jpg", "e.jpg"], None),
        ({"min_confidence": 0.8}, ["a.jpg", "d.jpg", "b.jpg"], None),
        ({"min_confidence": 0.8, "cues": {"green_seal_tape": "present"}}, ["a.jpg", "d.jpg"], None),
        ({"cues": {"green_seal_tape": "present", "yellow_bands": "present"}}, ["a.jpg"], None),
        ({"label": "not_toofan"}, ["c.jpg"], None),
        ({"label": "error"}, ["e.jpg"], None),
        ({"cues": {"yellow_bands": "not_assessable"}, "label": "toofan"}, ["d.jpg"], None),
        ({"min_confidence": 1.5}, None, "min_confidence: expected a number in"),
        ({"cues": {"yellow_bands": "maybe"}}, None, "expected one of present"),
    ],
)
def test_query(scan_dir, kwargs, expected, error):
    if error:
        with pytest.raises(ValueError, match=error):
            index.query(scan_dir, **kwargs)
    else:
        assert names(index.query(scan_dir, **kwargs)) == expected


def test_index_is_rebuilt_when_missing_or_older(scan_dir):
    db = scan_dir / "results.sqlite"
    index.query(scan_dir)
    assert db.is_file()
    results = scan_dir / "results.jsonl"
    with results.open("a") as fh:
        fh.write(json.dumps(record("f.jpg", "toofan", 0.99, green_seal_tape="present")) + "\n")
    stamp = db.stat().st_mtime_ns
    os.utime(results, ns=(stamp + 10**9, stamp + 10**9))
    assert names(index.query(scan_dir, min_confidence=0.96)) == ["f.jpg"], "outdated index rebuilt"
    db.unlink()
    assert len(index.query(scan_dir)) == 6, "missing index rebuilt"
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("SELECT COUNT(*) FROM cues").fetchone() == (9,)


def test_index_skips_a_half_written_last_line(scan_dir):
    with (scan_dir / "results.jsonl").open("a") as fh:
        fh.write('{"image": "half')
    index.rebuild(scan_dir)
    assert len(index.query(scan_dir)) == 5


def test_cli_query_table_and_json(scan_dir, capsys):
    argv = ["query", str(scan_dir), "--min-confidence", "0.8", "--cue", "green_seal_tape=present", "--label", "toofan"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["image", "label", "confidence"]
    assert [line.split() for line in out[1:]] == [["a.jpg", "toofan", "0.950"], ["d.jpg", "toofan", "0.900"]]
    assert main([*argv, "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert names(records) == ["a.jpg", "d.jpg"] and records[0]["cues"]["green_seal_tape"]["state"] == "present"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--cue", "green_seal_tape"], "expected NAME=STATE"),
        (["--cue", "green_seal_tape=maybe"], "expected NAME=STATE"),
        (["--min-confidence", "x"], "expected a number in [0, 1]"),
        (["--cue", "a=present", "--cue", "a=absent"], "each cue may be given once"),
    ],
)
def test_cli_query_usage_errors(scan_dir, capsys, extra, message):
    with pytest.raises(SystemExit) as exc:
        main(["query", str(scan_dir), *extra])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_query_needs_a_scan_folder(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["query", str(tmp_path)])
    assert "not a scan folder" in capsys.readouterr().err
