"""Cue detectors and their registry.

Each detector is a pure function ``detect(scene, params) -> CueResult`` with a frozen
params dataclass. Adding a cue means one module here, one line in :data:`REGISTRY`
and one test file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping

from ..normalise import Scene
from . import dark_green_cover, green_seal_tape, serial_4_letter, yellow_bands
from .base import CueResult, CueState, Region

__all__ = ["REGISTRY", "CueDetector", "CueResult", "CueState", "Region", "make_params", "run_cue"]


@dataclass(frozen=True)
class CueDetector:
    """A registered detector: its function and its params class."""

    name: str
    detect: Callable[..., CueResult]
    params: type
    description: str


REGISTRY: dict[str, CueDetector] = {
    d.name: d
    for d in (
        CueDetector(green_seal_tape.NAME, green_seal_tape.detect, green_seal_tape.GreenSealTapeParams, "green security-seal tape across the tube"),
        CueDetector(yellow_bands.NAME, yellow_bands.detect, yellow_bands.YellowBandsParams, "three evenly spaced yellow bands on a tripod leg"),
        CueDetector(dark_green_cover.NAME, dark_green_cover.detect, dark_green_cover.DarkGreenCoverParams, "dark-green missile cover (tube colour)"),
        CueDetector(serial_4_letter.NAME, serial_4_letter.detect, serial_4_letter.Serial4LetterParams, "four-capital-letter serial stencilled on the tube (Tesseract OCR)"),
    )
}


def make_params(name: str, overrides: Mapping[str, Any] | None = None):
    """Build a detector's params, failing loudly on a misspelt or unknown setting."""
    if name not in REGISTRY:
        raise ValueError(f"unknown cue {name!r}; known cues: {sorted(REGISTRY)}")
    cls = REGISTRY[name].params
    overrides = dict(overrides or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"{name}: unknown parameter(s) {unknown}; known: {sorted(known)}")
    converted = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v for k, v in overrides.items()}
    return cls(**converted)


def run_cue(name: str, scene: Scene, params=None) -> CueResult:
    """Run one registered detector on a scene (once per scene and params: results are memoised
    on the scene, so a detector may consult another's finding without recomputing it)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown cue {name!r}; known cues: {sorted(REGISTRY)}")
    detector = REGISTRY[name]
    params = params if params is not None else detector.params()
    return scene.memo((name, params), lambda: detector.detect(scene, params))
