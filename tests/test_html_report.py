"""The HTML report: escaping, self-containment, summary numbers, thumbnails, speed bound."""

from __future__ import annotations

import html
import json
import re
import shutil
import time
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

from vision.batch import run_scan
from vision.html_report import REPORT_NAME, THUMB_SIDE, _summary, photo_entry, render_report, script_json, write_html_report
from vision.io import load_image
from vision.report import read_results

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
PAYLOAD = "<img src=x onerror=alert(1)>"


def page_data(page: str) -> tuple[dict, list]:
    """The gallery index and the photo pages' details embedded in a report page."""
    found = dict(re.findall(r'<script type="application/json" id="(vision-data|vision-details)">(.*?)</script>', page, re.S))
    return json.loads(found["vision-data"]), json.loads(found["vision-details"])


def make_record(image: str, confidence: float, *, label: str | None = None, states=("present", "absent", "not_assessable")) -> dict:
    """A schema-shaped record with made-up findings (no photo needed)."""
    names = ("green_seal_tape", "yellow_bands", "dark_green_cover")
    cues = {}
    for name, state in zip(names, states):
        cues[name] = {
            "state": state,
            "present": state == "present",
            "score": 0.0 if state == "not_assessable" else round(confidence, 6),
            "reason": "too small" if state == "not_assessable" else None,
            "regions": [{"bbox": [10, 20, 30, 40], "score": round(confidence, 6), "label": name}] if state == "present" else [],
            "measurements": {"lab": [40.0, -30.0, 20.0], "nested": {"a": 1}},
        }
    return {
        "image": image,
        "sha256": "ab" * 32,
        "status": "ok",
        "width": 640,
        "height": 480,
        "cues": cues,
        "identification": {
            "profile": "toofan",
            "label": label or ("toofan" if confidence >= 0.5 else "not_toofan"),
            "confidence": confidence,
            "log_lr": 0.5,
            "verbal": "weak support",
            "evidence": [{"cue": n, "state": cues[n]["state"], "score": cues[n]["score"], "log_lr": 0.1} for n in names],
        },
        "overlay": None,
        "normalisation": {"illuminant_gains": [1.0, 1.0, 1.0], "working_size": [640, 480], "scale": [1.0, 1.0]},
        "source": {"mode": "RGB", "notes": []},
        "profile": {"name": "toofan", "source": "vision:toofan", "sha256": "cd" * 32},
        "schema_version": "1.0",
        "tool_version": "0.1.0",
        "timings": {"decode": 0.01},
    }


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """A real scan of three sample photos and one unreadable file."""
    inputs = tmp_path_factory.mktemp("inputs")
    for name in ("synthetic/toofan_001.jpg", "synthetic/us_000.jpg", "real/astronaut.jpg"):
        shutil.copy(SAMPLES / name, inputs / Path(name).name)
    (inputs / "broken.jpg").write_bytes(b"not an image")
    out = tmp_path_factory.mktemp("scan")
    run_scan([inputs], out, progress=False)
    return out


@pytest.mark.parametrize(
    "text",
    ["</script><script>alert(1)</script>", "<!-- x", "a & b", "line\u2028sep\u2029para", PAYLOAD, "quote \" and ' \\"],
)
def test_script_json_is_inert_inside_script(text):
    out = str(script_json({"s": text}))
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in out
    assert json.loads(out) == {"s": text}


@pytest.mark.parametrize(
    "field, path",
    [
        ("image", ("image",)),
        ("label", ("identification", "label")),
        ("verbal", ("identification", "verbal")),
        ("profile source", ("profile", "source")),
        ("tool version", ("tool_version",)),
        ("measurement", ("cues", "green_seal_tape", "measurements", "note")),
        ("region label", ("cues", "green_seal_tape", "regions", 0, "label")),
    ],
)
def test_strings_from_files_and_metadata_are_escaped(tmp_path, field, path):
    record = make_record(f"photos/{PAYLOAD}.jpg", 0.9)
    target = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = PAYLOAD if field != "image" else f"photos/{PAYLOAD}.jpg"
    page = render_report([record], tmp_path)
    assert PAYLOAD not in page, f"{field} reached the page unescaped"
    assert "onerror=alert(1)" in page  # still there, as text


def test_error_message_with_markup_is_escaped(tmp_path):
    record = {"image": f"{PAYLOAD}.jpg", "sha256": None, "status": "error", "error": f"{PAYLOAD}: empty file", "schema_version": "1.0", "tool_version": "0.1.0"}
    page = render_report([record], tmp_path)
    assert PAYLOAD not in page
    data, _ = page_data(page)
    assert data["photos"][0]["error"] == f"{PAYLOAD}: empty file"
    assert data["photos"][0]["label"] == "error"


def test_report_is_self_contained(tmp_path):
    page = render_report([make_record("a.jpg", 0.7), make_record("b.jpg", 0.2)], tmp_path)
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(link|script)[^>]+(href|src)=\"(?!data:)", page), "no external stylesheet or script"
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    nonces = set(re.findall(r"nonce-([A-Za-z0-9_-]+)", page))
    assert len(nonces) == 1 and re.search(rf'<script nonce="{nonces.pop()}">', page)


def test_histogram_and_counts_match_numpy(tmp_path):
    rng = np.random.default_rng(5)
    confidences = np.round(rng.uniform(0, 1, 300), 6)
    confidences[:3] = [0.0, 1.0, 0.5]
    records = [make_record(f"p{i}.jpg", float(c)) for i, c in enumerate(confidences)]
    photos = [photo_entry(r, i, tmp_path) for i, r in enumerate(records)]
    summary = _summary(photos)
    reference, _ = np.histogram(confidences, bins=20, range=(0.0, 1.0))
    assert summary["histogram"]["totals"] == reference.tolist()
    assert dict(summary["labels"]) == {"toofan": int((confidences >= 0.5).sum()), "not_toofan": int((confidences < 0.5).sum())}
    assert summary["cue_states"]["green_seal_tape"] == {"present": 300, "absent": 0, "not_assessable": 0}


def test_original_url_resolves_to_the_photo(tmp_path):
    photo_dir = tmp_path / "in dir #1"
    photo_dir.mkdir()
    photo = photo_dir / f"{PAYLOAD} 100%?.jpg"
    photo.write_bytes(b"x")
    out = tmp_path / "out"
    out.mkdir()
    entry = photo_entry(make_record(str(photo), 0.5), 0, out)
    assert "<" not in entry["original"] and "#" not in entry["original"] and "?" not in entry["original"]
    assert (out / unquote(entry["original"])).resolve() == photo.resolve()


def test_scan_writes_report_and_thumbnails(scanned):
    page = (scanned / REPORT_NAME).read_text(encoding="utf-8")
    data, details = page_data(page)
    records = read_results(scanned)
    assert [p["path"] for p in data["photos"]] == [r["image"] for r in records]
    assert sum(p["label"] == "error" for p in data["photos"]) == 1
    for p, d in zip(data["photos"], details):
        if p["status"] != "ok":
            continue
        thumb = load_image(scanned / unquote(p["thumb"])).rgb
        assert max(thumb.shape[:2]) == THUMB_SIDE
        assert (scanned / unquote(p["overlay"])).is_file()
        assert d["provenance"]["sha256"] and d["provenance"]["profile"]["name"] == "toofan"
        assert {c["name"] for c in d["cues"]} >= {"green_seal_tape", "yellow_bands", "dark_green_cover"}
        assert all(c["log_lr"] is not None for c in d["cues"])
        assert p["states"] == [next(c["state"] for c in d["cues"] if c["name"] == name) for name in data["cues"]]


def test_thumbnails_are_reused(scanned):
    thumbs = sorted((scanned / "thumbs").iterdir())
    before = [t.stat().st_mtime_ns for t in thumbs]
    time.sleep(0.01)
    write_html_report(scanned)
    assert [t.stat().st_mtime_ns for t in thumbs] == before


def test_missing_or_outdated_thumbnails_are_remade(scanned, tmp_path):
    """A scan folder whose thumbnails are gone (or older than their overlays) gets them back."""
    out = tmp_path / "scan"
    shutil.copytree(scanned, out)
    made = {t.name: load_image(t).rgb for t in (out / "thumbs").iterdir()}
    shutil.rmtree(out / "thumbs")
    write_html_report(out)
    remade = {t.name: load_image(t).rgb for t in (out / "thumbs").iterdir()}
    assert remade.keys() == made.keys() and len(made) == 3
    for name, rgb in remade.items():
        assert rgb.shape == made[name].shape and max(rgb.shape[:2]) == THUMB_SIDE
        assert np.abs(rgb.astype(int) - made[name]).mean() < 8  # the same picture, made another way
    overlay = next((out / "overlays").iterdir())
    thumb = out / "thumbs" / overlay.name
    old = thumb.stat().st_mtime_ns
    time.sleep(0.01)
    overlay.touch()
    write_html_report(out)
    assert thumb.stat().st_mtime_ns > old


@pytest.mark.parametrize("records, error", [(iter([]), TypeError), ({"image": "a"}, TypeError)])
def test_bad_records_argument(tmp_path, records, error):
    with pytest.raises(error, match="records"):
        render_report(records, tmp_path)


def test_ten_thousand_records_render_quickly(tmp_path):
    """Generous bound; the measured figure is in benchmarks/bench_report.py's output."""
    rng = np.random.default_rng(1)
    records = [make_record(f"photos/p{i:05d}.jpg", float(c)) for i, c in enumerate(rng.uniform(0, 1, 10_000))]
    t0 = time.perf_counter()
    path = write_html_report(tmp_path, records)
    elapsed = time.perf_counter() - t0
    assert path.stat().st_size > 0
    assert elapsed < 30, f"report for 10,000 records took {elapsed:.1f} s"
