"""COCO export and import: lossless round trip on scanned samples, pycocotools, other tools' files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from pycocotools.coco import COCO

from vision.batch import run_scan
from vision.cli import main
from vision.coco import from_coco, read_coco, to_coco, write_coco
from vision.report import read_results, result_schema

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """A scan of a few samples (Toofan, US, hard negative, real photo) and one unreadable file."""
    inputs = tmp_path_factory.mktemp("photos")
    for name in ("synthetic/toofan_001.jpg", "synthetic/toofan_002.jpg", "synthetic/us_001.jpg", "synthetic/neg_hazard_stripes_000.jpg", "real/coffee.jpg"):
        shutil.copy(SAMPLES / name, inputs / Path(name).name)
    (inputs / "empty.jpg").write_bytes(b"")
    out = tmp_path_factory.mktemp("scan")
    run_scan([inputs], out, progress=False)
    return out


def test_round_trip_is_lossless(scanned):
    records = read_results(scanned)
    assert any(r["status"] == "error" for r in records)
    assert any(region for r in records if r["status"] == "ok" for c in r["cues"].values() for region in c["regions"])
    back = from_coco(json.loads(json.dumps(to_coco(records))))
    assert back == records
    # key order too: the re-imported results.jsonl is the same text
    assert [json.dumps(r) for r in back] == [json.dumps(r) for r in records]


def test_round_trip_through_the_command_line(scanned, tmp_path):
    coco_file = tmp_path / "coco.json"
    assert main(["export", "coco", str(scanned), "--out", str(coco_file)]) == 0
    assert main(["import", "coco", str(coco_file), "--out", str(tmp_path / "back")]) == 0
    assert (tmp_path / "back" / "results.jsonl").read_text(encoding="utf-8") == (scanned / "results.jsonl").read_text(encoding="utf-8")
    assert (tmp_path / "back" / "report.html").is_file()
    assert (tmp_path / "back" / "summary.csv").read_text() == (scanned / "summary.csv").read_text()


def test_pycocotools_reads_boxes_scores_and_states(scanned, tmp_path):
    records = read_results(scanned)
    path = write_coco(records, tmp_path / "coco.json")
    coco = COCO(str(path))
    assert sorted(c["name"] for c in coco.loadCats(coco.getCatIds())) == sorted(records[0]["cues"])
    ok = [r for r in records if r["status"] == "ok"]
    assert len(coco.getImgIds()) == len(ok)
    for image_id in coco.getImgIds():
        image = coco.loadImgs(image_id)[0]
        record = next(r for r in ok if r["image"] == image["file_name"])
        assert (image["width"], image["height"]) == (record["width"], record["height"])
        for cat in coco.loadCats(coco.getCatIds()):
            anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id, catIds=cat["id"]))
            cue = record["cues"][cat["name"]]
            assert [a["bbox"] for a in anns] == [r["bbox"] for r in cue["regions"]]
            assert [a["score"] for a in anns] == [r["score"] for r in cue["regions"]]
            assert all(a["state"] == cue["state"] == a["attributes"]["state"] for a in anns)
            assert all(a["cue_score"] == cue["score"] and a["measurements"] == cue["measurements"] for a in anns)
    # as detection results, too (COCOeval's input)
    results = coco.loadRes([{k: a[k] for k in ("image_id", "category_id", "bbox", "score")} for a in coco.dataset["annotations"]])
    assert len(results.getAnnIds()) == len(coco.getAnnIds())


def test_other_tools_coco_imports_with_a_computed_identification(tmp_path):
    data = {
        "images": [{"id": 7, "file_name": "cvat/photo.jpg", "width": 640, "height": 480}],
        "categories": [{"id": 1, "name": "green_seal_tape"}, {"id": 2, "name": "yellow_bands"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 1, "bbox": [10.4, 20.6, 30, 12], "area": 360, "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 2, "bbox": [100, 100, 8, 8], "score": 0.7, "attributes": {"state": "present"}},
        ],
    }
    path = tmp_path / "cvat.json"
    path.write_text(json.dumps(data))
    (record,) = read_coco(path)
    jsonschema.validate(record, result_schema())
    assert record["cues"]["green_seal_tape"]["state"] == "present"
    assert record["cues"]["green_seal_tape"]["regions"] == [{"bbox": [10, 21, 30, 12], "score": 1.0}]
    assert record["cues"]["yellow_bands"]["score"] == 0.7
    assert record["cues"]["dark_green_cover"]["state"] == "absent"
    assert record["identification"]["label"] == "toofan"


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "'images' list"),
        ({"images": [{"id": 1}]}, "file_name"),
        ({"images": [], "categories": [{"id": 1}]}, "categories"),
        ({"images": [], "categories": [], "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}]}, "category_id 3"),
        ({"images": [], "categories": [{"id": 1, "name": "x"}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0]}]}, "bbox"),
        ({"images": [{"id": 1, "file_name": "a.jpg"}], "categories": []}, "a.jpg"),
    ],
)
def test_malformed_coco(data, message):
    with pytest.raises(ValueError, match=message):
        from_coco(data)


def test_import_of_a_bad_file_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SystemExit) as exc:
        main(["import", "coco", str(bad), "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert "not a readable COCO JSON file" in capsys.readouterr().err
