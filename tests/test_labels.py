"""Label loading: the project's format, COCO and the minimal CSV; matching results to labels."""

from __future__ import annotations

import json

import pytest

from vision.labels import Label, LabelSet, load_labels, write_csv

PROJECT = {
    "schema_version": "1",
    "images": [
        {"image": "synthetic/toofan_000.jpg", "toofan": 1, "kind": "toofan", "green_seal_tape": 1, "yellow_bands": 3, "band_groups": 2,
         "cover": "dark_green", "serial": "IAQB",
         "boxes": {"green_seal_tape": [[1, 2, 3, 4]], "yellow_bands": [[5, 6, 7, 8], [9, 9, 2, 2]], "tube": [[0, 0, 50, 20]], "serial": []}},
        {"image": "synthetic/us_000.jpg", "toofan": 0, "green_seal_tape": 0, "yellow_bands": 1, "cover": "olive_drab", "serial": None},
        {"image": "real/cat.jpg", "toofan": 0},
    ],
}

COCO = {
    "images": [
        {"id": 1, "file_name": "a/toofan_000.jpg", "width": 100, "height": 80, "attributes": {"toofan": 1, "yellow_bands": 3, "serial": "ABCD"}},
        {"id": 2, "file_name": "a/us_000.jpg", "width": 100, "height": 80, "attributes": {"toofan": 0}},
        {"id": 3, "file_name": "a/tape_only.jpg", "toofan": 0, "green_seal_tape": 1},
    ],
    "categories": [{"id": 1, "name": "green_seal_tape"}, {"id": 2, "name": "yellow_bands"}, {"id": 3, "name": "tube"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 5, 20]},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [30, 40, 4, 4]},
        {"id": 3, "image_id": 1, "category_id": 3, "bbox": [0, 0, 60, 20.4]},
    ],
}


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_project_format(tmp_path):
    labels = load_labels(_write(tmp_path, "labels.json", PROJECT))
    assert labels.format == "project" and len(labels) == 3
    toofan, us, cat = labels
    assert toofan.cues == {"green_seal_tape": 1, "yellow_bands": 1, "dark_green_cover": 1, "serial_4_letter": 1}
    assert (toofan.band_count, toofan.cover, toofan.serial) == (3, "dark_green", "IAQB")
    assert toofan.boxes["dark_green_cover"] == ((0, 0, 50, 20),)  # the tube is the cover's region
    assert toofan.boxes["yellow_bands"] == ((5, 6, 7, 8), (9, 9, 2, 2))
    assert toofan.attributes["kind"] == "toofan" and toofan.attributes["band_groups"] == 2
    assert us.cues == {"green_seal_tape": 0, "yellow_bands": 0, "dark_green_cover": 0, "serial_4_letter": 0} and us.boxes is None
    assert cat.cues == {} and cat.band_count is None  # nothing said: unknown, not absent


def test_coco_format(tmp_path):
    labels = load_labels(_write(tmp_path, "coco.json", COCO))
    assert labels.format == "coco"
    toofan, us, tape_only = labels
    assert toofan.toofan == 1 and toofan.cues == {"green_seal_tape": 1, "yellow_bands": 1, "serial_4_letter": 1}
    assert toofan.boxes == {"green_seal_tape": ((10, 10, 5, 20),), "yellow_bands": ((30, 40, 4, 4),), "dark_green_cover": ((0, 0, 60, 20),)}
    assert toofan.serial == "ABCD"
    assert us.cues == {"green_seal_tape": 0} and us.boxes["green_seal_tape"] == ()  # annotations are exhaustive
    assert tape_only.cues["green_seal_tape"] == 1  # a plain key works as well as an attribute


def test_csv_format(tmp_path):
    text = "image,toofan,green_seal_tape,yellow_bands,serial\ntoofan_000.jpg,1,1,3,IAQB\nus_000.jpg,0,,1,\n\ncat.jpg,0,,,\n"
    labels = load_labels(_write(tmp_path, "labels.csv", text))
    assert labels.format == "csv" and [l.image for l in labels] == ["toofan_000.jpg", "us_000.jpg", "cat.jpg"]
    assert labels[0].cues == {"green_seal_tape": 1, "yellow_bands": 1, "serial_4_letter": 1} and labels[0].serial == "IAQB"
    assert labels[1].cues == {"yellow_bands": 0} and labels[1].serial is None
    assert labels[2].cues == {} and labels[2].boxes is None


def test_csv_written_from_project_labels_reads_back(tmp_path):
    project = load_labels(_write(tmp_path, "labels.json", PROJECT))
    back = load_labels(write_csv(project, tmp_path / "labels.csv"))
    for a, b in zip(project, back):
        assert (a.image, a.toofan, a.band_count, a.serial) == (b.image, b.toofan, b.band_count, b.serial)
        assert a.cues.get("green_seal_tape") == b.cues.get("green_seal_tape")


@pytest.mark.parametrize(
    "name, content, error",
    [
        ("l.csv", "image,green_seal_tape\na.jpg,1\n", "need the columns 'image' and 'toofan'"),
        ("l.csv", "image,toofan\na.jpg,2\n", r"l.csv:2: toofan: expected 0 or 1, got '2'"),
        ("l.csv", "image,toofan\na.jpg,\n", "toofan: required"),
        ("l.csv", "image,toofan,yellow_bands\na.jpg,1,two\n", "yellow_bands: expected a whole number"),
        ("l.csv", "image,toofan\na.jpg,1\na.jpg,0\n", "labelled twice"),
        ("l.json", {"images": [{"image": "a.jpg"}]}, "a.jpg: toofan: required"),
        ("l.json", {"images": [{"image": "a.jpg", "toofan": 1, "boxes": {"tube": [[1, 2, 3]]}}]}, r"boxes.tube: expected a box"),
        ("l.json", {"images": "nope"}, "expected {'images': \\[...\\]}"),
        ("l.json", "[1, 2]", "expected a JSON object"),
        ("l.json", "{not json", "nor valid JSON"),
        ("c.json", {"images": [{"id": 1, "file_name": "a.jpg"}], "categories": []}, r"toofan \(an image attribute\): required"),
        ("c.json", {"images": [{"id": 1, "file_name": "a.jpg", "toofan": 1}], "categories": [], "annotations": [{"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]}]},
         "category_id 9 is not in 'categories'"),
    ],
)
def test_malformed_labels_name_the_problem(tmp_path, name, content, error):
    with pytest.raises(ValueError, match=error):
        load_labels(_write(tmp_path, name, content))


def test_missing_file():
    with pytest.raises(ValueError, match="not a readable file"):
        load_labels("/nonexistent/labels.csv")


def test_unknown_csv_column_warns(tmp_path):
    with pytest.warns(UserWarning, match=r"ignoring unknown column\(s\) \['colour'\]"):
        load_labels(_write(tmp_path, "l.csv", "image,toofan,colour\na.jpg,1,red\n"))


@pytest.mark.parametrize(
    "record_path, expected",
    [
        ("samples/synthetic/a.jpg", "synthetic/a.jpg"),  # names collide: the folder decides
        ("/abs/real/a.jpg", "real/a.jpg"),
        ("scans\\real\\A.JPG", "real/a.jpg"),  # a path written on Windows; names match case-insensitively
        ("b.jpg", "x/b.jpg"),  # a unique name matches whatever the folders
        ("other/c.jpg", None),
    ],
)
def test_match_by_name_then_path(record_path, expected):
    labels = LabelSet([Label("synthetic/a.jpg", 1), Label("real/a.jpg", 0), Label("x/b.jpg", 0)])
    found = labels.match(record_path)
    assert (found.image if found else None) == expected


def test_ambiguous_match_warns():
    labels = LabelSet([Label("one/a.jpg", 1), Label("two/a.jpg", 0)])
    with pytest.warns(UserWarning, match="equally well"):
        assert labels.match("elsewhere/a.jpg") is None


@pytest.mark.parametrize(
    "kwargs, error",
    [({"image": "", "toofan": 1}, "image"), ({"image": "a.jpg", "toofan": 2}, "toofan"), ({"image": "a.jpg", "toofan": True}, "toofan"),
     ({"image": "a.jpg", "toofan": 1, "cues": {"green_seal_tape": 5}}, "green_seal_tape"), ({"image": "a.jpg", "toofan": 1, "band_count": -1}, "yellow_bands")],
)
def test_label_validation(kwargs, error):
    with pytest.raises(ValueError, match=error):
        Label(**kwargs)


def test_sample_labels_load():
    from pathlib import Path

    labels = load_labels(Path(__file__).resolve().parents[1] / "samples" / "labels.json")
    assert len(labels) >= 90 and {l.toofan for l in labels} == {0, 1}
    assert all(l.boxes is not None for l in labels)
