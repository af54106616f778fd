"""Metrics against scikit-learn, near-duplicate grouping, and `vision eval` on records built in code."""

from __future__ import annotations

import csv
import json
import warnings

import cv2
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from vision import evaluate as ev
from vision import synth
from vision.cli import main
from vision.evidence import load_profile
from vision.labels import Label, LabelSet

# ----------------------------------------------------------------------------------------
# Metrics = scikit-learn on the same inputs (ties, weights, small sets)
# ----------------------------------------------------------------------------------------
CASES = [(seed, ties, weighted) for seed in range(6) for ties in (False, True) for weighted in (False, True)]


def _case(seed: int, ties: bool, weighted: bool):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    y = rng.integers(0, 2, n)
    y[:2] = (0, 1)  # both classes
    score = np.clip(0.5 * y + rng.normal(0.25, 0.3, n), 0, 1)
    if ties:
        score = np.round(score, 1)
    w = rng.uniform(0.1, 2.0, n) if weighted else None
    return y, score, w


@pytest.mark.parametrize("seed, ties, weighted", CASES)
def test_ranking_metrics_match_sklearn(seed, ties, weighted):
    y, s, w = _case(seed, ties, weighted)
    assert ev.roc_auc(y, s, w) == pytest.approx(skm.roc_auc_score(y, s, sample_weight=w), abs=1e-9)
    fpr, tpr, thr = ev.roc_curve(y, s, w)
    sk_fpr, sk_tpr, sk_thr = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-9)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-9)
    np.testing.assert_allclose(thr[1:], sk_thr[1:], atol=1e-9)
    p, r, t = ev.precision_recall_curve(y, s, w)
    sk_p, sk_r, sk_t = skm.precision_recall_curve(y, s, sample_weight=w)
    np.testing.assert_allclose(p, sk_p, atol=1e-9)
    np.testing.assert_allclose(r, sk_r, atol=1e-9)
    np.testing.assert_allclose(t, sk_t, atol=1e-9)
    assert ev.average_precision(y, s, w) == pytest.approx(skm.average_precision_score(y, s, sample_weight=w), abs=1e-9)


@pytest.mark.parametrize("seed, ties, weighted", CASES)
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.99])
def test_decision_metrics_match_sklearn(seed, ties, weighted, threshold):
    y, s, w = _case(seed, ties, weighted)
    pred = (s >= threshold).astype(int)
    precision, recall, f1 = ev.precision_recall_f1(y, pred, w)
    assert precision == pytest.approx(skm.precision_score(y, pred, sample_weight=w, zero_division=0), abs=1e-9)
    assert recall == pytest.approx(skm.recall_score(y, pred, sample_weight=w, zero_division=0), abs=1e-9)
    assert f1 == pytest.approx(skm.f1_score(y, pred, sample_weight=w, zero_division=0), abs=1e-9)
    assert ev.brier_score(y, s, w) == pytest.approx(skm.brier_score_loss(y, s, sample_weight=w), abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_bins", [5, 10])
def test_reliability_matches_sklearn_calibration_curve(seed, n_bins):
    y, s, _ = _case(seed, ties=seed % 2 == 1, weighted=False)
    table = ev.reliability(y, s, n_bins)
    prob_true, prob_pred = calibration_curve(y, s, n_bins=n_bins)
    used = table.weight > 0
    np.testing.assert_allclose(table.fraction_positive[used], prob_true, atol=1e-12)
    np.testing.assert_allclose(table.mean_probability[used], prob_pred, atol=1e-12)
    gaps = np.abs(prob_true - prob_pred) * table.count[used] / len(y)
    assert table.ece == pytest.approx(gaps.sum(), abs=1e-12)


@pytest.mark.parametrize(
    "y, log10_lr, expected",
    [
        ([1, 0], [0.0, 0.0], 1.0),  # an LR that is always 1 costs one bit
        ([1, 1, 0, 0], [6.0, 6.0, -6.0, -6.0], 0.0),  # strong and right: nearly free
        ([1, 0], [np.log10(3), -np.log10(3)], np.log2(4 / 3)),  # log2(1 + 1/3) for each class
    ],
)
def test_cllr_reference_values(y, log10_lr, expected):
    assert ev.cllr(y, log10_lr) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(
    "a, b, iou",
    [([0, 0, 10, 10], [0, 0, 10, 10], 1.0), ([0, 0, 10, 10], [10, 0, 10, 10], 0.0), ([0, 0, 10, 10], [5, 0, 10, 10], 1 / 3), ([0, 0, 4, 4], [1, 1, 2, 2], 0.25)],
)
def test_box_iou(a, b, iou):
    assert ev.box_iou(a, b) == pytest.approx(iou)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: ev.roc_auc([0, 1, 2], [0.1, 0.2, 0.3]), "y_true: expected 0/1"),
        (lambda: ev.brier_score([0, 1], [0.1]), "1-D arrays of one length"),
        (lambda: ev.brier_score([0, 1], [0.1, 1.5]), "probabilities in"),
        (lambda: ev.reliability([0, 1], [0.1, 0.2], n_bins=0), "n_bins"),
        (lambda: ev.precision_recall_f1([0, 1], [0, 1], [1.0, -1.0]), "sample_weight"),
    ],
)
def test_metric_input_errors(call, error):
    with pytest.raises(ValueError, match=error):
        call()


def test_single_class_auc_is_nan():
    assert np.isnan(ev.roc_auc([1, 1, 1], [0.2, 0.4, 0.9]))


# ----------------------------------------------------------------------------------------
# Near-duplicates
# ----------------------------------------------------------------------------------------
def _photo(seed: int, size=(240, 320)) -> np.ndarray:
    """A smooth random 'photo' (blobs of colour at several scales)."""
    rng = np.random.default_rng(seed)
    h, w = size
    out = np.zeros((h, w, 3), np.float32)
    for cell in (4, 12, 40):
        small = rng.random((h // cell + 2, w // cell + 2, 3)).astype(np.float32)
        out += cv2.resize(small, (w + cell, h + cell), interpolation=cv2.INTER_CUBIC)[:h, :w] * cell
    out = (out - out.min()) / (out.max() - out.min())
    return (out * 255).astype(np.uint8)


REPOSTS = {
    "jpeg 30": lambda im: synth.jpeg_roundtrip(im, 30),
    "half size": lambda im: synth.downscale(im, 0.5),
    "blur 1.5": lambda im: synth.blur(im, 1.5),
    "warm cast": lambda im: synth.colour_cast(im, (1.15, 1.0, 0.85)),
    "repost chain": lambda im: synth.decode_jpeg(synth.degrade(im, 3)[0]),
}


@pytest.mark.parametrize("repost", list(REPOSTS))
def test_perceptual_hash_groups_reposts_not_other_photos(repost):
    original = _photo(1)
    others = [_photo(s) for s in range(2, 7)]
    h0, h1 = ev.perceptual_hash(original), ev.perceptual_hash(REPOSTS[repost](original))
    assert ev.hamming(h0, h1) <= ev.DEFAULT_MAX_HASH_DISTANCE // 2
    assert min(ev.hamming(h0, ev.perceptual_hash(o)) for o in others) > 2 * ev.DEFAULT_MAX_HASH_DISTANCE


def test_group_near_duplicates_links_by_hash_and_digest():
    hashes = ["00" * 32, "00" * 31 + "01", "ff" * 32, None, None]
    digests = ["a", "b", "c", "c", "d"]
    assert ev.group_near_duplicates(hashes, digests, max_distance=2) == [0, 0, 1, 1, 2]


# ----------------------------------------------------------------------------------------
# Evaluation on records built in code
# ----------------------------------------------------------------------------------------
def make_records(labels: list[Label], scores: list[float], profile_name: str = "toofan") -> list[dict]:
    """Scan-like records whose confidence is ``scores`` and whose cues follow the labels."""
    profile = load_profile(profile_name)
    records = []
    for label, p in zip(labels, scores):
        cues = {}
        for cue in profile.cue_names:
            present = bool(label.cues.get(cue, 0))
            cue_record = {"state": "present" if present else "absent", "present": present, "score": 0.9 if present else 0.1, "reason": None,
                          "regions": [], "measurements": {}}
            if cue == "yellow_bands":
                cue_record.update(count=label.band_count or 0, groups=0)
            cues[cue] = cue_record
        records.append(
            {
                "image": f"scans/{label.image}",
                "sha256": f"{len(records):064x}",
                "status": "ok",
                "cues": cues,
                "identification": {"label": "toofan" if p >= 0.5 else "not_toofan", "confidence": p, "log_lr": float(np.log10(p / (1 - p)))},
                "profile": {"name": profile.name, "source": profile.source, "sha256": profile.sha256},
            }
        )
    return records


@pytest.fixture
def labelled():
    rng = np.random.default_rng(7)
    labels = []
    for i in range(40):
        toofan = int(i % 3 == 0)
        labels.append(Label(f"set/photo_{i:03d}.jpg", toofan, cues={"green_seal_tape": toofan, "yellow_bands": int(i % 6 == 0)}, band_count=3 if i % 6 == 0 else 1,
                            boxes={"green_seal_tape": ((10, 10, 20, 20),) if toofan else ()}))
    scores = [float(np.clip(0.3 + 0.4 * l.toofan + rng.normal(0, 0.2), 0.01, 0.99)) for l in labels]
    return labels, scores


def test_evaluate_identification_matches_sklearn(labelled):
    labels, scores = labelled
    records = make_records(labels, scores)
    result = ev.evaluate(records, LabelSet(labels), dedupe=False)
    m = result.metrics
    y = [l.toofan for l in labels]
    assert m["identification"]["roc_auc"] == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-6)
    assert m["identification"]["brier"] == pytest.approx(skm.brier_score_loss(y, scores), abs=1e-6)
    pred = [int(s >= 0.5) for s in scores]
    assert m["identification"]["precision"] == pytest.approx(skm.precision_score(y, pred), abs=1e-6)
    assert m["counts"] == {"records": 40, "errors": 0, "unlabelled": 0, "evaluated": 40, "positives": 14, "negatives": 26}
    assert m["duplicates"]["groups"] == 40
    assert m["cues"]["green_seal_tape"]["precision"] == 1.0 and m["cues"]["green_seal_tape"]["recall"] == 1.0
    assert m["band_count_confusion"]["matrix"][3][3] == 7 and m["band_count_confusion"]["matrix"][1][1] == 33


def test_duplicates_count_once(labelled):
    labels, scores = labelled
    records = make_records(labels, scores)
    copies = [dict(r, image=r["image"].replace("photo_", "repost_")) for r in records[:5]]  # same bytes, new name
    extra = [Label(l.image.replace("photo_", "repost_"), l.toofan, cues=dict(l.cues)) for l in labels[:5]]
    with pytest.warns(UserWarning, match="could not be read again"):  # no image files: grouped by sha256
        result = ev.evaluate(records + copies, LabelSet(labels + extra), dedupe=True)
    dup = result.metrics["duplicates"]
    assert dup["groups"] == 40 and dup["groups_with_several_photos"] == 5 and dup["photos_in_such_groups"] == 10
    base = ev.evaluate(records, LabelSet(labels), dedupe=False).metrics["identification"]
    assert result.metrics["identification"]["roc_auc"] == pytest.approx(base["roc_auc"], abs=1e-9)  # weights 1/2 each
    assert result.metrics["identification"]["brier"] == pytest.approx(base["brier"], abs=1e-9)


def test_unlabelled_and_error_records_are_counted(labelled):
    labels, scores = labelled
    records = make_records(labels, scores) + [{"image": "x/other.jpg", "status": "error", "error": "bad"}]
    result = ev.evaluate(records, LabelSet(labels[5:]), dedupe=False)
    assert result.metrics["counts"]["unlabelled"] == 5 and result.metrics["counts"]["errors"] == 1
    with pytest.raises(ValueError, match="no result matches a label"):
        ev.evaluate(records, LabelSet([Label("nowhere.jpg", 1)]), dedupe=False)


def test_region_iou(labelled):
    labels, scores = labelled
    records = make_records(labels, scores)
    for r, l in zip(records, labels):
        if l.toofan:
            r["cues"]["green_seal_tape"]["regions"] = [{"bbox": [15, 10, 20, 20], "score": 0.9}]  # IoU 15*20 / (2*400-300) = 0.6
    regions = ev.evaluate(records, LabelSet(labels), dedupe=False).metrics["cues"]["green_seal_tape"]["regions"]
    assert regions["mean_best_iou"] == pytest.approx(0.6)
    assert regions["recall_at_iou"] == 1.0 and regions["precision_at_iou"] == 1.0


def _write_scan(tmp_path, records, images: dict[str, np.ndarray]):
    scan = tmp_path / "scan"
    scan.mkdir()
    for r in records:
        path = tmp_path / r["image"]
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), cv2.cvtColor(images[r["image"]], cv2.COLOR_RGB2BGR))
        r["image"] = str(path)
    (scan / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return scan


def test_cli_eval_csv_and_project_labels_give_the_same_auc(tmp_path, labelled):
    labels, scores = labelled
    records = make_records(labels, scores)
    scan = _write_scan(tmp_path, records, {r["image"]: _photo(100 + i, (64, 96)) for i, r in enumerate(records)})
    project = tmp_path / "labels.json"
    project.write_text(json.dumps({"schema_version": "1", "images": [
        {"image": l.image, "toofan": l.toofan, "green_seal_tape": l.cues["green_seal_tape"], "yellow_bands": l.band_count} for l in labels]}))
    sheet = tmp_path / "labels.csv"
    with sheet.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image", "toofan", "green_seal_tape", "yellow_bands", "serial"])
        for l in labels:
            writer.writerow([l.name, l.toofan, l.cues["green_seal_tape"], l.band_count, ""])  # file names only
    aucs = []
    for name, path in (("project", project), ("csv", sheet)):
        out = tmp_path / f"eval-{name}"
        assert main(["eval", str(scan), "--labels", str(path), "--out", str(out)]) == 0
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["labels"]["format"] == name
        assert metrics["duplicates"]["groups"] == len(labels)
        for plot in ("roc", "precision_recall", "reliability", "band_count_confusion", "cues"):
            assert (out / f"{plot}.png").stat().st_size > 1000
        aucs.append(metrics["identification"]["roc_auc"])
    assert aucs[0] == aucs[1] == pytest.approx(skm.roc_auc_score([l.toofan for l in labels], scores), abs=1e-6)


@pytest.mark.parametrize(
    "args, message",
    [
        (["eval", "{tmp}/missing", "--labels", "{tmp}/labels.csv", "--out", "{tmp}/o"], "not a scan folder"),
        (["eval", "{scan}", "--labels", "{tmp}/missing.csv", "--out", "{tmp}/o"], "not a readable file"),
        (["eval", "{scan}", "--labels", "{tmp}/labels.csv", "--out", "{tmp}/o", "--threshold", "1.5"], "--threshold"),
    ],
)
def test_cli_eval_usage_errors(tmp_path, capsys, args, message, labelled):
    labels, scores = labelled
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in make_records(labels, scores)))
    (tmp_path / "labels.csv").write_text("image,toofan\nphoto_000.jpg,1\n")
    with pytest.raises(SystemExit) as exc:
        main([a.format(tmp=tmp_path, scan=scan) for a in args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unreadable_images_warn_and_fall_back_to_digests(labelled):
    labels, scores = labelled
    with pytest.warns(UserWarning, match="could not be read again"):
        result = ev.evaluate(make_records(labels, scores), LabelSet(labels))
    assert result.metrics["duplicates"]["unhashed"] == 40 and result.metrics["duplicates"]["groups"] == 40


def test_changed_profile_warns(labelled):
    labels, scores = labelled
    records = make_records(labels, scores)
    for r in records:
        r["profile"]["sha256"] = "0" * 64
    with pytest.warns(UserWarning, match="has changed since the scan"):
        ev.evaluate(records, LabelSet(labels), dedupe=False)


def test_metrics_json_round_trips_and_plots_redraw(tmp_path, labelled):
    labels, scores = labelled
    result = ev.evaluate(make_records(labels, scores), LabelSet(labels), dedupe=False)
    written = result.write(tmp_path)
    data = json.loads(written["metrics"].read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(ev.figures(data)) >= {"roc", "precision_recall", "reliability"}
    assert data["plots"]["roc"] == "roc.png"
    with written["per_image"].open(newline="") as fh:
        assert len(list(csv.reader(fh))) == 41
    assert "ROC AUC" in result.summary()
