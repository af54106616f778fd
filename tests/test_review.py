"""The review server (paths, origins, tokens, concurrency) and the verdicts store and export.

Every server here is bound to 127.0.0.1 on a free port, every request has a timeout, and
every server is stopped by its ``with`` block.
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from vision.batch import run_scan
from vision.cli import main
from vision.labels import load_labels
from vision.report import read_results
from vision.review import DB_NAME, MAX_BODY, ReviewServer, VerdictStore, export_verdicts, verdict_labels

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TIMEOUT = 10


@pytest.fixture(scope="module")
def scan_dir(tmp_path_factory) -> Path:
    inputs = tmp_path_factory.mktemp("photos")
    for name in ("synthetic/toofan_001.jpg", "real/astronaut.jpg"):
        shutil.copy(SAMPLES / name, inputs / Path(name).name)
    out = tmp_path_factory.mktemp("scan")
    run_scan([inputs], out, progress=False)
    return out


@pytest.fixture
def fresh_dir(scan_dir, tmp_path) -> Path:
    """A copy of the scan folder with no verdicts yet."""
    out = tmp_path / "scan"
    shutil.copytree(scan_dir, out)
    return out


def request(server: ReviewServer, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        all_headers = {"Host": f"127.0.0.1:{server.port}", **(headers or {})}
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


def post_verdict(server: ReviewServer, payload: dict, *, origin: str | None = "self", headers: dict | None = None):
    h = {"Content-Type": "application/json"}
    if origin == "self":
        h["Origin"] = f"http://127.0.0.1:{server.port}"
    elif origin is not None:
        h["Origin"] = origin
    h.update(headers or {})
    return request(server, "POST", "/api/verdict", body=json.dumps(payload).encode(), headers=h)


def first_image(server: ReviewServer) -> str:
    return next(r["image"] for r in server.records if r["status"] == "ok")


@pytest.mark.parametrize(
    "path, status",
    [
        ("/", 200),
        ("/report.html", 200),
        ("/results.jsonl", 200),
        ("/originals/0", 200),
        ("/originals/99", 404),
        ("/originals/..%2f..%2fetc%2fpasswd", 404),
        ("/../results.jsonl", 403),
        ("/../../../../etc/passwd", 403),
        ("/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 403),
        ("/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", 403),
        ("/overlays/..%2f..%2f..%2f..%2fetc%2fpasswd", 403),
        ("/overlays/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 403),
        ("/%252e%252e/%252e%252e/etc/passwd", 404),
        ("/..%5c..%5cetc%5cpasswd", 400),
        ("/%00", 400),
        ("/outside-link/secret.txt", 403),
        ("/outside-file.txt", 403),
        ("/" + DB_NAME, 404),
        ("/" + DB_NAME + "-wal", 404),
        ("/.hidden", 404),
        ("/missing.txt", 404),
    ],
)
def test_static_paths(fresh_dir, tmp_path, path, status):
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    (secret_dir / "secret.txt").write_text("secret")
    os.symlink(secret_dir, fresh_dir / "outside-link")
    os.symlink(secret_dir / "secret.txt", fresh_dir / "outside-file.txt")
    (fresh_dir / ".hidden").write_text("hidden")
    with ReviewServer(fresh_dir) as server:
        got, kind, body = request(server, "GET", path)
    assert got == status, body[:200]
    assert b"secret" not in body and b"root:" not in body
    if path == "/originals/0":
        assert kind == "image/jpeg" and body.startswith(b"\xff\xd8")


def test_original_changed_since_the_scan_is_refused(fresh_dir, tmp_path):
    with ReviewServer(fresh_dir) as server:
        record = next(r for r in server.records if r["status"] == "ok")
        photo = Path(record["image"])
        saved = photo.read_bytes()
        try:
            photo.write_bytes(saved + b"changed")
            got, _, _ = request(server, "GET", f"/originals/{server.records.index(record)}")
        finally:
            photo.write_bytes(saved)
    assert got == 409


@pytest.mark.parametrize(
    "case, origin, extra, payload, status",
    [
        ("foreign origin", "http://evil.example", {}, {}, 403),
        ("null origin", "null", {}, {}, 403),
        ("other port", "http://127.0.0.1:1", {}, {}, 403),
        ("no origin, foreign referer", None, {"Referer": "http://evil.example/page"}, {}, 403),
        ("no origin, no referer", None, {}, {}, 403),
        ("no origin, own referer", None, {"Referer": "self"}, {}, 200),
        ("form post", "self", {"Content-Type": "application/x-www-form-urlencoded"}, {}, 415),
        ("text/plain post", "self", {"Content-Type": "text/plain"}, {}, 415),
        ("no token", "self", {}, {"token": None}, 403),
        ("wrong token", "self", {}, {"token": "guess"}, 403),
        ("bad verdict", "self", {}, {"verdict": "maybe"}, 400),
        ("unknown image", "self", {}, {"image": "/etc/passwd"}, 400),
        ("unknown cue", "self", {}, {"cue": "nope"}, 400),
        ("note too long", "self", {}, {"note": "x" * 5000}, 400),
        ("foreign host", "self", {"Host": "evil.example"}, {}, 421),
        ("accepted", "self", {}, {}, 200),
    ],
)
def test_post_verdict_checks(fresh_dir, case, origin, extra, payload, status):
    with ReviewServer(fresh_dir) as server:
        body = {"token": server.token, "image": first_image(server), "cue": "", "verdict": "confirm", "note": ""}
        body.update(payload)
        if extra.get("Referer") == "self":
            extra = {**extra, "Referer": f"http://127.0.0.1:{server.port}/report.html"}
        got, _, answer = post_verdict(server, body, origin=origin, headers=extra)
        stored = server.store.all()
    assert got == status, (case, answer)
    assert bool(stored) == (status == 200), case


def test_body_size_is_bounded(fresh_dir):
    with ReviewServer(fresh_dir) as server:
        big = b"{" + b" " * (MAX_BODY + 1) + b"}"
        h = {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{server.port}"}
        got, _, _ = request(server, "POST", "/api/verdict", body=big, headers=h)
    assert got == 413


def test_foreign_host_cannot_read_the_token(fresh_dir):
    with ReviewServer(fresh_dir) as server:
        got, _, body = request(server, "GET", "/api/session", headers={"Host": f"rebound.example:{server.port}"})
        own, _, own_body = request(server, "GET", "/api/session")
    assert got == 421 and server.token.encode() not in body
    assert own == 200 and json.loads(own_body)["token"] == server.token


def test_verdicts_survive_a_restart(fresh_dir):
    with ReviewServer(fresh_dir) as server:
        image = first_image(server)
        token = server.token
        got, _, _ = post_verdict(server, {"token": token, "image": image, "cue": "green_seal_tape", "verdict": "reject", "note": "it is foliage"})
        assert got == 200
    with ReviewServer(fresh_dir) as server:
        assert server.token != token
        _, _, body = request(server, "GET", "/api/session")
    saved = json.loads(body)["verdicts"][image]["green_seal_tape"]
    assert (saved["verdict"], saved["note"]) == ("reject", "it is foliage")


def test_concurrent_posts_are_all_recorded(fresh_dir):
    errors = []
    with ReviewServer(fresh_dir) as server:
        images = [r["image"] for r in server.records if r["status"] == "ok"]
        cues = ["", *server.records[0]["cues"]]

        def worker(k: int) -> None:
            for j, cue in enumerate(cues):
                payload = {"token": server.token, "image": images[k % len(images)], "cue": cue, "verdict": "unsure", "note": f"w{k} {j}"}
                got, _, answer = post_verdict(server, payload)
                if got != 200:
                    errors.append(answer)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        stored = server.store.all()
    assert not errors
    assert sum(len(v) for v in stored.values()) == len(images) * len(cues)
    with sqlite3.connect(fresh_dir / DB_NAME) as db:
        assert db.execute("SELECT COUNT(*) FROM verdict_log").fetchone()[0] == 8 * len(cues)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(
    "label, verdict, toofan",
    [("toofan", "confirm", 1), ("toofan", "reject", 0), ("not_toofan", "confirm", 0), ("not_toofan", "reject", 1), ("toofan", "unsure", None), ("toofan", None, None)],
)
def test_photo_verdict_to_label(label, verdict, toofan):
    record = {"image": "a/b.jpg", "status": "ok", "cues": {}}
    verdicts = {"a/b.jpg": {"": {"finding": label, "verdict": verdict}}}
    labels = verdict_labels([record], verdicts)
    assert labels == ([] if toofan is None else [{"image": "b.jpg", "toofan": toofan}])


@pytest.mark.parametrize(
    "cue, state, fields, verdict, expected",
    [
        ("green_seal_tape", "present", {}, "confirm", {"green_seal_tape": 1}),
        ("green_seal_tape", "present", {}, "reject", {"green_seal_tape": 0}),
        ("green_seal_tape", "absent", {}, "confirm", {"green_seal_tape": 0}),
        ("green_seal_tape", "absent", {}, "reject", {"green_seal_tape": 1}),
        ("green_seal_tape", "not_assessable", {}, "confirm", {}),
        ("green_seal_tape", "present", {}, "unsure", {}),
        ("yellow_bands", "present", {"count": 3}, "confirm", {"yellow_bands": 3}),
        ("yellow_bands", "absent", {"count": 2}, "confirm", {"yellow_bands": 0}),
        ("yellow_bands", "absent", {"count": 1}, "reject", {"yellow_bands": 3}),
        ("dark_green_cover", "present", {"colour": "dark_green"}, "confirm", {"cover": "dark_green"}),
        ("dark_green_cover", "absent", {"colour": "olive_drab"}, "confirm", {"cover": "olive_drab"}),
        ("dark_green_cover", "absent", {"colour": "tan"}, "reject", {"cover": "dark_green"}),
        ("dark_green_cover", "present", {"colour": "dark_green"}, "reject", {}),
        ("serial_4_letter", "present", {"text": "IAQB"}, "confirm", {"serial": "IAQB"}),
        ("serial_4_letter", "present", {"text": "IAQB"}, "reject", {}),
    ],
)
def test_cue_verdict_to_label(cue, state, fields, verdict, expected):
    record = {"image": "b.jpg", "status": "ok", "cues": {cue: {"state": state, **fields}}}
    verdicts = {"b.jpg": {"": {"finding": "toofan", "verdict": "confirm"}, cue: {"finding": state, "verdict": verdict}}}
    assert verdict_labels([record], verdicts) == [{"image": "b.jpg", "toofan": 1, **expected}]


def test_shared_file_names_keep_their_folders():
    records = [{"image": f"{d}/same.jpg", "status": "ok", "cues": {}} for d in ("x", "y")]
    verdicts = {r["image"]: {"": {"finding": "toofan", "verdict": "confirm"}} for r in records}
    assert [row["image"] for row in verdict_labels(records, verdicts)] == ["x/same.jpg", "y/same.jpg"]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_export_loads_as_labels(fresh_dir, tmp_path, suffix):
    records = [r for r in read_results(fresh_dir) if r["status"] == "ok"]
    store = VerdictStore(fresh_dir / DB_NAME)
    toofan_record, other = records[0], records[1]
    store.put(toofan_record["image"], "", "confirm", finding="toofan")
    store.put(toofan_record["image"], "green_seal_tape", "confirm", finding="present")
    store.put(toofan_record["image"], "yellow_bands", "reject", finding="absent")
    store.put(other["image"], "", "reject", finding="toofan", note="a camera tripod")
    target = tmp_path / f"labels{suffix}"
    assert main(["review", str(fresh_dir), "--export", str(target)]) == 0
    labels = load_labels(target)
    first = labels.match(toofan_record["image"])
    assert (first.toofan, first.cues.get("green_seal_tape"), first.cues.get("yellow_bands")) == (1, 1, 1)
    assert first.band_count == 3
    assert labels.match(other["image"]).toofan == 0
    if suffix == ".csv":
        with target.open(newline="") as fh:
            assert next(csv.reader(fh)) == ["image", "toofan", "green_seal_tape", "yellow_bands", "serial", "cover"]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"host": "0.0.0.0"}, ValueError, "host"),
        ({"port": 70000}, ValueError, "port"),
    ],
)
def test_server_arguments(fresh_dir, kwargs, error, message):
    with pytest.raises(error, match=message):
        ReviewServer(fresh_dir, **kwargs)


def test_server_needs_a_scan_folder(tmp_path):
    with pytest.raises(ValueError, match="results.jsonl"):
        ReviewServer(tmp_path)


@pytest.mark.parametrize(
    "args, error",
    [
        (("a.jpg", "", "yes"), ValueError),
        (("", "", "confirm"), ValueError),
        (("a.jpg", None, "confirm"), TypeError),
    ],
)
def test_store_validates(tmp_path, args, error):
    with pytest.raises(error):
        VerdictStore(tmp_path / "v.sqlite").put(*args)


def test_export_needs_csv_or_json(fresh_dir, tmp_path):
    with pytest.raises(ValueError, match=".csv or .json"):
        export_verdicts(fresh_dir, tmp_path / "labels.txt")
