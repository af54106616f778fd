"""Evaluation of scan results against labels: identification, per-cue and calibration metrics.

Three layers, each usable on its own:

1. **Metrics** on plain arrays, in numpy (``vision`` does not need scikit-learn at run
   time; the tests check these against it): :func:`roc_curve`, :func:`roc_auc`,
   :func:`precision_recall_curve`, :func:`average_precision`,
   :func:`precision_recall_f1`, :func:`brier_score`, :func:`reliability`,
   :func:`expected_calibration_error`, :func:`cllr`, :func:`box_iou`. Every metric takes
   optional ``sample_weight``.
2. **Joining** results to labels (:func:`join`): records are matched to labels by file
   name (:meth:`vision.labels.LabelSet.match`), and near-duplicates (the same photo
   reposted: equal bytes, or a perceptual hash within ``max_hash_distance`` bits) are
   grouped; each photo of a group of ``k`` gets weight ``1/k`` so that a group counts once.
3. **Evaluation** (:func:`evaluate`): every number in one JSON-ready dict
   (``metrics.json``), with plots drawn from that dict (:func:`figures`).

Conventions: ``y_true`` is 0/1 (1 = the profile's hypothesis, e.g. Toofan); scores and
probabilities are floats where larger means more likely positive; ``log10_lr`` is the
base-10 log-likelihood ratio.
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .cues.base import plain
from .dedupe import hamming, perceptual_hash
from .evidence import Profile, load_profile
from .io import ImageLoadError, load_image
from .labels import Label, LabelSet
from .report import read_results

__all__ = [
    "DEFAULT_MAX_HASH_DISTANCE",
    "Evaluation",
    "LabelledRecord",
    "LabelledResults",
    "ReliabilityTable",
    "agg_figure",
    "average_precision",
    "box_iou",
    "brier_score",
    "cllr",
    "evaluate",
    "expected_calibration_error",
    "figure_base64",
    "figures",
    "group_near_duplicates",
    "hamming",
    "join",
    "perceptual_hash",
    "precision_recall_curve",
    "precision_recall_f1",
    "records_profile",
    "reliability",
    "reliability_figure",
    "roc_auc",
    "roc_curve",
]

#: Perceptual hashes (256 bits) at most this many bits apart are the same photo.
DEFAULT_MAX_HASH_DISTANCE = 40

METRICS_SCHEMA_VERSION = "1"


# ----------------------------------------------------------------------------------------
# Metrics on arrays
# ----------------------------------------------------------------------------------------
def _inputs(y_true, values, sample_weight, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y_true)
    v = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or v.shape != y.shape:
        raise ValueError(f"y_true and {name}: expected two 1-D arrays of one length, got shapes {y.shape} and {v.shape}")
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError(f"y_true: expected 0/1 values, got {sorted(set(np.unique(y).tolist()) - {0, 1})[:5]}")
    if not np.isfinite(v).all():
        raise ValueError(f"{name}: expected finite values")
    w = np.ones_like(v) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w.shape != y.shape or (w < 0).any() or not np.isfinite(w).all():
        raise ValueError(f"sample_weight: expected {y.shape[0]} finite weights >= 0, got shape {w.shape}")
    return y.astype(np.float64), v, w


def _cumulative_counts(y_true, y_score, sample_weight) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted true and false positives at each distinct score, highest score first."""
    y, s, w = _inputs(y_true, y_score, sample_weight, "y_score")
    order = np.argsort(-s, kind="mergesort")
    y, s, w = y[order], s[order], w[order]
    last = np.r_[np.flatnonzero(np.diff(s)), y.size - 1] if y.size else np.array([], dtype=int)
    tps = np.cumsum(y * w)[last]
    fps = np.cumsum((1.0 - y) * w)[last]
    return fps, tps, s[last]


def roc_curve(y_true, y_score, sample_weight=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic at every distinct score.

    Parameters
    ----------
    y_true : (N,) array of 0/1
    y_score : (N,) float array
    sample_weight : (N,) float array, optional

    Returns
    -------
    fpr, tpr : (M + 1,) float arrays
        Start at (0, 0); a photo is called positive when its score is ``>= thresholds[i]``.
    thresholds : (M + 1,) float array
        Decreasing; the first is ``inf``.

    Examples
    --------
    >>> fpr, tpr, _ = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    fps, tps, thresholds = _cumulative_counts(y_true, y_score, sample_weight)
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    fpr = fps / fps[-1] if fps[-1] > 0 else np.full_like(fps, np.nan)
    tpr = tps / tps[-1] if tps[-1] > 0 else np.full_like(tps, np.nan)
    return fpr, tpr, np.r_[np.inf, thresholds]


def roc_auc(y_true, y_score, sample_weight=None) -> float:
    """Area under the ROC curve (ties count one half); NaN unless both classes are present.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    fpr, tpr, _ = roc_curve(y_true, y_score, sample_weight)
    if np.isnan(fpr).any() or np.isnan(tpr).any():
        return math.nan
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def precision_recall_curve(y_true, y_score, sample_weight=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall at every distinct score (scikit-learn's convention).

    Returns
    -------
    precision, recall : (M + 1,) float arrays
        By increasing threshold; the last point is (precision 1, recall 0).
    thresholds : (M,) float array
        Increasing.
    """
    fps, tps, thresholds = _cumulative_counts(y_true, y_score, sample_weight)
    if tps.size == 0 or tps[-1] <= 0:
        raise ValueError("precision_recall_curve: y_true has no positive example")
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tps + fps > 0, tps / (tps + fps), 0.0)
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]


def average_precision(y_true, y_score, sample_weight=None) -> float:
    """Area under the precision-recall curve as a step function: ``sum (R_n - R_n-1) P_n``."""
    precision, recall, _ = precision_recall_curve(y_true, y_score, sample_weight)
    return float(-np.sum(np.diff(recall) * precision[:-1]))


def precision_recall_f1(y_true, y_pred, sample_weight=None) -> tuple[float, float, float]:
    """Precision, recall and F1 of 0/1 decisions (0 where undefined, as scikit-learn's default).

    Examples
    --------
    >>> precision_recall_f1([1, 1, 0, 0], [1, 0, 1, 0])
    (0.5, 0.5, 0.5)
    """
    y, p, w = _inputs(y_true, y_pred, sample_weight, "y_pred")
    if p.size and not np.isin(p, (0, 1)).all():
        raise ValueError("y_pred: expected 0/1 decisions")
    tp = float(np.sum(w * y * p))
    fp = float(np.sum(w * (1 - y) * p))
    fn = float(np.sum(w * y * (1 - p)))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn > 0 else 0.0
    return precision, recall, f1


def brier_score(y_true, y_prob, sample_weight=None) -> float:
    """Mean squared difference between the probability and the 0/1 outcome."""
    y, p, w = _inputs(y_true, y_prob, sample_weight, "y_prob")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("y_prob: expected probabilities in [0, 1]")
    return float(np.sum(w * (y - p) ** 2) / np.sum(w))


@dataclass(frozen=True)
class ReliabilityTable:
    """Probabilities binned on ``[0, 1]`` in equal-width bins (the reliability diagram).

    Bin ``i`` holds ``edges[i] < p <= edges[i + 1]`` (the first bin includes 0), as
    scikit-learn's ``calibration_curve``. Empty bins have NaN means.
    """

    edges: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    mean_probability: np.ndarray
    fraction_positive: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error: bin-weighted mean of ``|fraction_positive - mean_probability|``."""
        used = self.weight > 0
        gaps = np.abs(self.fraction_positive[used] - self.mean_probability[used])
        return float(np.sum(self.weight[used] * gaps) / np.sum(self.weight[used]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "bins": [
                {
                    "lower": float(self.edges[i]),
                    "upper": float(self.edges[i + 1]),
                    "count": int(self.count[i]),
                    "weight": float(self.weight[i]),
                    "mean_probability": None if self.weight[i] == 0 else float(self.mean_probability[i]),
                    "fraction_positive": None if self.weight[i] == 0 else float(self.fraction_positive[i]),
                }
                for i in range(len(self.count))
            ]
        }


def reliability(y_true, y_prob, n_bins: int = 10, sample_weight=None) -> ReliabilityTable:
    """Bin probabilities and compare each bin's mean probability with its positive fraction."""
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins: expected an int >= 1, got {n_bins!r}")
    y, p, w = _inputs(y_true, y_prob, sample_weight, "y_prob")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("y_prob: expected probabilities in [0, 1]")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    count = np.bincount(ids, minlength=n_bins)
    weight = np.bincount(ids, weights=w, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(ids, weights=w * p, minlength=n_bins) / weight
        frac = np.bincount(ids, weights=w * y, minlength=n_bins) / weight
    return ReliabilityTable(edges, count, weight, mean_p, frac)


def expected_calibration_error(y_true, y_prob, n_bins: int = 10, sample_weight=None) -> float:
    """Expected calibration error over ``n_bins`` equal-width bins (see :class:`ReliabilityTable`).

    Examples
    --------
    >>> round(expected_calibration_error([0, 1, 1, 1], [0.2, 0.8, 0.8, 0.8], n_bins=5), 3)
    0.2
    """
    return reliability(y_true, y_prob, n_bins, sample_weight).ece


def cllr(y_true, log10_lr, sample_weight=None) -> float:
    """Log-likelihood-ratio cost (Brümmer and du Preez), in bits.

    ``0.5 * (mean over H1 of log2(1 + 1/LR) + mean over H2 of log2(1 + LR))``: 0 for
    perfect, 1 for an LR that is always 1, above 1 for misleading LRs.

    Examples
    --------
    >>> cllr([1, 0], [0.0, 0.0])
    1.0
    """
    y, lr, w = _inputs(y_true, log10_lr, sample_weight, "log10_lr")
    pos, neg = y == 1, y == 0
    if not pos.any() or not neg.any():
        return math.nan
    ln10, ln2 = math.log(10.0), math.log(2.0)
    cost_pos = np.sum(w[pos] * np.logaddexp(0.0, -lr[pos] * ln10)) / np.sum(w[pos]) / ln2
    cost_neg = np.sum(w[neg] * np.logaddexp(0.0, lr[neg] * ln10)) / np.sum(w[neg]) / ln2
    return float(0.5 * (cost_pos + cost_neg))


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``[x, y, w, h]`` boxes.

    Examples
    --------
    >>> box_iou([0, 0, 10, 10], [5, 0, 10, 10])
    0.3333333333333333
    """
    ax, ay, aw, ah = (float(v) for v in a)
    bx, by, bw, bh = (float(v) for v in b)
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


# ----------------------------------------------------------------------------------------
# Near-duplicates
# ----------------------------------------------------------------------------------------
def group_near_duplicates(
    hashes: Sequence[str | None], digests: Sequence[str | None] | None = None, *, max_distance: int = DEFAULT_MAX_HASH_DISTANCE
) -> list[int]:
    """Group photos that are the same picture: equal digests, or hashes within ``max_distance`` bits.

    Parameters
    ----------
    hashes : sequence of str or None
        Perceptual hashes of one length (None: unknown; the photo is grouped by digest only).
    digests : sequence of str or None, optional
        Content digests (sha256); equal digests are always one group.
    max_distance : int
        Largest Hamming distance between two hashes of one group (single linkage).

    Returns
    -------
    list of int
        Group id of each photo, numbered 0, 1, ... in order of first appearance.

    Examples
    --------
    >>> group_near_duplicates(["0f", "0e", "f0"], max_distance=2)
    [0, 0, 1]
    """
    n = len(hashes)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    if digests is not None:
        if len(digests) != n:
            raise ValueError(f"digests: expected {n} values (one per hash), got {len(digests)}")
        first: dict[str, int] = {}
        for i, d in enumerate(digests):
            if d:
                union(i, first.setdefault(d, i))
    known = [i for i, h in enumerate(hashes) if h is not None]
    if known:
        lengths = {len(hashes[i]) for i in known}
        if len(lengths) != 1:
            raise ValueError(f"hashes: expected one length, got lengths {sorted(lengths)}")
        bits = np.unpackbits(np.array([np.frombuffer(bytes.fromhex(hashes[i]), np.uint8) for i in known]), axis=1).astype(bool)
        for k, i in enumerate(known[:-1]):
            distance = np.count_nonzero(bits[k + 1 :] != bits[k], axis=1)
            for off in np.flatnonzero(distance <= max_distance):
                union(i, known[k + 1 + int(off)])
    ids: dict[int, int] = {}
    return [ids.setdefault(find(i), len(ids)) for i in range(n)]


# ----------------------------------------------------------------------------------------
# Joining results to labels
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelledRecord:
    """One analysed photo with its label, duplicate group and weight (``1 / group size``)."""

    record: Mapping[str, Any]
    label: Label
    group: int
    weight: float

    @property
    def image(self) -> str:
        return str(self.record["image"])

    @property
    def confidence(self) -> float:
        return float(self.record["identification"]["confidence"])

    @property
    def log10_lr(self) -> float:
        return float(self.record["identification"]["log_lr"])


@dataclass(frozen=True)
class LabelledResults:
    """Results joined to labels (see :func:`join`)."""

    items: tuple[LabelledRecord, ...]
    unlabelled: tuple[str, ...]
    errors: tuple[str, ...]
    groups: int
    unhashed: tuple[str, ...]
    max_hash_distance: int | None
    cue_names: tuple[str, ...]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(y_true, confidence, weight)`` of the items."""
        y = np.array([it.label.toofan for it in self.items], dtype=np.int64)
        p = np.array([it.confidence for it in self.items], dtype=np.float64)
        w = np.array([it.weight for it in self.items], dtype=np.float64)
        return y, p, w

    def class_counts(self) -> dict[str, int]:
        """Photos per class, a group of near-duplicates counted once (by its majority label)."""
        by_group: dict[int, list[int]] = {}
        for it in self.items:
            by_group.setdefault(it.group, []).append(it.label.toofan)
        pos = sum(1 for labels in by_group.values() if 2 * sum(labels) >= len(labels))
        return {"positive": pos, "negative": len(by_group) - pos}


@functools.lru_cache(maxsize=4096)
def _file_hash(path: str, mtime_ns: int, size: int) -> str | None:
    """Perceptual hash of an image file (cached by path, modification time and size); None if unreadable."""
    try:
        return perceptual_hash(load_image(path).rgb)
    except ImageLoadError:
        return None


def _resolve(image: str, image_root: Path | None) -> Path | None:
    path = Path(image)
    if path.is_file():
        return path
    if image_root is not None and (image_root / image).is_file():
        return image_root / image
    return None


def join(
    records: Iterable[Mapping[str, Any]],
    labels: LabelSet,
    *,
    dedupe: bool = True,
    max_hash_distance: int = DEFAULT_MAX_HASH_DISTANCE,
    image_root: str | Path | None = None,
) -> LabelledResults:
    """Match records to labels and group near-duplicate photos.

    Parameters
    ----------
    records : iterable of dict
        ``results.jsonl`` records (see :func:`vision.report.read_results`).
    labels : LabelSet
    dedupe : bool
        Group near-duplicates (equal sha256, or perceptual hashes within
        ``max_hash_distance`` bits); otherwise every photo is its own group.
    max_hash_distance : int
    image_root : path, optional
        Where to look for a record's image when its path does not exist as written
        (the photos are read again to hash them).

    Returns
    -------
    LabelledResults
        Photos that could not be read for hashing are listed in ``unhashed`` (grouped by
        their sha256 only), with a warning.
    """
    if not isinstance(labels, LabelSet):
        raise TypeError(f"labels: expected a LabelSet (see vision.labels.load_labels), got {type(labels).__name__}")
    root = None if image_root is None else Path(image_root)
    matched: list[tuple[Mapping[str, Any], Label]] = []
    unlabelled, errors = [], []
    cue_names: dict[str, None] = {}
    for record in records:
        if record.get("status") != "ok":
            errors.append(str(record.get("image")))
            continue
        label = labels.match(str(record["image"]))
        if label is None:
            unlabelled.append(str(record["image"]))
            continue
        matched.append((record, label))
        cue_names.update(dict.fromkeys(record.get("cues") or {}))
    hashes: list[str | None] = []
    unhashed = []
    if dedupe:
        for record, _ in matched:
            path = _resolve(str(record["image"]), root)
            hashes.append(None if path is None else _file_hash(str(path.resolve()), path.stat().st_mtime_ns, path.stat().st_size))
            if hashes[-1] is None:
                unhashed.append(str(record["image"]))
        if unhashed:
            warnings.warn(
                f"{len(unhashed)} photo(s) could not be read again for near-duplicate hashing (e.g. {unhashed[0]}); "
                "they are grouped by identical content only. Pass image_root (--images) if the paths are relative to another folder.",
                stacklevel=2,
            )
        groups = group_near_duplicates(hashes, [r.get("sha256") for r, _ in matched], max_distance=max_hash_distance)
    else:
        groups = list(range(len(matched)))
    sizes = np.bincount(groups) if groups else np.zeros(0, int)
    items = tuple(LabelledRecord(r, l, g, 1.0 / float(sizes[g])) for (r, l), g in zip(matched, groups))
    return LabelledResults(
        items=items,
        unlabelled=tuple(unlabelled),
        errors=tuple(errors),
        groups=int(len(sizes)),
        unhashed=tuple(unhashed),
        max_hash_distance=max_hash_distance if dedupe else None,
        cue_names=tuple(cue_names),
    )


# ----------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------
def records_profile(records: Iterable[Mapping[str, Any]]) -> Profile | None:
    """The profile the records were scanned with, loaded again (None, with a warning, when it cannot be).

    Warns when the profile has changed since the scan (its SHA-256 differs).
    """
    ok = [r for r in records if r.get("status") == "ok"]
    sources = {(r.get("profile") or {}).get("source") for r in ok}
    sources.discard(None)
    if len(sources) != 1:
        if sources:
            warnings.warn(f"the records were scanned with {len(sources)} different profiles: {sorted(sources)}", stacklevel=2)
        return None
    source = sources.pop()
    name = source[len("vision:") :] if source.startswith("vision:") else source
    try:
        profile = load_profile(name)
    except ValueError as exc:
        warnings.warn(f"cannot load the scan's profile {source!r} ({exc})", stacklevel=2)
        return None
    digests = {(r.get("profile") or {}).get("sha256") for r in ok} - {None}
    if digests and digests != {profile.sha256}:
        warnings.warn(f"profile {source!r} has changed since the scan: its threshold and settings may not be the scan's", stacklevel=2)
    return profile


def _binary_metrics(y: np.ndarray, score: np.ndarray, pred: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    precision, recall, f1 = precision_recall_f1(y, pred, w)
    both = 0 < y.sum() < y.size
    return {
        "labelled": int(y.size),
        "positives": int(y.sum()),
        "weighted_positives": float(np.sum(w * y)),
        "weighted_negatives": float(np.sum(w * (1 - y))),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "roc_auc": roc_auc(y, score, w) if both else None,
        "confusion": {
            "tp": float(np.sum(w * y * pred)),
            "fp": float(np.sum(w * (1 - y) * pred)),
            "fn": float(np.sum(w * y * (1 - pred))),
            "tn": float(np.sum(w * (1 - y) * (1 - pred))),
        },
    }


def _identification_metrics(joined: LabelledResults, threshold: float, n_bins: int) -> dict[str, Any]:
    y, p, w = joined.arrays()
    pred = (p >= threshold).astype(np.int64)
    out = _binary_metrics(y, p, pred, w)
    out["threshold"] = threshold
    out["accuracy"] = float(np.sum(w * (pred == y)) / np.sum(w))
    out["brier"] = brier_score(y, p, w)
    table = reliability(y, p, n_bins, w)
    out["ece"] = table.ece
    out["reliability"] = table.to_dict()
    lr = np.array([it.log10_lr for it in joined.items])
    out["cllr"] = cllr(y, lr, w)
    if 0 < y.sum() < y.size:
        out["average_precision"] = average_precision(y, p, w)
        fpr, tpr, thr = roc_curve(y, p, w)
        out["roc_curve"] = {"fpr": fpr, "tpr": tpr, "thresholds": thr}
        prec, rec, thr = precision_recall_curve(y, p, w)
        out["pr_curve"] = {"precision": prec, "recall": rec, "thresholds": thr}
    else:
        warnings.warn("only one class among the labelled photos: no ROC or precision-recall curve", stacklevel=3)
        out["average_precision"] = None
    return out


def _cue_metrics(joined: LabelledResults, cue: str) -> dict[str, Any]:
    items = [it for it in joined.items if cue in it.label.cues and cue in (it.record.get("cues") or {})]
    out: dict[str, Any] = {"labelled": len(items)}
    if items:
        results = [it.record["cues"][cue] for it in items]
        y = np.array([it.label.cues[cue] for it in items])
        score = np.array([float(r["score"]) for r in results])
        pred = np.array([int(r["state"] == "present") for r in results])
        w = np.array([it.weight for it in items])
        out = _binary_metrics(y, score, pred, w)
        out["not_assessable"] = sum(1 for r in results if r["state"] == "not_assessable")
        if any("text" in r for r in results):  # a reading cue: how often the text read is the labelled one
            read = [(r.get("text"), it.label.serial) for r, it in zip(results, items) if r["state"] == "present" and it.label.serial]
            correct = sum(1 for got, want in read if got == want)
            out["text"] = {"read": len(read), "correct": correct, "accuracy": correct / len(read) if read else None}
    out["regions"] = _region_metrics(joined, cue)
    return out


def _region_metrics(joined: LabelledResults, cue: str, min_iou: float = 0.5) -> dict[str, Any]:
    """How well a cue's reported regions (whatever its state) overlap the labelled boxes."""
    best, best_w, matched_regions, regions_w = [], [], 0.0, 0.0
    photos = 0
    for it in joined.items:
        boxes = it.label.boxes
        if boxes is None or cue not in boxes or cue not in (it.record.get("cues") or {}):
            continue
        photos += 1
        regions = [r["bbox"] for r in it.record["cues"][cue].get("regions") or ()]
        for box in boxes[cue]:
            best.append(max((box_iou(box, r) for r in regions), default=0.0))
            best_w.append(it.weight)
        for r in regions:
            regions_w += it.weight
            if any(box_iou(box, r) >= min_iou for box in boxes[cue]):
                matched_regions += it.weight
    if not photos:
        return {"photos": 0}
    b, bw = np.array(best), np.array(best_w)
    return {
        "photos": photos,
        "labelled_boxes": len(best),
        "mean_best_iou": float(np.sum(b * bw) / np.sum(bw)) if len(b) else None,
        "min_iou": min_iou,
        "recall_at_iou": float(np.sum(bw * (b >= min_iou)) / np.sum(bw)) if len(b) else None,
        "precision_at_iou": float(matched_regions / regions_w) if regions_w else None,
    }


def _band_count_confusion(joined: LabelledResults, cue: str = "yellow_bands", top: int = 3) -> dict[str, Any] | None:
    matrix = np.zeros((top + 1, top + 1))
    n = 0
    for it in joined.items:
        result = (it.record.get("cues") or {}).get(cue)
        if it.label.band_count is None or result is None or result.get("count") is None:
            continue
        matrix[min(it.label.band_count, top), min(int(result["count"]), top)] += it.weight
        n += 1
    if not n:
        return None
    return {
        "counts": list(range(top + 1)),
        "rows": f"labelled bands in a row ({top} means {top} or more)",
        "columns": f"{cue} count reported by the detector",
        "photos": n,
        "matrix": matrix,
        "exact_agreement": float(np.trace(matrix) / matrix.sum()),
    }


def evaluate(
    records: Sequence[Mapping[str, Any]] | str | Path,
    labels: LabelSet,
    *,
    threshold: float | None = None,
    n_bins: int = 10,
    dedupe: bool = True,
    max_hash_distance: int = DEFAULT_MAX_HASH_DISTANCE,
    image_root: str | Path | None = None,
) -> "Evaluation":
    """Evaluate scan results against labels.

    Parameters
    ----------
    records : sequence of dict, or path
        ``results.jsonl`` records, or the scan's output folder / results file.
    labels : LabelSet
        See :func:`vision.labels.load_labels`.
    threshold : float, optional
        Decision threshold on the confidence; default: the scan profile's threshold
        (0.5 when the profile cannot be loaded).
    n_bins : int
        Bins of the reliability diagram and the expected calibration error.
    dedupe, max_hash_distance, image_root
        Near-duplicate grouping (see :func:`join`).

    Returns
    -------
    Evaluation

    Raises
    ------
    ValueError
        No record matches a label.
    """
    if isinstance(records, (str, Path)):
        records = read_results(records)
    records = list(records)
    profile = records_profile(records)
    if threshold is None:
        threshold = profile.threshold if profile is not None else 0.5
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold: expected a value in (0, 1), got {threshold!r}")
    joined = join(records, labels, dedupe=dedupe, max_hash_distance=max_hash_distance, image_root=image_root)
    if not joined.items:
        raise ValueError(
            f"no result matches a label in {labels.source} ({len(records)} records, {len(labels)} labels): "
            "results are matched by file name"
        )
    group_sizes = np.bincount([it.group for it in joined.items])
    metrics = {
        "schema_version": METRICS_SCHEMA_VERSION,
        "labels": {"source": labels.source, "format": labels.format, "count": len(labels)},
        "profile": None if profile is None else {"name": profile.name, "source": profile.source, "threshold": profile.threshold},
        "counts": {
            "records": len(records),
            "errors": len(joined.errors),
            "unlabelled": len(joined.unlabelled),
            "evaluated": len(joined.items),
            "positives": int(sum(it.label.toofan for it in joined.items)),
            "negatives": int(sum(1 - it.label.toofan for it in joined.items)),
        },
        "duplicates": {
            "grouped": dedupe,
            "max_hash_distance": joined.max_hash_distance,
            "groups": joined.groups,
            "groups_with_several_photos": int(np.sum(group_sizes > 1)),
            "photos_in_such_groups": int(np.sum(group_sizes[group_sizes > 1])),
            "unhashed": len(joined.unhashed),
            "members": [
                [it.image for it in joined.items if it.group == g] for g in np.flatnonzero(group_sizes > 1).tolist()
            ],
        },
        "unlabelled_images": list(joined.unlabelled),
        "identification": _identification_metrics(joined, float(threshold), n_bins),
        "cues": {cue: _cue_metrics(joined, cue) for cue in joined.cue_names},
        "band_count_confusion": _band_count_confusion(joined),
    }
    return Evaluation(plain(metrics), joined)


@dataclass(frozen=True)
class Evaluation:
    """The result of :func:`evaluate`: ``metrics`` (JSON-ready) and the joined data."""

    metrics: Mapping[str, Any]
    joined: LabelledResults = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.metrics))

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``metrics.json``, ``per_image.csv`` and one PNG per plot into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = {"metrics": out / "metrics.json", "per_image": out / "per_image.csv"}
        figs = figures(self.metrics)
        data = self.to_dict()
        data["plots"] = {name: f"{name}.png" for name in figs}
        written["metrics"].write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        with written["per_image"].open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["image", "label_image", "toofan", "confidence", "log10_lr", "group", "weight"])
            for it in self.joined.items:
                writer.writerow([it.image, it.label.image, it.label.toofan, f"{it.confidence:.6f}", f"{it.log10_lr:.6f}", it.group, f"{it.weight:.6g}"])
        for name, fig in figs.items():
            written[name] = out / f"{name}.png"
            fig.savefig(written[name], dpi=100)
        return written

    def summary(self) -> str:
        """A few lines for a terminal."""
        m = self.metrics
        ident, counts, dup = m["identification"], m["counts"], m["duplicates"]

        def f(x: Any) -> str:
            return "n/a" if x is None else f"{x:.3f}"

        lines = [
            f"{counts['evaluated']} labelled photo(s) ({counts['positives']} positive, {counts['negatives']} negative) in "
            f"{dup['groups']} near-duplicate group(s); {counts['unlabelled']} unlabelled, {counts['errors']} error record(s)",
            f"identification: ROC AUC {f(ident['roc_auc'])}, precision {f(ident['precision'])}, recall {f(ident['recall'])}, "
            f"F1 {f(ident['f1'])} at threshold {ident['threshold']}; ECE {f(ident['ece'])}, Brier {f(ident['brier'])}, "
            f"Cllr {f(ident['cllr'])}",
        ]
        for cue, c in m["cues"].items():
            if c.get("labelled"):
                iou = c["regions"].get("mean_best_iou")
                lines.append(f"{cue}: precision {f(c['precision'])}, recall {f(c['recall'])}, mean region IoU {f(iou)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        from html import escape

        figs = figures(self.metrics)
        images = "".join(
            f'<img style="max-width:32%;display:inline-block" src="data:image/png;base64,{figure_base64(figs[k])}"/>'
            for k in ("roc", "reliability", "precision_recall")
            if k in figs
        )
        return f"<pre>{escape(self.summary())}</pre>{images}"


# ----------------------------------------------------------------------------------------
# Plots (matplotlib's object API: no pyplot state, the Agg canvas)
# ----------------------------------------------------------------------------------------
def agg_figure(width: float = 5.0, height: float = 4.0):
    """A matplotlib Figure on an Agg canvas (no pyplot, no global state), in inches."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_base64(fig) -> str:
    """A figure as a base64 PNG (for inline HTML)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def figures(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """matplotlib figures drawn from a metrics dict (:attr:`Evaluation.metrics` or ``metrics.json``).

    Returns
    -------
    dict of name to matplotlib.figure.Figure
        ``roc``, ``precision_recall``, ``reliability``, ``band_count_confusion`` and
        ``cues``, for what the metrics hold.
    """
    ident = metrics["identification"]
    out = {}
    if ident.get("roc_curve"):
        fig = agg_figure()
        ax = fig.subplots()
        ax.plot(ident["roc_curve"]["fpr"], ident["roc_curve"]["tpr"], drawstyle="default", marker=".")
        ax.plot([0, 1], [0, 1], color="0.7", linestyle="--", linewidth=1)
        ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02),
               title=f"ROC, AUC = {ident['roc_auc']:.3f}")
        out["roc"] = fig
    if ident.get("pr_curve"):
        fig = agg_figure()
        ax = fig.subplots()
        ax.plot(ident["pr_curve"]["recall"], ident["pr_curve"]["precision"], drawstyle="steps-post", marker=".")
        ax.set(xlabel="recall", ylabel="precision", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02),
               title=f"precision-recall, AP = {ident['average_precision']:.3f}")
        out["precision_recall"] = fig
    out["reliability"] = reliability_figure(ident["reliability"], title=f"reliability, ECE = {ident['ece']:.3f}")
    bands = metrics.get("band_count_confusion")
    if bands:
        fig = agg_figure(4.5, 4.0)
        ax = fig.subplots()
        matrix = np.asarray(bands["matrix"], dtype=float)
        ax.imshow(matrix, cmap="Blues")
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, f"{v:g}", ha="center", va="center", color="black" if v < matrix.max() / 2 else "white")
        ticks = bands["counts"]
        ax.set(xticks=range(len(ticks)), yticks=range(len(ticks)), xticklabels=ticks, yticklabels=ticks,
               xlabel="detected bands in a row", ylabel="labelled bands in a row", title="yellow band count")
        out["band_count_confusion"] = fig
    cues = {k: v for k, v in metrics["cues"].items() if v.get("labelled")}
    if cues:
        fig = agg_figure(2.2 + 2.0 * len(cues), 3.4)
        axes = np.atleast_1d(fig.subplots(1, len(cues)))
        for ax, (name, c) in zip(axes, cues.items()):
            values = [c["precision"], c["recall"], c["f1"], c.get("roc_auc") or 0.0]
            ax.bar(["precision", "recall", "F1", "AUC"], values, color=["C0", "C1", "C2", "C3"])
            ax.set(ylim=(0, 1.05), title=name)
            ax.tick_params(axis="x", labelrotation=45)
        out["cues"] = fig
    return out


def reliability_figure(table: Mapping[str, Any], *, title: str = "reliability", other: Mapping[str, Any] | None = None, labels=("observed", "other")):
    """Reliability diagram (and the share of photos per bin below) of a ``ReliabilityTable.to_dict()``.

    ``other`` overlays a second table (e.g. after calibration).
    """
    fig = agg_figure(5.0, 5.0)
    ax, hist = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    ax.plot([0, 1], [0, 1], color="0.7", linestyle="--", linewidth=1, label="perfectly calibrated")
    for k, (tab, name) in enumerate(((table, labels[0]), (other, labels[1]))):
        if tab is None:
            continue
        used = [b for b in tab["bins"] if b["weight"]]
        ax.plot([b["mean_probability"] for b in used], [b["fraction_positive"] for b in used], marker="o", color=f"C{k}", label=name)
        centres = [(b["lower"] + b["upper"]) / 2 for b in tab["bins"]]
        width = (tab["bins"][0]["upper"] - tab["bins"][0]["lower"]) / (2 if other is not None else 1)
        hist.bar(np.array(centres) + (k - 0.5) * width * (other is not None), [b["weight"] for b in tab["bins"]],
                 width=width * 0.9, color=f"C{k}")
    ax.set(ylabel="fraction positive", xlim=(0, 1), ylim=(-0.02, 1.02), title=title)
    ax.legend(loc="upper left", fontsize="small")
    hist.set(xlabel="confidence", ylabel="photos")
    return fig
