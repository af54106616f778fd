"""Robustness curves (vision/robustness.py) and `vision robustness`.

(``tests/test_robustness.py`` holds the detectors' own robustness acceptance tests.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from vision import synth
from vision.cli import main
from vision.robustness import DEFAULT_LADDER, Degradation, RobustnessCurve, Rung, robustness_curve


def _rung(family, level, label, present):
    cues = {name: {"state": "present" if p else "absent", "present": p, "score": 0.9 if p else 0.1} for name, p in present.items()}
    return Rung(family, level, label, 0.9 if label == "toofan" else 0.1, 0.0, cues)


@pytest.mark.parametrize(
    "ladder, expected",
    [
        ([("jpeg", 90, "toofan", (1, 1)), ("jpeg", 50, "toofan", (1, 0)), ("jpeg", 20, "not_toofan", (0, 0))], {"identification": 20, "tape": 20, "bands": 50}),
        ([("blur", 1, "toofan", (1, 1)), ("blur", 2, "toofan", (1, 1))], {"identification": None, "tape": None, "bands": None}),
        ([("colour", 0.1, "not_toofan", (1, 1)), ("colour", 0.2, "toofan", (1, 1))], {"identification": 0.1, "tape": None, "bands": None}),
    ],
)
def test_flips_are_the_first_level_that_differs(ladder, expected):
    base = _rung("original", 0, "toofan", {"tape": True, "bands": True})
    rungs = tuple(_rung(f, lvl, lab, {"tape": bool(t), "bands": bool(b)}) for f, lvl, lab, (t, b) in ladder)
    curve = RobustnessCurve("x.jpg", base, rungs)
    assert curve.flips() == {ladder[0][0]: expected}
    data = json.loads(json.dumps(curve.to_dict()))
    assert data["flips"][ladder[0][0]] == expected and len(data["rungs"]) == len(ladder)


def test_default_ladder_covers_the_issue():
    levels: dict[str, list[float]] = {}
    for d in DEFAULT_LADDER:
        levels.setdefault(d.family, []).append(d.level)
    assert (levels["jpeg"][0], levels["jpeg"][-1]) == (90, 20)
    assert (levels["downscale"][0], levels["downscale"][-1]) == (1.0, 0.25)
    assert levels["blur"] == sorted(levels["blur"]) and levels["colour"] == sorted(levels["colour"])


def test_curve_on_a_rendered_launcher(tmp_path):
    image = synth.render_scene("toofan", 100, (640, 480)).image
    ladder = [d for d in DEFAULT_LADDER if (d.family, d.level) in {("jpeg", 90), ("downscale", 0.25), ("colour", 0.1)}]
    curve = robustness_curve(image, ladder=ladder, name="toofan-100")
    assert [r.family for r in curve.rungs] == ["jpeg", "downscale", "colour"]
    assert set(curve.baseline.cues) == set(curve.rungs[0].cues)
    paths = curve.write(tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["image"] == "toofan-100" and set(data["flips"]) == {"jpeg", "downscale", "colour"}
    assert paths["plot"].stat().st_size > 5000
    assert "original:" in curve.summary()


def test_degradations_run_on_the_original_not_cumulatively():
    seen = []
    ladder = [Degradation("probe", k, lambda im, k=k: (seen.append(int(im[0, 0, 0])), np.full_like(im, 10 * k))[1]) for k in (1, 2)]
    robustness_curve(np.full((64, 64, 3), 200, np.uint8), ladder=ladder)
    assert seen == [200, 200]


@pytest.mark.parametrize("bad, error", [(np.zeros((10, 10)), "expected"), (None, "expected")])
def test_bad_image(bad, error):
    with pytest.raises((ValueError, TypeError), match=error):
        robustness_curve(bad)


def test_empty_ladder():
    with pytest.raises(ValueError, match="ladder"):
        robustness_curve(np.zeros((32, 32, 3), np.uint8), ladder=[])


def test_parallel_curve_equals_serial():
    image = synth.render_scene("toofan", 101, (320, 240)).image
    ladder = [d for d in DEFAULT_LADDER if d.family == "jpeg"][:3]
    serial, parallel = robustness_curve(image, ladder=ladder), robustness_curve(image, ladder=ladder, jobs=2)
    assert serial.to_dict() == parallel.to_dict()


def test_cli_robustness(tmp_path, capsys):
    path = tmp_path / "photo.jpg"
    path.write_bytes(synth.jpeg_bytes(synth.render_scene("us", 5, (320, 240)).image, 90))
    assert main(["robustness", str(path), "--out", str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "robustness.json").read_text())
    assert set(data["flips"]) == {"jpeg", "downscale", "blur", "colour"}
    assert len(data["rungs"]) == len(DEFAULT_LADDER)
    assert (tmp_path / "out" / "robustness.png").is_file()
    assert "JPEG quality" in capsys.readouterr().err


def test_cli_robustness_unreadable_image(tmp_path, capsys):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"not an image")
    assert main(["robustness", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "broken.jpg" in capsys.readouterr().err
