"""The sample generator's development sets: other scenes than samples/, the same labels format."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("samples_generate", ROOT / "samples" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_set_never_repeats_a_sample_scene(generate, tmp_path):
    samples = {s["seed"] for s in generate.build_specs()}
    dev = generate.dev_specs(tmp_path, 8, 70_000)
    assert len(dev) == 8 * len(samples)
    assert not samples & {s["seed"] for s in dev}
    assert len({(s["kind"], s["seed"]) for s in dev}) == len(dev) and len({s["name"] for s in dev}) == len(dev)
    with pytest.raises(SystemExit, match="highest seed"):
        generate.make_dev(tmp_path, 1, 10_000, 1)
    with pytest.raises(SystemExit, match="copies"):
        generate.make_dev(tmp_path, 0, 70_000, 1)


def test_dev_image_is_written_under_its_root_with_a_label(generate, tmp_path):
    (tmp_path / "synthetic").mkdir()
    spec = next(s for s in generate.dev_specs(tmp_path, 1, 70_000) if s["name"] == "d0_toofan_000")
    entry = generate.make_synthetic(spec)
    assert entry["image"] == "synthetic/d0_toofan_000.jpg" and entry["toofan"] == 1
    assert (tmp_path / entry["image"]).stat().st_size > 1000
    assert entry["render"]["seed"] == spec["seed"]
    json.dumps(entry)  # the labels file is JSON
