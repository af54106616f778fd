"""Robustness curves: replay one photo through a ladder of degradations and see what flips.

Each rung of the ladder applies one degradation, at one strength, to the *original*
photo (rungs do not accumulate), and runs the public pipeline (:func:`vision.pipeline.analyse`)
on the result. The default ladder follows what reposting does to a photo:

=============  ==========================================  =======================================
family         levels                                      transform (:mod:`vision.synth`)
=============  ==========================================  =======================================
``jpeg``       quality 90, 80, 70, 60, 50, 40, 30, 20      :func:`~vision.synth.jpeg_roundtrip` (4:2:0)
``downscale``  factor 1, 0.75, 0.5, 0.35, 0.25             :func:`~vision.synth.downscale` (area)
``blur``       sigma 0.5, 1, 1.5, 2, 3, 4 px               :func:`~vision.synth.blur` (Gaussian)
``colour``     cast 0.05 to 0.3                            :func:`~vision.synth.colour_cast`,
                                                           gains ``(1 + c, 1, 1 - c)`` (warm)
=============  ==========================================  =======================================

A cue *flips* at the first level of a family where its presence differs from the
original photo's; the identification flips where its label does.
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .cues.base import plain
from .evidence import Profile, load_profile
from .io import as_rgb_uint8
from .pipeline import Analysis, analyse
from .synth import blur, colour_cast, downscale, jpeg_roundtrip

__all__ = ["DEFAULT_LADDER", "Degradation", "RobustnessCurve", "Rung", "robustness_curve"]


@dataclass(frozen=True)
class Degradation:
    """One rung of the ladder: a family, a strength and the transform it applies."""

    family: str
    level: float
    apply: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False)


def _ladder() -> tuple[Degradation, ...]:
    rungs = [Degradation("jpeg", q, lambda im, q=q: jpeg_roundtrip(im, int(q))) for q in (90, 80, 70, 60, 50, 40, 30, 20)]
    rungs += [Degradation("downscale", f, lambda im, f=f: downscale(im, f)) for f in (1.0, 0.75, 0.5, 0.35, 0.25)]
    rungs += [Degradation("blur", s, lambda im, s=s: blur(im, s)) for s in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)]
    rungs += [Degradation("colour", c, lambda im, c=c: colour_cast(im, (1 + c, 1.0, 1 - c))) for c in (0.05, 0.1, 0.15, 0.2, 0.3)]
    return tuple(rungs)


#: The default ladder (see the module docstring).
DEFAULT_LADDER: tuple[Degradation, ...] = _ladder()

#: What each family's level means, for plots and reports.
LEVEL_NAMES: Mapping[str, str] = {"jpeg": "JPEG quality", "downscale": "scale factor", "blur": "blur sigma (px)", "colour": "colour cast"}


@dataclass(frozen=True)
class Rung:
    """The pipeline's findings on one degraded copy."""

    family: str
    level: float
    label: str
    confidence: float
    log_lr: float
    cues: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_analysis(cls, family: str, level: float, analysis: Analysis) -> "Rung":
        ident = analysis.identification
        cues = {name: {"state": r.state.value, "present": r.present, "score": r.score} for name, r in analysis.cues.items()}
        return cls(family, float(level), ident.label, ident.confidence, ident.log_lr, cues)

    def to_dict(self) -> dict[str, Any]:
        return plain(
            {"family": self.family, "level": self.level, "label": self.label, "confidence": self.confidence, "log_lr": self.log_lr, "cues": dict(self.cues)}
        )


@dataclass(frozen=True)
class RobustnessCurve:
    """Findings along a degradation ladder.

    Attributes
    ----------
    image : str or None
        Where the photo came from (for reports).
    baseline : Rung
        The original photo (family ``"original"``).
    rungs : tuple of Rung
        In ladder order: each family from mild to severe.
    """

    image: str | None
    baseline: Rung
    rungs: tuple[Rung, ...]

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(r.family for r in self.rungs))

    def flips(self) -> dict[str, dict[str, float | None]]:
        """Per family: the first level at which the identification and each cue flip (None: never).

        A cue flips when its presence differs from the original photo's; the
        identification when its label does.
        """
        out: dict[str, dict[str, float | None]] = {}
        for family in self.families:
            rungs = [r for r in self.rungs if r.family == family]
            first: dict[str, float | None] = {"identification": next((r.level for r in rungs if r.label != self.baseline.label), None)}
            for cue, base in self.baseline.cues.items():
                first[cue] = next((r.level for r in rungs if r.cues[cue]["present"] != base["present"]), None)
            out[family] = first
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": "1",
            "image": self.image,
            "baseline": self.baseline.to_dict(),
            "rungs": [r.to_dict() for r in self.rungs],
            "flips": self.flips(),
            "levels": dict(LEVEL_NAMES),
        }

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``robustness.json`` and ``robustness.png`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": out / "robustness.json", "plot": out / "robustness.png"}
        paths["json"].write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        self.figure().savefig(paths["plot"], dpi=100)
        return paths

    def summary(self) -> str:
        """One line per family: where things flip."""
        lines = [f"original: {self.baseline.label} (confidence {self.baseline.confidence:.3f}); cues present: "
                 + (", ".join(c for c, v in self.baseline.cues.items() if v["present"]) or "none")]
        for family, first in self.flips().items():
            parts = [f"{name} flips at {level:g}" for name, level in first.items() if level is not None]
            lines.append(f"{LEVEL_NAMES.get(family, family)}: " + ("; ".join(parts) if parts else "nothing flips"))
        return "\n".join(lines)

    def figure(self):
        """One panel per family: the confidence and each cue's score against the level."""
        from .evaluate import agg_figure

        families = self.families
        fig = agg_figure(3.2 * len(families), 3.6)
        axes = np.atleast_1d(fig.subplots(1, len(families), sharey=True))
        cues = list(self.baseline.cues)
        flips = self.flips()
        for ax, family in zip(axes, families):
            rungs = [r for r in self.rungs if r.family == family]
            levels = [r.level for r in rungs]
            ax.plot(levels, [r.confidence for r in rungs], color="black", linewidth=2, marker="o", label="confidence")
            for k, cue in enumerate(cues):
                ax.plot(levels, [r.cues[cue]["score"] for r in rungs], color=f"C{k}", marker=".", linewidth=1, label=cue)
                if flips[family][cue] is not None:
                    ax.axvline(flips[family][cue], color=f"C{k}", linestyle=":", linewidth=1)
            if flips[family]["identification"] is not None:
                ax.axvline(flips[family]["identification"], color="black", linestyle="--", linewidth=1)
            ax.axhline(self.baseline.confidence, color="0.6", linewidth=0.8)
            if family in ("jpeg", "downscale"):
                ax.invert_xaxis()  # severity grows to the right
            ax.set(xlabel=LEVEL_NAMES.get(family, family), ylim=(-0.02, 1.02), title=family)
        axes[0].set_ylabel("confidence / cue score")
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize="small")
        fig.suptitle("dotted: a cue flips; dashed: the identification flips; grey: original confidence", fontsize="small")
        return fig

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        from html import escape

        from .evaluate import figure_base64

        return f"<pre>{escape(self.summary())}</pre><img src='data:image/png;base64,{figure_base64(self.figure())}'/>"


def _rung(job: tuple[str, float, np.ndarray, Profile]) -> Rung:
    family, level, image, profile = job
    return Rung.from_analysis(family, level, analyse(image, profile))


def robustness_curve(
    image: np.ndarray,
    profile: Profile | str | None = None,
    *,
    ladder: Sequence[Degradation] = DEFAULT_LADDER,
    name: str | None = None,
    jobs: int = 1,
) -> RobustnessCurve:
    """Run the pipeline on the photo and on each degraded copy of it.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        The original photo.
    profile : Profile or str, optional
        Default ``"toofan"``.
    ladder : sequence of Degradation
        Default :data:`DEFAULT_LADDER`.
    name : str, optional
        Where the photo came from (kept in the report).
    jobs : int
        Worker processes for the degraded copies (1 = in this process).

    Returns
    -------
    RobustnessCurve

    Examples
    --------
    >>> img = np.full((96, 128, 3), 120, np.uint8)
    >>> curve = robustness_curve(img, ladder=[d for d in DEFAULT_LADDER if d.family == "blur"][:2])
    >>> curve.flips()["blur"]["identification"] is None
    True
    """
    rgb = as_rgb_uint8(image, name="image")
    if not isinstance(profile, Profile):
        profile = load_profile(profile or "toofan")
    if not ladder:
        raise ValueError("ladder: expected at least one Degradation")
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs: expected a positive int, got {jobs!r}")
    work = [(d.family, d.level, d.apply(rgb), profile) for d in ladder]
    if jobs == 1:
        baseline = Rung.from_analysis("original", 0.0, analyse(rgb, profile))
        rungs = tuple(_rung(job) for job in work)
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_rung, [("original", 0.0, rgb, profile), *work], chunksize=1))
        baseline, rungs = results[0], tuple(results[1:])
    return RobustnessCurve(name, baseline, rungs)
