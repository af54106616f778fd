from __future__ import annotations

import json
import math

import pytest

from vision.cues import CueResult, CueState, Region
from vision.evidence import Profile, combine, enfsi_verbal, load_profile, profile_names


def _results(**states):
    out = {}
    for name, (state, score) in states.items():
        if state == "not_assessable":
            out[name] = CueResult.not_assessable(name, "too small")
        else:
            out[name] = CueResult(name, CueState(state), score)
    return out


def test_packaged_profile_loads():
    assert "toofan" in profile_names()
    p = load_profile("toofan")
    assert p.cue_names == ["green_seal_tape", "yellow_bands", "dark_green_cover", "serial_4_letter"]


def test_not_assessable_contributes_nothing():
    p = load_profile("toofan")
    r = _results(green_seal_tape=("not_assessable", 0), yellow_bands=("not_assessable", 0), dark_green_cover=("not_assessable", 0), serial_4_letter=("not_assessable", 0))
    ident = combine(r, p)
    assert all(e.log_lr == 0.0 for e in ident.evidence)
    assert ident.confidence == pytest.approx(p.prior)


def test_log_lrs_add_and_give_the_posterior():
    p = load_profile("toofan")
    r = _results(green_seal_tape=("present", 0.9), yellow_bands=("present", 0.8), dark_green_cover=("absent", 0.3), serial_4_letter=("absent", 0.0))
    ident = combine(r, p)
    total = sum(e.log_lr for e in ident.evidence)
    assert ident.log_lr == pytest.approx(total)
    odds = p.prior / (1 - p.prior) * 10**total
    assert ident.confidence == pytest.approx(odds / (1 + odds))
    assert ident.label == "toofan"
    assert {e.cue for e in ident.evidence} == set(p.cue_names)


def test_all_absent_is_near_zero():
    p = load_profile("toofan")
    ident = combine(_results(green_seal_tape=("absent", 0.0), yellow_bands=("absent", 0.0), dark_green_cover=("absent", 0.2), serial_4_letter=("absent", 0.0)), p)
    assert ident.confidence < 0.05 and ident.label == "not_toofan"


@pytest.mark.parametrize(
    "log10_lr, words",
    [(0.1, "no meaningful support"), (0.5, "weak support for the proposition that H1"), (1.5, "moderate support for the proposition that H1"),
     (2.5, "moderately strong"), (3.5, "strong support for the proposition that H1"), (4.5, "very strong support for the proposition that H1"),
     (-1.5, "moderate support for the proposition that H2, rather than that H1")],
)
def test_enfsi_scale(log10_lr, words):
    assert words in enfsi_verbal(log10_lr, "H1", "H2")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["cues"].update({"no_such_cue": d["cues"]["yellow_bands"]}), "unknown cue 'no_such_cue'"),
        (lambda d: d["cues"]["yellow_bands"]["params"].update({"min_areaa": 3}), r"unknown parameter\(s\) \['min_areaa'\]"),
        (lambda d: d.update({"prior": 1.5}), "prior must be in"),
        (lambda d: d["cues"]["green_seal_tape"].update({"log10_lr": [[0.5, 1.0]]}), "needs >= 2"),
        (lambda d: d.pop("cues"), "missing field"),
    ],
)
def test_profile_validation(change, message):
    data = json.loads(json.dumps(_profile_dict()))
    change(data)
    with pytest.raises(ValueError, match=message):
        Profile.from_dict(data)


def test_profile_from_file_and_missing(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_profile_dict()))
    assert load_profile(str(path)).name == "toofan"
    with pytest.raises(ValueError, match="neither a packaged profile"):
        load_profile(str(tmp_path / "missing.json"))


def _profile_dict():
    from importlib import resources

    return json.loads((resources.files("vision") / "profiles" / "toofan.json").read_text())


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(name="x", state="maybe", score=0.5), "state: expected one of"),
        (dict(name="x", state="present", score=1.5), "score must be in"),
        (dict(name="x", state="not_assessable", score=0.0), "reason is required"),
        (dict(name="x", state="present", score=0.5, reason="why"), "reason is required"),
    ],
)
def test_cue_result_validation(kwargs, error):
    with pytest.raises(ValueError, match=error):
        CueResult(**kwargs)


@pytest.mark.parametrize("bbox", [(0, 0, 0, 5), (-1, 0, 3, 3), (1, 2, 3)])
def test_region_validation(bbox):
    with pytest.raises(ValueError, match="bbox"):
        Region(bbox, 0.5)


def test_cue_result_serialises_plain_values():
    import numpy as np

    r = CueResult("x", "present", np.float32(0.7), (Region((1, 2, 3, 4), 0.5),), {"lab": np.array([1.0, 2.0, 3.0]), "n": np.int64(3)})
    d = r.to_dict()
    json.dumps(d)
    assert d["present"] is True and d["measurements"]["n"] == 3 and math.isclose(d["score"], 0.7, rel_tol=1e-6)
