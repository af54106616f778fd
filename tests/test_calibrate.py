"""Calibration: the fitting primitives against scikit-learn, and `vision calibrate` on records built in code."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from vision.calibrate import CalibrationError, calibrate, fit_cue_log10_lr, fit_logistic, pav, rescore, split_groups
from vision.cli import main
from vision.cues import CueResult
from vision.evaluate import expected_calibration_error, join
from vision.evidence import Profile, combine, load_profile
from vision.labels import Label, LabelSet
from vision.pipeline import analyse


# ----------------------------------------------------------------------------------------
# Primitives
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
def test_pav_matches_sklearn_isotonic(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.random(60), 1)  # ties
    y = (rng.random(60) < x).astype(float)
    w = rng.uniform(0.2, 2.0, 60)
    blocks = pav(x, y, w)
    fitted = IsotonicRegression().fit(x, y, sample_weight=w).predict(np.unique(x))
    ours = np.array([blocks.value[np.searchsorted(blocks.hi, v)] for v in np.unique(x)])
    np.testing.assert_allclose(ours, fitted, atol=1e-12)
    assert np.all(np.diff(blocks.value) > 0) and np.all(blocks.lo <= blocks.centre) and np.all(blocks.centre <= blocks.hi)
    assert blocks.weight.sum() == pytest.approx(w.sum())


@pytest.mark.parametrize("ridge", [0.0, 2.0])
def test_fit_logistic_matches_sklearn(ridge):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 2))
    y = (rng.random(80) < 1 / (1 + np.exp(-(1.5 * X[:, 0] - X[:, 1] + 0.3)))).astype(float)
    beta, c = fit_logistic(X, y, ridge=ridge, prior=np.zeros(2))
    reference = LogisticRegression(C=1 / ridge if ridge else 1e12, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(beta, reference.coef_[0], atol=1e-6)
    assert c == pytest.approx(reference.intercept_[0], abs=1e-6)


def test_fit_logistic_stays_finite_on_separable_data():
    beta, c = fit_logistic([0.0, 0.1, 0.9, 1.0], [0, 0, 1, 1], ridge=1.0)
    assert np.isfinite(beta).all() and np.isfinite(c)


LR_CASES = {
    "separable": ([0.0] * 10 + [0.2] * 5 + [0.9] * 15, [0] * 15 + [1] * 15),
    "overlapping": (list(np.linspace(0, 1, 40)), [int(i % 3 == 0 or i > 28) for i in range(40)]),
    "decreasing": (list(np.linspace(0, 1, 30)), [int(i < 10) for i in range(30)]),
    "one class": ([0.1, 0.5, 0.9], [1, 1, 1]),
}


@pytest.mark.parametrize("method", ["pav", "kde"])
@pytest.mark.parametrize("case", list(LR_CASES))
def test_cue_lrs_are_finite_monotone_knots(method, case):
    scores, y = LR_CASES[case]
    knots = fit_cue_log10_lr(scores, y, method=method)
    xs, ys = np.array(knots).T
    assert xs[0] == 0.0 and xs[-1] == 1.0 and np.all(np.diff(xs) > 0)
    assert np.all(np.isfinite(ys)) and np.all(np.diff(ys) >= 0)
    if case == "separable":
        assert ys[0] < -0.5 and ys[-1] > 0.5
    if case in ("decreasing", "one class"):
        assert np.ptp(ys) < 0.5  # no evidence the right way round: nearly flat


def test_pseudo_count_shrinks_towards_lr_one():
    scores, y = LR_CASES["separable"]
    weak = np.array(fit_cue_log10_lr(scores, y, pseudo_count=20.0))[:, 1]
    strong = np.array(fit_cue_log10_lr(scores, y, pseudo_count=0.1))[:, 1]
    assert np.ptp(weak) < np.ptp(strong)


def test_split_keeps_groups_together_and_is_deterministic():
    labels = [Label(f"p{i}.jpg", int(i % 2)) for i in range(40)]
    joined = join(_records(labels, np.full((40, 4), 0.5), load_profile("toofan")), LabelSet(labels), dedupe=False)
    items = [it.__class__(it.record, it.label, it.group // 2, it.weight) for it in joined.items]  # pairs share a group
    train, test = split_groups(items, 0.5, seed=1)
    assert (train, test) == split_groups(items, 0.5, seed=1) != split_groups(items, 0.5, seed=2)
    assert not {items[i].group for i in train} & {items[i].group for i in test}
    assert sorted(train + test) == list(range(40))


# ----------------------------------------------------------------------------------------
# Calibrating records built in code
# ----------------------------------------------------------------------------------------
def _records(labels, scores, profile: Profile) -> list[dict]:
    """Records of photos whose cue scores are ``scores`` (N, cues), identified by ``profile``."""
    out = []
    for i, (label, row) in enumerate(zip(labels, scores)):
        results = {name: CueResult(name, "present" if s >= 0.5 else "absent", float(s)) for name, s in zip(profile.cue_names, row)}
        out.append(
            {
                "image": f"photos/{label.image}",
                "sha256": f"{i:064x}",
                "status": "ok",
                "cues": {name: r.to_dict() for name, r in results.items()},
                "identification": combine(results, profile).to_dict(),
                "profile": {"name": profile.name, "source": profile.source, "sha256": profile.sha256},
            }
        )
    return out


def _overconfident_profile(tmp_path) -> Profile:
    """The packaged profile with every log-LR tripled and an even prior: confident and often wrong."""
    data = json.loads(json.dumps(_source(load_profile("toofan"))))
    data["prior"] = 0.5
    for cue in data["cues"].values():
        cue["log10_lr"] = [[s, 3 * v + 0.5] for s, v in cue["log10_lr"]]
    path = tmp_path / "overconfident.json"
    path.write_text(json.dumps(data))
    return load_profile(path)


def _source(profile: Profile) -> dict:
    from vision.calibrate import _source_data

    return _source_data(profile)


def _labelled_set(n: int, seed: int, profile: Profile):
    """Photos of two classes whose cue scores overlap (Beta distributions)."""
    rng = np.random.default_rng(seed)
    labels = [Label(f"photo_{seed}_{i:03d}.jpg", int(i % 3 == 0)) for i in range(n)]
    y = np.array([l.toofan for l in labels])[:, None]
    k = len(profile.cue_names)
    scores = np.where(y == 1, rng.beta(4, 2, (n, k)), rng.beta(2, 4, (n, k)))
    return labels, _records(labels, scores, profile)


def test_calibration_improves_held_out_calibration(tmp_path):
    profile = _overconfident_profile(tmp_path)
    labels, records = _labelled_set(240, 0, profile)
    result = calibrate(records, LabelSet(labels), holdout=0.5, seed=0, dedupe=False, select=False)
    before, after = result.report["before"], result.report["after"]
    assert result.report["split"]["test"] == 120
    assert after["ece"] < before["ece"] and after["brier"] < before["brier"] and after["cllr"] < before["cllr"]
    fitted = result.load()
    for cue in fitted.cues:
        ys = [v for _, v in cue.knots]
        assert np.all(np.diff(ys) >= 0) and np.all(np.isfinite(ys))
    # A fresh set from the same distributions is also better calibrated.
    fresh_labels, fresh = _labelled_set(300, 1, profile)
    y = [l.toofan for l in fresh_labels]
    old = expected_calibration_error(y, [r["identification"]["confidence"] for r in fresh])
    new = expected_calibration_error(y, [i.confidence for i in rescore(fresh, fitted)])
    assert new < old


def test_written_profile_is_used_by_scan(tmp_path):
    profile = load_profile("toofan")
    labels, records = _labelled_set(120, 2, profile)
    out = tmp_path / "fitted.json"
    result = calibrate(records, LabelSet(labels), dedupe=False, select=False)
    result.write(out)
    loaded = load_profile(out)
    assert loaded.calibration and loaded.cue_names == profile.cue_names
    assert [c.params for c in loaded.cues] == [c.params for c in profile.cues]  # the scan's detector settings
    data = json.loads(out.read_text())
    assert data["calibrated"]["split"]["train"] == 60 and "ece" in data["calibrated"]["after"]
    image = np.full((64, 64, 3), 128, np.uint8)
    assert analyse(image, loaded).identification.confidence == pytest.approx(combine(analyse(image, profile).cues, loaded).confidence)


@pytest.mark.parametrize("source, expected", [("overconfident", {"recalibrate", "refit"}), ("packaged", {"keep", "recalibrate", "refit"})])
def test_selection_never_keeps_a_bad_profile(tmp_path, source, expected):
    profile = _overconfident_profile(tmp_path) if source == "overconfident" else load_profile("toofan")
    labels, records = _labelled_set(150, 8, profile)
    result = calibrate(records, LabelSet(labels), dedupe=False)
    report = result.report
    assert report["mode"] in expected and set(report["cross_validated_log_loss"]) == {"keep", "recalibrate", "refit"}
    assert report["mode"] == min(report["cross_validated_log_loss"], key=report["cross_validated_log_loss"].get)
    if report["mode"] == "keep":
        assert [c.knots for c in result.load().cues] == [c.knots for c in profile.cues]


def test_rescore_reproduces_the_scan():
    profile = load_profile("toofan")
    _, records = _labelled_set(30, 3, profile)
    for record, ident in zip(records, rescore(records, profile)):
        assert ident.confidence == pytest.approx(record["identification"]["confidence"], abs=1e-4)  # records round scores


@pytest.mark.parametrize("n, holdout, ok", [(60, 0.5, True), (40, 0.5, False), (30, 0.0, True), (20, 0.0, False)])
def test_refuses_too_few_labels(n, holdout, ok):
    profile = load_profile("toofan")
    labels, records = _labelled_set(n, 4, profile)  # a third are positive
    if ok:
        calibrate(records, LabelSet(labels), holdout=holdout, dedupe=False)
    else:
        with pytest.raises(CalibrationError, match="at least 10 of each"):
            calibrate(records, LabelSet(labels), holdout=holdout, dedupe=False)


def test_cli_calibrate_refuses_with_exit_2(tmp_path, capsys):
    profile = load_profile("toofan")
    labels, records = _labelled_set(24, 5, profile)
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    sheet = tmp_path / "labels.csv"
    sheet.write_text("image,toofan\n" + "".join(f"{l.image},{l.toofan}\n" for l in labels))
    code = main(["calibrate", str(scan), "--labels", str(sheet), "--out", str(tmp_path / "p.json"), "--no-dedupe"])
    assert code == 2
    assert "refusing to fit" in capsys.readouterr().err and not (tmp_path / "p.json").exists()


def test_cli_calibrate_writes_a_profile(tmp_path, capsys):
    profile = load_profile("toofan")
    labels, records = _labelled_set(80, 6, profile)
    scan = tmp_path / "scan"
    scan.mkdir()
    (scan / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    sheet = tmp_path / "labels.csv"
    sheet.write_text("image,toofan\n" + "".join(f"{l.image},{l.toofan}\n" for l in labels))
    out = tmp_path / "p.json"
    assert main(["calibrate", str(scan), "--labels", str(sheet), "--out", str(out), "--no-dedupe", "--method", "isotonic", "--refit"]) == 0
    err = capsys.readouterr().err
    assert "before" in err and "after" in err and "cllr" in err
    fitted = load_profile(out)
    xs = [c for c, _ in fitted.calibration]
    assert xs == sorted(xs) and fitted.calibration[0][0] == 0.0 and fitted.calibration[-1][0] == 1.0


def test_bad_arguments():
    profile = load_profile("toofan")
    labels, records = _labelled_set(60, 7, profile)
    with pytest.raises(ValueError, match="method"):
        calibrate(records, LabelSet(labels), method="magic", dedupe=False)
    with pytest.raises(ValueError, match="holdout"):
        calibrate(records, LabelSet(labels), holdout=1.0, dedupe=False)
    broken = copy.deepcopy(records)
    del broken[0]["cues"][profile.cue_names[0]]
    with pytest.raises(ValueError, match="no result for cue"):
        calibrate(broken, LabelSet(labels), dedupe=False)


def test_refit_without_a_map_keeps_the_profile_prior(tmp_path):
    """method="none": refitted LRs, no map, so a photo with nothing assessable scores the prior
    even though the labelled set's base rate (1 in 3) is not the prior."""
    data = _source(load_profile("toofan"))
    data["prior"] = 0.05  # a triage base rate far from the labelled set's
    path = tmp_path / "triage.json"
    path.write_text(json.dumps(data))
    profile = load_profile(path)
    labels, records = _labelled_set(240, 0, profile)
    fitted = calibrate(records, LabelSet(labels), holdout=0, dedupe=False, select=False, method="none").load()
    assert fitted.calibration is None
    blank = {name: CueResult(name, "not_assessable", 0.0, reason="too small") for name in fitted.cue_names}
    assert combine(blank, fitted).confidence == pytest.approx(fitted.prior)
    mapped = calibrate(records, LabelSet(labels), holdout=0, dedupe=False, select=False, method="platt").load()
    assert abs(combine(blank, mapped).confidence - fitted.prior) > 0.05, "a map carries the labelled set's base rate"


def test_no_map_whichever_mode_wins(tmp_path):
    """method="none" never writes a map, even when keeping a mapped profile wins the selection."""
    profile = _overconfident_profile(tmp_path)
    labels, records = _labelled_set(240, 0, profile)
    mapped = calibrate(records, LabelSet(labels), holdout=0, dedupe=False, select=False).write(tmp_path / "mapped.json")
    relabelled = _records(labels, np.array([[r["cues"][c]["score"] for c in load_profile(mapped).cue_names] for r in records]), load_profile(mapped))
    result = calibrate(relabelled, LabelSet(labels), holdout=0, dedupe=False, method="none")
    assert result.load().calibration is None, result.report["mode"]

