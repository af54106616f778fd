"""Fit a profile's likelihood ratios and calibration map from labelled scan results.

:func:`calibrate` turns results + labels into a new profile (the JSON format of
``vision/profiles/*.json``, used by ``vision scan --profile``) in three steps, all fitted
on a training split of the photos (near-duplicates stay on one side; the split is
stratified by class and drawn from a fixed seed):

1. **Cue likelihood ratios**, from each cue's score distributions in the two classes
   (assessable photos only; a not-assessable cue keeps contributing LR = 1). By default
   pool-adjacent-violators (isotonic regression) orders the scores into blocks whose
   share of positives never decreases; each block's LR is
   ``P(block | H1) / P(block | H2)`` with a pseudo-count added to both classes (so every
   LR is finite and sparse blocks shrink towards LR = 1), made monotone again, with knots
   at the blocks' mean scores. Alternatively (``cue_method="kde"``) smoothed kernel
   densities. See :func:`fit_cue_log10_lr`.
2. **Dependence.** The cues are not independent (a Toofan photo tends to show tape *and*
   bands), so summed log-LRs overstate the evidence. A logistic regression of the class
   on the cues' log-LRs (intercept fixed at the training base rate, weights pulled
   towards 1 by a ridge penalty) gives one weight per cue, which scales its log-LRs.
3. **Calibration map.** The profile's ``calibration`` ``[[confidence, calibrated], ...]``
   is a Platt (logistic, default) or isotonic fit of the class on the resulting
   confidence. It maps confidences to the labelled set's base rate: a calibrated 0.8 is
   right about 80 % of the time on photos like the labelled ones (whatever the
   profile's triage ``prior``). With ``method="none"`` no map is written and the
   confidence stays the posterior at the profile's prior (how the packaged profile is
   fitted: its dev set's base rate is not an analyst's).

By default (``select``) the fit is written only if it earns its place: keeping the source
profile, refitting only its calibration map, and refitting everything compete on 5-fold
cross-validated log-loss within the training split, and the report says which won.

Before and after, on the held-out split: expected calibration error (ECE), Brier score,
ROC AUC and the log-likelihood-ratio cost (Cllr) of the reported LR
(``identification.log_lr``, the weighted sum of the cue log-LRs). Fewer than
``min_per_class`` photos of either class in the training split raise
:class:`CalibrationError`.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from . import __version__
from .cues import CueResult
from .cues.base import plain
from .evidence import Identification, Profile, combine, load_profile
from .evaluate import (
    DEFAULT_MAX_HASH_DISTANCE,
    LabelledRecord,
    brier_score,
    cllr,
    join,
    records_profile,
    reliability,
    roc_auc,
)
from .labels import LabelSet
from .report import read_results

__all__ = [
    "CalibrationError",
    "Calibration",
    "MIN_PER_CLASS",
    "calibrate",
    "fit_cue_log10_lr",
    "fit_logistic",
    "pav",
    "rescore",
    "split_groups",
]

#: Fewer labelled photos of either class than this in the training split: refuse to fit.
MIN_PER_CLASS = 10

_LN10 = math.log(10.0)


class CalibrationError(ValueError):
    """The labels cannot support a fit (too few photos of a class)."""


# ----------------------------------------------------------------------------------------
# Fitting primitives
# ----------------------------------------------------------------------------------------
def _pool(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-decreasing fit of a sequence (pool adjacent violators), one value per entry."""
    blocks: list[list[float]] = []  # [weighted sum, weight, entries]
    for v, wt in zip(values, weights):
        blocks.append([float(v) * float(wt), float(wt), 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, wt2, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += wt2
            blocks[-1][2] += n
    return np.repeat([b[0] / b[1] for b in blocks], [int(b[2]) for b in blocks])


@dataclass(frozen=True)
class Blocks:
    """The steps of an isotonic fit (see :func:`pav`); arrays of one length, by increasing ``x``."""

    lo: np.ndarray
    hi: np.ndarray
    centre: np.ndarray
    value: np.ndarray
    weight: np.ndarray


def pav(x, y, w=None) -> Blocks:
    """Weighted isotonic (non-decreasing) regression of ``y`` on ``x`` by pool-adjacent-violators.

    Equal ``x`` values always share a block.

    Parameters
    ----------
    x, y : (N,) float arrays
    w : (N,) float array, optional
        Weights (> 0).

    Returns
    -------
    Blocks
        ``lo``/``hi``: smallest and largest ``x`` of each block; ``centre``: its weighted
        mean ``x``; ``value``: its weighted mean ``y`` (increasing); ``weight``: its total
        weight.

    Examples
    --------
    >>> b = pav([1, 2, 3, 4], [0, 1, 0, 1])
    >>> b.lo.tolist(), b.hi.tolist(), b.value.tolist()
    ([1.0, 2.0, 4.0], [1.0, 3.0, 4.0], [0.0, 0.5, 1.0])
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=np.float64)
    if not (x.ndim == 1 and x.shape == y.shape == w.shape):
        raise ValueError(f"x, y, w: expected 1-D arrays of one length, got {x.shape}, {y.shape}, {w.shape}")
    if x.size == 0:
        raise ValueError("pav: no data")
    if (w <= 0).any() or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("pav: expected finite x and y and weights > 0")
    order = np.argsort(x, kind="mergesort")
    x, y, w = x[order], y[order], w[order]
    starts = np.r_[0, np.flatnonzero(np.diff(x)) + 1]
    ends = np.r_[starts[1:] - 1, x.size - 1]
    weight = np.add.reduceat(w, starts)
    fitted = _pool(np.add.reduceat(w * y, starts) / weight, weight)
    first = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])  # a new block where the fit steps up
    last = np.r_[first[1:] - 1, fitted.size - 1]
    block_weight = np.add.reduceat(weight, first)
    centre = np.add.reduceat(np.add.reduceat(w * x, starts), first) / block_weight
    return Blocks(x[starts][first], x[ends][last], centre, fitted[first], block_weight)


def _knots(x: np.ndarray, values: np.ndarray, *, digits: int = 6) -> list[list[float]]:
    """Piecewise-linear knots through ``(x, value)`` points, extended flat to 0 and 1."""
    out = [[round(float(a), digits), round(float(v), 6)] for a, v in zip(x, values)]
    if out[0][0] > 0.0:
        out.insert(0, [0.0, out[0][1]])
    if out[-1][0] < 1.0:
        out.append([1.0, out[-1][1]])
    return out


def fit_cue_log10_lr(
    scores, y, w=None, *, method: str = "pav", pseudo_count: float = 1.0, bandwidth: float = 0.1, grid: int = 21
) -> list[list[float]]:
    """Monotone, finite ``[score, log10 LR]`` knots of one cue from labelled scores.

    ``method="pav"`` (default): isotonic blocks of the class on the score (pool adjacent
    violators); per block ``P(block | H1) / P(block | H2)`` with ``pseudo_count`` added
    (split between the classes in proportion to their totals); knots at the blocks' mean
    scores, so the LR ramps between neighbouring blocks rather than jumping at one
    training photo's score.

    ``method="kde"``: each class's score density is a Gaussian kernel density
    (``bandwidth``, reflected at 0 and 1) mixed with ``pseudo_count`` photos spread
    uniformly over [0, 1]; the LR ``f1(s) / f0(s)`` is taken on ``grid`` equally spaced
    scores and made non-decreasing by pool-adjacent-violators weighted by the data there.

    Parameters
    ----------
    scores : (N,) float array
        The cue's scores on assessable photos.
    y : (N,) array of 0/1
    w : (N,) float array, optional
        Photo weights (near-duplicate groups).
    method : {"pav", "kde"}
    pseudo_count : float
        Regularisation: keeps every LR finite and shrinks sparse regions towards LR = 1.
    bandwidth : float
        Kernel standard deviation on the score (``kde``).
    grid : int
        Number of knots (``kde``).

    Returns
    -------
    list of [score, log10_lr]
        At least two knots, scores increasing from 0 to 1, log-LRs non-decreasing.

    Examples
    --------
    >>> knots = fit_cue_log10_lr([0.1] * 10 + [0.9] * 10, [0] * 10 + [1] * 10)
    >>> knots[0][1] < 0 < knots[-1][1]
    True
    """
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(scores) if w is None else np.asarray(w, dtype=np.float64)
    if method not in ("kde", "pav"):
        raise ValueError(f"method: expected 'kde' or 'pav', got {method!r}")
    if pseudo_count <= 0:
        raise ValueError(f"pseudo_count: expected > 0, got {pseudo_count!r}")
    if scores.size and (scores.min() < 0 or scores.max() > 1):
        raise ValueError("scores: expected cue scores in [0, 1]")
    n1, n0 = float(np.sum(w * y)), float(np.sum(w * (1 - y)))
    if n1 <= 0 or n0 <= 0:
        return [[0.0, 0.0], [1.0, 0.0]]  # one class only: the cue says nothing
    if method == "pav":
        b = pav(scores, y, w)
        pos, neg = b.value * b.weight, (1 - b.value) * b.weight
        a1, a0 = pseudo_count * n1 / (n1 + n0), pseudo_count * n0 / (n1 + n0)
        log_lr = np.log10(((pos + a1) / (n1 + pseudo_count)) / ((neg + a0) / (n0 + pseudo_count)))
        # The pseudo-count can swap nearly equal neighbours: restore the order, weighted.
        return _knots(b.centre, _pool(log_lr, b.weight))
    if bandwidth <= 0 or grid < 2:
        raise ValueError(f"bandwidth > 0 and grid >= 2 expected, got {bandwidth!r} and {grid!r}")
    at = np.linspace(0.0, 1.0, grid)

    def density(mask: np.ndarray, total: float) -> np.ndarray:
        s, ws = scores[mask], w[mask]
        mass = sum(np.exp(-0.5 * ((at[:, None] - m[None, :]) / bandwidth) ** 2) @ ws for m in (s, -s, 2.0 - s))
        return (mass / (bandwidth * math.sqrt(2 * math.pi)) + pseudo_count) / (total + pseudo_count)

    f1, f0 = density(y == 1, n1), density(y == 0, n0)
    return _knots(at, _pool(np.log10(f1 / f0), n1 * f1 + n0 * f0))


def fit_logistic(X, y, w=None, *, ridge: float = 1.0, prior=None, offset: float | None = None, iterations: int = 100) -> tuple[np.ndarray, float]:
    """Weighted logistic regression ``P(y=1) = 1 / (1 + exp(-(X @ beta + c)))``, ridge-regularised.

    Newton's method on the penalised log-loss ``sum w log-loss + ridge/2 |beta - prior|^2``;
    the penalty keeps the fit finite on separable data and pulls a small data set
    towards ``prior``.

    Parameters
    ----------
    X : (N, K) or (N,) float array
    y : (N,) array of 0/1
    w : (N,) float array, optional
    ridge : float
        Penalty weight (in units of photos).
    prior : (K,) float array, optional
        Where the penalty pulls ``beta`` (default: ones, i.e. "keep the input as it is").
    offset : float, optional
        Fix the intercept ``c`` at this value instead of fitting it.

    Returns
    -------
    beta : (K,) float array
    c : float

    Examples
    --------
    >>> beta, c = fit_logistic([-2.0, -1.0, 1.0, 2.0], [0, 1, 0, 1], ridge=0.0)
    >>> round(float(beta[0]), 3), abs(round(c, 3))
    (0.42, 0.0)
    """
    X = np.asarray(X, dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    y = np.asarray(y, dtype=np.float64)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    k = X.shape[1]
    prior = np.ones(k) if prior is None else np.asarray(prior, dtype=np.float64)
    fixed = offset is not None
    A = X if fixed else np.hstack([X, np.ones((len(y), 1))])
    theta = np.r_[prior, [] if fixed else [0.0]]
    penalty = np.r_[np.full(k, float(ridge)), [] if fixed else [1e-9]]
    target = np.r_[prior, [] if fixed else [0.0]]
    c0 = float(offset) if fixed else 0.0

    def loss(t: np.ndarray) -> float:
        z = A @ t + c0
        return float(np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * np.sum(penalty * (t - target) ** 2))

    for _ in range(iterations):
        z = A @ theta + c0
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        grad = A.T @ (w * (p - y)) + penalty * (theta - target)
        hess = (A * (w * p * (1 - p))[:, None]).T @ A + np.diag(penalty) + 1e-12 * np.eye(len(theta))
        step = np.linalg.solve(hess, -grad)
        f0, t = loss(theta), 1.0
        while loss(theta + t * step) > f0 + 1e-4 * t * (grad @ step) and t > 1e-8:
            t *= 0.5  # damped Newton: never increase the loss
        theta = theta + t * step
        if np.max(np.abs(t * step)) < 1e-10:
            break
    return theta[:k], (c0 if fixed else float(theta[k]))


def _platt_map(slope: float, intercept: float, *, step: float = 0.25, span: float = 6.0) -> list[list[float]]:
    """``[[confidence, calibrated], ...]`` of ``calibrated = sigmoid(slope * ln10 * logit10(c) + intercept)``."""
    out = []
    for L in np.arange(-span, span + step / 2, step):
        c = 1.0 / (1.0 + 10.0 ** (-L))
        out.append([float(c), float(1.0 / (1.0 + math.exp(-(slope * _LN10 * L + intercept))))])
    return out


def _isotonic_map(confidence: np.ndarray, y: np.ndarray, w: np.ndarray, pseudo_count: float) -> list[list[float]]:
    """``[[confidence, calibrated], ...]`` by PAV, each block shrunk towards the base rate by ``pseudo_count``."""
    b = pav(confidence, y, w)
    base = float(np.sum(w * y) / np.sum(w))
    shrunk = (b.value * b.weight + pseudo_count * base) / (b.weight + pseudo_count)
    return _knots(b.centre, _pool(shrunk, b.weight), digits=9)


# ----------------------------------------------------------------------------------------
# Splitting and rescoring
# ----------------------------------------------------------------------------------------
def split_groups(items: Sequence[LabelledRecord], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of a training and a held-out split of ``items``.

    Whole near-duplicate groups go to one side; groups are drawn per class (the
    group's majority label), so both sides keep the class balance. Deterministic for a
    given ``seed``.
    """
    if not 0.0 <= holdout < 1.0:
        raise ValueError(f"holdout: expected a fraction in [0, 1), got {holdout!r}")
    members: dict[int, list[int]] = {}
    for i, it in enumerate(items):
        members.setdefault(it.group, []).append(i)
    rng = np.random.default_rng(seed)
    test_groups: set[int] = set()
    for cls in (0, 1):
        groups = sorted(g for g, idx in members.items() if int(2 * sum(items[i].label.toofan for i in idx) >= len(idx)) == cls)
        chosen = rng.permutation(len(groups))[: int(round(holdout * len(groups)))]
        test_groups.update(groups[k] for k in chosen)
    train = [i for i, it in enumerate(items) if it.group not in test_groups]
    test = [i for i, it in enumerate(items) if it.group in test_groups]
    return train, test


def rescore(records: Sequence[Mapping[str, Any]], profile: Profile) -> list[Identification]:
    """Identifications of scanned records under another profile, without re-running the detectors.

    The cue states and scores are taken from the records (so the profile must use the
    same detector settings as the scan) and combined by :func:`vision.evidence.combine`,
    exactly as a scan with ``profile`` would.
    """
    out = []
    for record in records:
        cues = record.get("cues") or {}
        results = {}
        for name in profile.cue_names:
            if name not in cues:
                raise ValueError(f"{record.get('image')}: no result for cue {name!r} (profile {profile.name!r} needs it)")
            c = cues[name]
            results[name] = CueResult(name, c["state"], float(c["score"]), reason=c.get("reason") or None)
        out.append(combine(results, profile))
    return out


def _scores(items: Sequence[LabelledRecord], idents: Sequence[Identification] | None, n_bins: int) -> dict[str, Any]:
    y = np.array([it.label.toofan for it in items])
    w = np.array([it.weight for it in items])
    if idents is None:
        p = np.array([it.confidence for it in items])
        lr = np.array([it.log10_lr for it in items])
    else:
        p = np.array([i.confidence for i in idents])
        lr = np.array([i.log_lr for i in idents])
    table = reliability(y, p, n_bins, w)
    both = 0 < y.sum() < y.size
    return {
        "photos": len(items),
        "ece": table.ece,
        "brier": brier_score(y, p, w),
        "cllr": cllr(y, lr, w) if both else None,
        "roc_auc": roc_auc(y, p, w) if both else None,
        "reliability": table.to_dict(),
    }


# ----------------------------------------------------------------------------------------
# The fit
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """The result of :func:`calibrate`: the new profile and the before/after report."""

    profile: Mapping[str, Any]
    report: Mapping[str, Any]

    def load(self) -> Profile:
        """The new profile, loaded (as ``vision scan --profile`` would load the written file)."""
        return Profile.from_dict(self.profile, source="<calibrated>")

    def write(self, path: str | Path) -> Path:
        """Write the profile JSON (the report is inside it, under ``calibrated``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.profile, indent=1) + "\n", encoding="utf-8")
        return path

    def summary(self) -> str:
        r = self.report

        def f(x: Any) -> str:
            return "n/a" if x is None else f"{x:.3f}"

        split = r["split"]
        evaluated_on = "held-out" if split["test"] else "training (no held-out split!)"
        b, a = r["before"], r["after"]
        return "\n".join(
            [
                f"{r['mode']}: {split['train']} training photos ({split['train_classes']['positive']} positive, "
                f"{split['train_classes']['negative']} negative groups), evaluated on {split['test'] or split['train']} {evaluated_on} photos",
                ("cue LR weights: " + ", ".join(f"{k} {v:.2f}" for k, v in r["lr_weights"].items()) + "; " if r.get("lr_weights") else "")
                + ("calibration map: " + r["method"] if r["mode"] != "keep" else "the source profile kept unchanged"),
                f"{'':10s}{'before':>10s}{'after':>10s}",
                *(f"{k:10s}{f(b[k]):>10s}{f(a[k]):>10s}" for k in ("ece", "brier", "cllr", "roc_auc")),
            ]
        )


def _source_data(profile: Profile) -> dict[str, Any]:
    if profile.source.startswith("vision:"):
        text = (resources.files("vision") / "profiles" / f"{profile.source[7:]}.json").read_text(encoding="utf-8")
    else:
        text = Path(profile.source).read_text(encoding="utf-8")
    return json.loads(text)


def calibrate(
    records: Sequence[Mapping[str, Any]] | str | Path,
    labels: LabelSet,
    *,
    profile: Profile | str | None = None,
    holdout: float = 0.5,
    seed: int = 0,
    method: str = "platt",
    cue_method: str = "pav",
    pseudo_count: float = 1.0,
    bandwidth: float = 0.1,
    dependence_ridge: float = 10.0,
    map_ridge: float = 1.0,
    select: bool = True,
    min_per_class: int = MIN_PER_CLASS,
    n_bins: int = 10,
    dedupe: bool = True,
    max_hash_distance: int = DEFAULT_MAX_HASH_DISTANCE,
    image_root: str | Path | None = None,
) -> Calibration:
    """Fit cue likelihood ratios and a calibration map from labelled results.

    Parameters
    ----------
    records : sequence of dict, or path
        ``results.jsonl`` records of a scan, or its output folder.
    labels : LabelSet
    profile : Profile or str, optional
        The profile to refit (its detector settings must be those of the scan); default:
        the scan's profile.
    holdout : float
        Fraction of photo groups kept out of the fit to measure before/after (0: fit on
        everything and report in-sample numbers).
    seed : int
        Seed of the split.
    method : {"platt", "isotonic", "none"}
        Calibration map. A map fitted on the labelled photos also carries their base rate
        into every confidence (with nothing assessable a photo leaves at that rate, not at
        the profile's ``prior``); ``"none"`` writes no map, so the confidence stays the
        posterior at the profile's prior from the (refitted or kept) dependence-weighted LRs;
        whichever mode is selected, the written profile has no map.
    cue_method : {"pav", "kde"}
        How each cue's LR is estimated (see :func:`fit_cue_log10_lr`).
    pseudo_count : float
        Regularisation of the cue LRs and the isotonic map.
    bandwidth : float
        Kernel width on the cue score (``cue_method="kde"``).
    dependence_ridge, map_ridge : float
        Ridge penalties (in photos) pulling the per-cue dependence weights and the Platt
        map's slope towards 1.
    select : bool
        Choose between keeping the source profile, refitting only its calibration map and
        refitting everything (:data:`MODES`) by 5-fold cross-validated log-loss on the
        training split (ties go to the simpler), so a few labels never replace a profile
        with one that predicts them worse. False: always refit everything.
    min_per_class : int
        Refuse to fit with fewer training photos (groups) of either class.
    n_bins : int
        Bins of the expected calibration error.
    dedupe, max_hash_distance, image_root
        Near-duplicate grouping (see :func:`vision.evaluate.join`).

    Returns
    -------
    Calibration

    Raises
    ------
    CalibrationError
        Too few labelled photos of a class.
    ValueError
        Bad arguments, or no record matches a label.
    """
    if method not in ("platt", "isotonic", "none"):
        raise ValueError(f"method: expected 'platt', 'isotonic' or 'none', got {method!r}")
    if isinstance(records, (str, Path)):
        records = read_results(records)
    records = list(records)
    scanned = records_profile(records)
    if profile is None:
        if scanned is None:
            raise ValueError("profile: the scan's profile cannot be loaded; name the profile to refit")
        profile = scanned
    elif not isinstance(profile, Profile):
        profile = load_profile(profile)
    if scanned is not None and [c.params for c in scanned.cues] != [c.params for c in profile.cues]:
        warnings.warn("the profile's detector settings differ from the scan's: the fitted LRs will not match its scores", stacklevel=2)
    joined = join(records, labels, dedupe=dedupe, max_hash_distance=max_hash_distance, image_root=image_root)
    items = joined.items
    if not items:
        raise ValueError(f"no result matches a label in {labels.source}: results are matched by file name")
    for it in items:
        missing = [c for c in profile.cue_names if c not in (it.record.get("cues") or {})]
        if missing:
            raise ValueError(f"{it.image}: no result for cue(s) {missing} (profile {profile.name!r} needs them): rescan with this profile")
    train_idx, test_idx = split_groups(items, holdout, seed)
    train = [items[i] for i in train_idx]
    test = [items[i] for i in test_idx]
    classes = _class_counts(train)
    if min(classes.values()) < min_per_class:
        raise CalibrationError(
            f"too few labelled photos to fit: the training split has {classes['positive']} positive and "
            f"{classes['negative']} negative photo(s) (near-duplicates counted once), at least {min_per_class} of each "
            f"are needed ({len(items)} labelled photos in all, {holdout:.0%} held out)"
        )

    settings = FitSettings(method, cue_method, pseudo_count, bandwidth, dependence_ridge, map_ridge)
    source = _source_data(profile)
    if select:
        cv_loss = {mode: _cross_validated_loss(train, source, settings, mode, seed) for mode in MODES}
        mode = min(MODES, key=lambda m: cv_loss[m] + 1e-9 * MODES.index(m))  # ties: the simpler mode
    else:
        cv_loss, mode = {}, "refit"
    data, details = _fit(train, source, settings, mode)
    fitted = Profile.from_dict(data, source="<fit>")

    evaluated = test if test else train
    report = {
        "tool_version": __version__,
        "source_profile": {"name": profile.name, "source": profile.source, "sha256": profile.sha256},
        "labels": {"source": labels.source, "format": labels.format},
        "method": method,
        "cue_method": cue_method,
        "bandwidth": bandwidth if cue_method == "kde" else None,
        "mode": mode,
        "cross_validated_log_loss": cv_loss,
        "pseudo_count": pseudo_count,
        "dependence_ridge": dependence_ridge,
        "map_ridge": map_ridge,
        **details,
        "seed": seed,
        "holdout": holdout,
        "split": {
            "train": len(train),
            "test": len(test),
            "train_classes": classes,
            "test_classes": _class_counts(test),
            "groups": joined.groups,
            "unlabelled": len(joined.unlabelled),
            "errors": len(joined.errors),
        },
        "evaluated_on": "held-out" if test else "training",
        "before": _scores(evaluated, None, n_bins),
        "after": _scores(evaluated, rescore([it.record for it in evaluated], fitted), n_bins),
        "train_before": _scores(train, None, n_bins),
        "train_after": _scores(train, rescore([it.record for it in train], fitted), n_bins),
    }
    report = plain(report)
    data["calibrated"] = {k: v for k, v in report.items() if k not in ("train_before", "train_after")}
    for side in ("before", "after"):
        data["calibrated"][side] = {k: v for k, v in report[side].items() if k != "reliability"}
    return Calibration(profile=data, report=report)


MODES = ("keep", "recalibrate", "refit")
"""What :func:`calibrate` may write: the source profile unchanged, the source profile with a
new calibration map, or new cue likelihood ratios and a new map."""


@dataclass(frozen=True)
class FitSettings:
    """How :func:`_fit` fits (see :func:`calibrate`)."""

    method: str = "platt"
    cue_method: str = "pav"
    pseudo_count: float = 1.0
    bandwidth: float = 0.1
    dependence_ridge: float = 10.0
    map_ridge: float = 1.0


def _fit(train: Sequence[LabelledRecord], source: Mapping[str, Any], s: FitSettings, mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A profile (JSON data) fitted on ``train`` from the source profile's data, and what was fitted."""
    data = copy.deepcopy(dict(source))
    data.pop("calibrated", None)
    if mode == "keep":
        if s.method == "none":  # no map, whatever else is kept
            data.pop("calibration", None)
        return data, {}
    data.pop("calibration", None)
    y = np.array([it.label.toofan for it in train], dtype=np.float64)
    w = np.array([it.weight for it in train])
    details: dict[str, Any] = {}
    if mode == "refit":
        fits: dict[str, Any] = {}
        cue_knots: dict[str, list[list[float]]] = {}
        for cue in data["cues"]:
            mask = np.array([it.record["cues"][cue]["state"] != "not_assessable" for it in train])
            scores = np.array([float(it.record["cues"][cue]["score"]) for it in train])
            cue_knots[cue] = (
                fit_cue_log10_lr(scores[mask], y[mask], w[mask], method=s.cue_method, pseudo_count=s.pseudo_count, bandwidth=s.bandwidth)
                if mask.any()
                else [[0.0, 0.0], [1.0, 0.0]]
            )
            fits[cue] = {"assessable": int(mask.sum()), "positives": int(y[mask].sum()), "negatives": int((1 - y[mask]).sum())}
        # Dependence between cues: one weight per cue on its log-LR, from a logistic regression
        # whose intercept is fixed at the training base rate (so the weighted sum stays a
        # log-LR), pulled towards 1 ("independent") by the ridge.
        features = np.array([[_log10_lr(knots, it.record["cues"][cue]) for cue, knots in cue_knots.items()] for it in train])
        base = float(np.sum(w * y) / np.sum(w))
        beta, _ = fit_logistic(features * _LN10, y, w, ridge=s.dependence_ridge, offset=math.log(base / (1 - base)))
        weights = {cue: float(np.clip(b, 0.0, 2.0)) for cue, b in zip(cue_knots, beta)}
        for cue, knots in cue_knots.items():
            data["cues"][cue]["log10_lr"] = [[x, round(v * weights[cue], 6)] for x, v in knots]
            data["cues"][cue]["notes"] = (
                f"fitted by vision calibrate ({s.cue_method}) from {fits[cue]['assessable']} assessable training photos "
                f"({fits[cue]['positives']} positive), x {weights[cue]:.3f} for its dependence on the other cues"
            )
        details.update(cues=fits, lr_weights=weights)
    confidence = np.array([i.confidence for i in rescore([it.record for it in train], Profile.from_dict(data, source="<fit>"))])
    if s.method == "none":
        return data, details
    if s.method == "platt":
        logit10 = np.log10(np.clip(confidence, 1e-12, 1 - 1e-12) / np.clip(1 - confidence, 1e-12, 1))
        (a,), b = fit_logistic(logit10 * _LN10, y, w, ridge=s.map_ridge)
        data["calibration"] = [[round(c, 9), round(v, 6)] for c, v in _platt_map(a, b)]
        details["map_parameters"] = {"slope": a, "intercept": b}
    else:
        data["calibration"] = [[round(c, 9), round(v, 6)] for c, v in _isotonic_map(confidence, y, w, s.pseudo_count)]
    return data, details


def _cross_validated_loss(train: Sequence[LabelledRecord], source: Mapping[str, Any], s: FitSettings, mode: str, seed: int, folds: int = 5) -> float:
    """Weighted log-loss of ``mode``'s out-of-fold confidences on the training photos (whole groups per fold)."""
    groups = sorted({it.group for it in train})
    rng = np.random.default_rng(seed + 1)
    fold_of = {g: k % folds for k, g in enumerate(rng.permutation(groups))}
    loss = weight = 0.0
    for k in range(folds):
        inside = [it for it in train if fold_of[it.group] != k]
        held = [it for it in train if fold_of[it.group] == k]
        if not held:
            continue
        data, _ = _fit(inside, source, s, mode)
        p = np.clip([i.confidence for i in rescore([it.record for it in held], Profile.from_dict(data, source="<cv>"))], 1e-6, 1 - 1e-6)
        y = np.array([it.label.toofan for it in held])
        w = np.array([it.weight for it in held])
        loss += float(-np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))))
        weight += float(np.sum(w))
    return loss / weight


def _log10_lr(knots: list[list[float]], cue: Mapping[str, Any]) -> float:
    """A cue's log-LR under ``knots`` as :func:`vision.evidence.combine` computes it (0 when not assessable)."""
    if cue["state"] == "not_assessable":
        return 0.0
    xs, ys = zip(*knots)
    return float(np.interp(float(cue["score"]), xs, ys))


def _class_counts(items: Sequence[LabelledRecord]) -> dict[str, int]:
    by_group: dict[int, list[int]] = {}
    for it in items:
        by_group.setdefault(it.group, []).append(it.label.toofan)
    pos = sum(1 for v in by_group.values() if 2 * sum(v) >= len(v))
    return {"positive": pos, "negative": len(by_group) - pos}
