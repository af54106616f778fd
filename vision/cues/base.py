"""Typed results shared by every cue detector."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping

import numpy as np

__all__ = ["CueResult", "CueState", "Region", "plain"]


class CueState(str, Enum):
    """What a detector concluded about its cue."""

    PRESENT = "present"
    ABSENT = "absent"
    NOT_ASSESSABLE = "not_assessable"


def plain(value: Any) -> Any:
    """Cast numpy scalars/arrays and tuples to plain JSON-ready Python values."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return round(f, 6) if math.isfinite(f) else None
    if isinstance(value, Enum):
        return value.value
    return value


@dataclass(frozen=True)
class Region:
    """Where a cue was seen.

    Attributes
    ----------
    bbox : (x, y, w, h) ints in original-image pixels
    score : float in [0, 1]
    label : str
        Short human label for the overlay (``"band 2/3"``).
    """

    bbox: tuple[int, int, int, int]
    score: float
    label: str = ""

    def __post_init__(self) -> None:
        if len(self.bbox) != 4:
            raise ValueError(f"bbox: expected (x, y, w, h), got {self.bbox!r}")
        x, y, w, h = (int(v) for v in self.bbox)
        if w < 1 or h < 1 or x < 0 or y < 0:
            raise ValueError(f"bbox: expected x, y >= 0 and w, h >= 1, got {self.bbox!r}")
        object.__setattr__(self, "bbox", (x, y, w, h))
        if not 0.0 <= float(self.score) <= 1.0:
            raise ValueError(f"region score must be in [0, 1], got {self.score!r}")
        object.__setattr__(self, "score", float(self.score))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bbox": list(self.bbox), "score": round(self.score, 6)}
        if self.label:
            out["label"] = self.label
        return out


@dataclass(frozen=True)
class CueResult:
    """One detector's finding on one photo.

    Attributes
    ----------
    name : str
        Cue name (registry key).
    state : CueState
    score : float in [0, 1]
        Strength of the evidence that the cue is present (0 when not assessable).
    regions : tuple of Region
    measurements : mapping of str to plain values
        What was measured (CIELAB colour, area fraction, spacing, ...).
    reason : str or None
        Why the cue is not assessable (required then, ``None`` otherwise).
    fields : mapping
        Cue-specific top-level report fields (``count`` and ``groups`` for yellow bands,
        ``colour`` for the cover).
    """

    name: str
    state: CueState
    score: float
    regions: tuple[Region, ...] = ()
    measurements: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.state, CueState):
            try:
                object.__setattr__(self, "state", CueState(self.state))
            except ValueError:
                raise ValueError(f"state: expected one of {[s.value for s in CueState]}, got {self.state!r}") from None
        score = float(self.score)
        if not (math.isfinite(score) and 0.0 <= score <= 1.0):
            raise ValueError(f"score must be in [0, 1], got {self.score!r}")
        object.__setattr__(self, "score", score)
        if (self.state is CueState.NOT_ASSESSABLE) != bool(self.reason):
            raise ValueError("reason is required when, and only when, state is not_assessable")
        object.__setattr__(self, "regions", tuple(self.regions))
        object.__setattr__(self, "measurements", plain(dict(self.measurements)))
        object.__setattr__(self, "fields", plain(dict(self.fields)))

    @property
    def present(self) -> bool:
        return self.state is CueState.PRESENT

    @property
    def assessable(self) -> bool:
        return self.state is not CueState.NOT_ASSESSABLE

    @classmethod
    def not_assessable(cls, name: str, reason: str, *, measurements=None, fields=None) -> "CueResult":
        """A result for a cue that cannot be seen in this photo."""
        return cls(name, CueState.NOT_ASSESSABLE, 0.0, (), measurements or {}, reason, fields or {})

    def to_dict(self) -> dict[str, Any]:
        """The report form of this result (see the package's JSON Schema)."""
        out: dict[str, Any] = {
            "state": self.state.value,
            "present": self.present,
            "score": round(self.score, 6),
            "reason": self.reason,
            "regions": [r.to_dict() for r in self.regions],
            "measurements": dict(self.measurements),
        }
        out.update(self.fields)
        return out
