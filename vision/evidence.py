"""Evidence combination: cue results -> identification, through per-cue likelihood ratios.

A *profile* (a JSON data file) names the hypothesis, its prior, the cues to run (with
optional detector settings) and, for each cue, a piecewise-linear map from the cue's
score to ``log10`` of the likelihood ratio

    LR = P(score | hypothesis) / P(score | alternative).

Cues are treated as conditionally independent given the hypothesis, so the log-LRs add;
a not-assessable cue contributes exactly 0. The posterior is

    odds = prior_odds * 10 ** sum(log10 LR),   confidence = odds / (1 + odds),

optionally passed through the profile's calibration map (fitted by ``vision calibrate``).
The verbal conclusion follows the ENFSI guideline's scale for likelihood ratios.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .cues import REGISTRY, CueResult, make_params

__all__ = ["CueEvidence", "Identification", "Profile", "combine", "enfsi_verbal", "load_profile", "profile_names"]


@dataclass(frozen=True)
class CueProfile:
    """How one cue enters a profile: detector settings and the score -> log10 LR map."""

    name: str
    params: Any
    knots: tuple[tuple[float, float], ...]

    def log10_lr(self, score: float) -> float:
        xs, ys = zip(*self.knots)
        return float(np.interp(score, xs, ys))


@dataclass(frozen=True)
class Profile:
    """A loaded identification profile (see ``vision/profiles/*.json``)."""

    name: str
    description: str
    hypothesis: str
    alternative: str
    positive_label: str
    negative_label: str
    prior: float
    threshold: float
    cues: tuple[CueProfile, ...]
    calibration: tuple[tuple[float, float], ...] | None
    source: str
    sha256: str

    @property
    def cue_names(self) -> list[str]:
        return [c.name for c in self.cues]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> "Profile":
        """Validate and build a profile; errors name the offending field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"profile {source}: expected a JSON object, got {type(data).__name__}")
        required = ("name", "prior", "cues")
        missing = [k for k in required if k not in data]
        if missing:
            raise ValueError(f"profile {source}: missing field(s) {missing}")
        prior = float(data["prior"])
        if not 0.0 < prior < 1.0:
            raise ValueError(f"profile {source}: prior must be in (0, 1), got {prior}")
        threshold = float(data.get("threshold", 0.5))
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"profile {source}: threshold must be in (0, 1), got {threshold}")
        cues = []
        for name, spec in data["cues"].items():
            if name not in REGISTRY:
                raise ValueError(f"profile {source}: unknown cue {name!r}; known cues: {sorted(REGISTRY)}")
            knots = tuple((float(s), float(l)) for s, l in spec.get("log10_lr", ()))
            if len(knots) < 2 or any(b[0] < a[0] for a, b in zip(knots, knots[1:])):
                raise ValueError(f"profile {source}: cue {name}: log10_lr needs >= 2 [score, log10_lr] points with increasing score")
            cues.append(CueProfile(name, make_params(name, spec.get("params")), knots))
        calibration = data.get("calibration")
        if calibration is not None:
            calibration = tuple((float(a), float(b)) for a, b in calibration)
        labels = data.get("labels", {})
        canonical = json.dumps(data, sort_keys=True).encode()
        return cls(
            name=str(data["name"]),
            description=str(data.get("description", "")),
            hypothesis=str(data.get("hypothesis", f"the photo shows {data['name']}")),
            alternative=str(data.get("alternative", f"the photo does not show {data['name']}")),
            positive_label=str(labels.get("positive", data["name"])),
            negative_label=str(labels.get("negative", f"not_{data['name']}")),
            prior=prior,
            threshold=threshold,
            cues=tuple(cues),
            calibration=calibration,
            source=source,
            sha256=hashlib.sha256(canonical).hexdigest(),
        )


def profile_names() -> list[str]:
    """Names of the profiles shipped in the package."""
    folder = resources.files("vision") / "profiles"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load_profile(name_or_path: str | Path = "toofan") -> Profile:
    """Load a packaged profile by name, or a profile JSON file by path."""
    text = str(name_or_path)
    if text in profile_names():
        resource = resources.files("vision") / "profiles" / f"{text}.json"
        return Profile.from_dict(json.loads(resource.read_text(encoding="utf-8")), source=f"vision:{text}")
    path = Path(text)
    if not path.is_file():
        raise ValueError(f"profile: {text!r} is neither a packaged profile {profile_names()} nor a readable file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"profile {path}: not valid JSON ({exc})") from None
    return Profile.from_dict(data, source=str(path))


@dataclass(frozen=True)
class CueEvidence:
    """One cue's contribution to an identification."""

    cue: str
    state: str
    score: float
    log_lr: float

    def to_dict(self) -> dict[str, Any]:
        return {"cue": self.cue, "state": self.state, "score": round(self.score, 6), "log_lr": round(self.log_lr, 6)}


@dataclass(frozen=True)
class Identification:
    """The profile's conclusion for one photo."""

    profile: str
    label: str
    confidence: float
    log_lr: float
    verbal: str
    evidence: tuple[CueEvidence, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "label": self.label,
            "confidence": round(self.confidence, 6),
            "log_lr": round(self.log_lr, 6),
            "verbal": self.verbal,
            "evidence": [e.to_dict() for e in self.evidence],
        }


_ENFSI = ((1.0, "weak"), (2.0, "moderate"), (3.0, "moderately strong"), (4.0, "strong"))


def enfsi_verbal(log10_lr: float, hypothesis: str, alternative: str) -> str:
    """Verbal equivalent of a likelihood ratio on the ENFSI (2015) scale.

    Examples
    --------
    >>> enfsi_verbal(1.5, "H1 holds", "H2 holds")
    'moderate support for the proposition that H1 holds, rather than that H2 holds (LR = 31.6)'
    """
    magnitude = abs(log10_lr)
    lr_text = f"LR = {10 ** log10_lr:.3g}" if abs(log10_lr) < 6 else f"log10 LR = {log10_lr:.1f}"
    if magnitude < math.log10(2.0):
        return f"no meaningful support for either proposition ({lr_text})"
    strength = "very strong"
    for limit, word in _ENFSI:
        if magnitude < limit:
            strength = word
            break
    if log10_lr > 0:
        return f"{strength} support for the proposition that {hypothesis}, rather than that {alternative} ({lr_text})"
    return f"{strength} support for the proposition that {alternative}, rather than that {hypothesis} ({lr_text})"


def combine(results: Mapping[str, CueResult], profile: Profile) -> Identification:
    """Combine cue results into an identification (pure function).

    Parameters
    ----------
    results : mapping of cue name to CueResult
        Must contain every cue the profile names.
    profile : Profile

    Returns
    -------
    Identification
    """
    evidence = []
    for cue in profile.cues:
        if cue.name not in results:
            raise ValueError(f"combine: no result for cue {cue.name!r} required by profile {profile.name!r}")
        r = results[cue.name]
        log_lr = cue.log10_lr(r.score) if r.assessable else 0.0
        evidence.append(CueEvidence(cue.name, r.state.value, r.score, log_lr))
    total = float(sum(e.log_lr for e in evidence))
    prior_logodds = math.log10(profile.prior / (1.0 - profile.prior))
    logodds = float(np.clip(prior_logodds + total, -12, 12))
    confidence = 1.0 / (1.0 + 10.0 ** (-logodds))
    if profile.calibration:
        xs, ys = zip(*profile.calibration)
        confidence = float(np.interp(confidence, xs, ys))
    label = profile.positive_label if confidence >= profile.threshold else profile.negative_label
    return Identification(
        profile=profile.name,
        label=label,
        confidence=float(confidence),
        log_lr=total,
        verbal=enfsi_verbal(total, profile.hypothesis, profile.alternative),
        evidence=tuple(evidence),
    )
