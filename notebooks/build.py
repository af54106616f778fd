"""Build the researcher notebooks from the cells below, execute them and save them with their outputs.

    .venv/bin/python notebooks/build.py            # all three
    .venv/bin/python notebooks/build.py 02         # those whose name contains "02"

The notebooks call only the public API (``vision.*``) and run offline on ``samples/``.
They are executed by a ``python3`` kernel that is this interpreter (a kernelspec written to
a temporary ``JUPYTER_PATH``), the same way ``tests/test_notebooks.py`` executes them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def use_this_interpreter(folder: str | Path) -> dict[str, str]:
    """Write a ``python3`` kernelspec running ``sys.executable`` under ``folder``; return the environment to use it.

    ``JUPYTER_PATH`` comes first in Jupyter's search path, so the kernel is this
    interpreter (the project's venv) whatever other kernels the machine has.
    """
    spec = Path(folder) / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3 (vision)", "language": "python"}),
        encoding="utf-8",
    )
    return {"JUPYTER_PATH": str(folder), "JUPYTER_PLATFORM_DIRS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def execute(notebook, *, cwd: Path = HERE, timeout: int = 600):
    """Run every cell of an nbformat notebook in place (raises on the first error)."""
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return notebook


def _notebook(cells: list[tuple[str, str]]):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        source = source.strip("\n")
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source))
    return nb


SETUP = '''
%matplotlib inline
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

import vision

SAMPLES = Path("..") / "samples"  # notebooks run from notebooks/
print(f"vision {vision.__version__}")
'''

# ----------------------------------------------------------------------------------------
# 01: colour cues
# ----------------------------------------------------------------------------------------
COLOUR_CUES = [
    ("md", """
# 01 · Colour cues: colour spaces, masks, measured distributions and the detectors' thresholds

Three of the cues that tell a Toofan launcher from a US-made TOW are colours: the green
**security-seal tape**, the three **yellow bands** on a tripod leg and the **dark green**
launch-tube cover. This notebook measures those colours on the labelled `samples/` and sets
them beside the thresholds the detectors use. The thresholds are read from each detector's
parameters (`vision.cues.REGISTRY[name].params()`), so the plots follow whatever the
detectors currently use.

Everything here calls the public API only and runs offline in a few seconds.
"""),
    ("code", SETUP + '''
from vision.colour import ciede2000, hue_chroma_table, lab_u8_to_float
from vision.cues import REGISTRY, run_cue
from vision.io import load_image
from vision.labels import load_labels
from vision.normalise import Scene

labels = load_labels(SAMPLES / "labels.json")
print(f"{len(labels)} labelled photos, {sum(l.toofan for l in labels)} of them Toofan launchers")
'''),
    ("md", """
## Why CIELAB, hue angle and chroma

A photo's RGB values mix *what colour a surface is* with *how much light falls on it*.
CIELAB separates them: `L*` is lightness, `a*` runs green (−) to red (+), `b*` blue (−)
to yellow (+). In polar form the **hue angle** `h = atan2(b*, a*)` says which colour
(yellow near 90°, green near 140°) and the **chroma** `C* = √(a*² + b*²)` how vivid it is.
Shading along a round tube changes `L*` a lot and `h` little, so the detectors test hue
sectors and chroma floors, with a separate lightness floor.

Before detection the photo is reduced to a working size and its illuminant (colour cast)
is estimated and mostly divided out (`vision.normalise.Scene`); everything below is
measured on that working image, as the detectors see it.
"""),
    ("code", '''
tape = REGISTRY["green_seal_tape"].params()
bands = REGISTRY["yellow_bands"].params()
cover = REGISTRY["dark_green_cover"].params()
print(f"green_seal_tape : hue {tape.hue_range} deg, C* >= {tape.min_chroma}, L* >= {tape.min_lightness} "
      f"(grows through C* >= {tape.grow_chroma})")
print(f"yellow_bands    : hue {bands.hue_range} deg, seeds C* >= {bands.seed_chroma}, grows through C* >= {bands.grow_chroma}, "
      f"L* >= {bands.min_lightness}")
print(f"dark_green_cover: target {cover.target!r} within CIEDE2000 {cover.max_delta_e} (kL = 2) of the references (L*, C*, h):")
for name, lch in cover.references:
    print(f"    {name:11s} {lch}")
'''),
    ("md", """
## One photo: working image, chroma and the colour masks

The first step of the tape and band detectors is a look-up of every pixel's `(a*, b*)` in a
hue/chroma table (`vision.colour.hue_chroma_table`) plus a lightness floor. The masks below
are exactly that first step; shape and context tests (a band crossing a tube, three evenly
spaced bands along a leg) then discard most of what the colour alone lets through.
"""),
    ("code", '''
photo = load_image(SAMPLES / "synthetic" / "toofan_005.jpg").rgb
scene = Scene(photo)
lab = lab_u8_to_float(scene.lab)
L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
chroma = np.hypot(a, b)
green_mask = hue_chroma_table(*tape.hue_range, tape.min_chroma)[scene.ab] & (L >= tape.min_lightness)
yellow_mask = hue_chroma_table(*bands.hue_range, bands.seed_chroma)[scene.ab] & (L >= bands.min_lightness)

fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
axes[0].imshow(scene.work); axes[0].set_title(f"working image {scene.shape[1]}x{scene.shape[0]}, gains {np.round(scene.gains, 2)}")
im = axes[1].imshow(chroma, cmap="magma"); axes[1].set_title("chroma C*"); fig.colorbar(im, ax=axes[1], fraction=0.035)
axes[2].imshow(green_mask, cmap="Greens"); axes[2].set_title(f"tape colour: {green_mask.mean():.2%} of pixels")
axes[3].imshow(yellow_mask, cmap="YlOrBr"); axes[3].set_title(f"band colour (seeds): {yellow_mask.mean():.2%} of pixels")
for ax in axes:
    ax.axis("off")
plt.show()
'''),
    ("md", """
## Measured colours on the labelled samples

For every labelled photo we take the pixels inside the central part of each labelled tape box
and band box (the boxes are axis-aligned, so their corners hold background), a random sample
of the pixels outside every box, and the tube colour the cover detector measures, grouped by
the labelled cover colour.
"""),
    ("code", '''
rng = np.random.default_rng(0)


def inner(box, scene, keep=0.5):
    """The central part of an (x, y, w, h) box of the photo, as working-image slices."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    x0, x1 = (cx - keep * w / 2) / scene.scale_x, (cx + keep * w / 2) / scene.scale_x
    y0, y1 = (cy - keep * h / 2) / scene.scale_y, (cy + keep * h / 2) / scene.scale_y
    return slice(int(y0), max(int(y1), int(y0) + 1)), slice(int(x0), max(int(x1), int(x0) + 1))


pixels = {"tape": [], "band": [], "background": []}
tubes = []  # (labelled cover colour, measured CIELAB of the tube)
for label in labels:
    scene = Scene(load_image(SAMPLES / label.image).rgb)
    lab = lab_u8_to_float(scene.lab)
    outside = np.ones(scene.shape, bool)
    for cue, name in (("green_seal_tape", "tape"), ("yellow_bands", "band")):
        for box in (label.boxes or {}).get(cue, ()):
            pixels[name].append(lab[inner(box, scene)].reshape(-1, 3))
    for boxes in (label.boxes or {}).values():
        for box in boxes:
            outside[inner(box, scene, keep=1.2)] = False
    rest = lab[outside]
    pixels["background"].append(rest[rng.choice(len(rest), size=min(len(rest), 1500), replace=False)])
    measured = run_cue("dark_green_cover", scene, cover).measurements.get("lab")
    if label.cover and measured:
        tubes.append((label.cover, np.array(measured)))

pixels = {k: np.concatenate(v) for k, v in pixels.items()}
for name, values in pixels.items():
    print(f"{name:10s} {len(values):7d} pixels")
print(f"tube colours measured on {len(tubes)} photos with a labelled, visible cover")
'''),
    ("code", '''
def polar(lab):
    return np.degrees(np.arctan2(lab[:, 2], lab[:, 1])) % 360, np.hypot(lab[:, 1], lab[:, 2]), lab[:, 0]


fig, (ax, axl) = plt.subplots(1, 2, figsize=(15, 5), width_ratios=(2, 1))
for name, colour, size in (("background", "0.6", 2), ("tape", "tab:green", 3), ("band", "goldenrod", 3)):
    h, c, _ = polar(pixels[name])
    pick = rng.choice(len(h), size=min(len(h), 6000), replace=False)
    ax.scatter(h[pick], c[pick], s=size, alpha=0.35, color=colour, label=name, rasterized=True)
for (lo, hi), floor, colour, text in ((tape.hue_range, tape.min_chroma, "tab:green", "tape"),
                                      (bands.hue_range, bands.seed_chroma, "darkgoldenrod", "band seeds"),
                                      (bands.hue_range, bands.grow_chroma, "gold", "band growth")):
    ax.plot([lo, lo, hi, hi], [120, floor, floor, 120], color=colour, linewidth=2, label=f"{text}: hue {lo:g}-{hi:g}, C* >= {floor:g}")
ax.set(xlabel="hue angle h (degrees)", ylabel="chroma C*", xlim=(0, 360), ylim=(0, 110), title="hue and chroma of labelled pixels")
ax.legend(loc="upper right", fontsize="small", markerscale=4)
for name, colour in (("background", "0.6"), ("tape", "tab:green"), ("band", "goldenrod")):
    axl.hist(pixels[name][:, 0], bins=50, range=(0, 100), density=True, histtype="step", color=colour, linewidth=2, label=name)
axl.axvline(tape.min_lightness, color="tab:green", linestyle="--", label="tape L* floor")
axl.axvline(bands.min_lightness, color="darkgoldenrod", linestyle="--", label="band L* floor")
axl.set(xlabel="lightness L*", ylabel="density", title="lightness")
axl.legend(fontsize="small")
plt.show()
'''),
    ("md", """
## How the thresholds follow from the distributions

A colour threshold trades recall (labelled tape or band pixels it keeps) against the
background it lets through; what it lets through is left to the shape and context tests. The
table measures both for the detectors' current thresholds. The hue sectors are wide enough
for the spread of the labelled pixels (JPEG chroma subsampling and the remaining colour cast
smear thin marks), the chroma floors sit where the background thins out, and the band
detector uses two floors (hysteresis): strict seeds, then growth through weaker yellow so a
band's smeared edge still counts.
"""),
    ("code", '''
def passes(lab, hue_range, chroma_min, lightness_min):
    h, c, l = polar(lab)
    lo, hi = hue_range
    in_sector = (h >= lo) & (h <= hi) if lo <= hi else (h >= lo) | (h <= hi)
    return in_sector & (c >= chroma_min) & (l >= lightness_min)


rows = [("tape colour", (tape.hue_range, tape.min_chroma, tape.min_lightness), "tape"),
        ("band seed colour", (bands.hue_range, bands.seed_chroma, bands.min_lightness), "band"),
        ("band growth colour", (bands.hue_range, bands.grow_chroma, bands.min_lightness), "band")]
print(f"{'test':20s} {'labelled pixels kept':>22s} {'background let through':>24s}")
for name, args, target in rows:
    kept = passes(pixels[target], *args).mean()
    leaked = passes(pixels["background"], *args).mean()
    print(f"{name:20s} {kept:22.1%} {leaked:24.2%}")

for name in ("tape", "band"):
    h, c, l = polar(pixels[name])
    vivid = c >= 20
    print(f"{name}: hue 5-95 % {np.percentile(h[vivid], [5, 95]).round(1)}, chroma median {np.median(c):.1f}, "
          f"L* 5 % {np.percentile(l, 5):.1f}")
'''),
    ("md", """
## The cover: distances to named paints

The cover detector finds the launch tube, measures its median colour and compares it with
named paint references by CIEDE2000 (lightness weighted half, `kL = 2`, because shading and
dirt move lightness most). Each dot is one photo's measured tube colour, coloured by the
labelled cover; the crosses are the references.
"""),
    ("code", '''
refs = {name: np.array([L_, C_ * np.cos(np.radians(h_)), C_ * np.sin(np.radians(h_))]) for name, (L_, C_, h_) in cover.references}
colours = {"dark_green": "darkgreen", "olive_drab": "olivedrab", "tan": "tan"}
fig, (ax, axd) = plt.subplots(1, 2, figsize=(14, 5))
for name, lab_ in tubes:
    ax.scatter(lab_[1], lab_[2], color=colours.get(name, "k"), s=25)
for name, ref in refs.items():
    ax.scatter(ref[1], ref[2], marker="x", s=120, color=colours.get(name, "k"), label=f"reference {name}")
ax.set(xlabel="a*", ylabel="b*", title="measured tube colour by labelled cover")
ax.legend(fontsize="small")
target = refs[cover.target]
for name in colours:
    d = [float(ciede2000(lab_, target, kL=2.0)) for n, lab_ in tubes if n == name]
    if d:
        axd.hist(d, bins=20, range=(0, 60), alpha=0.6, color=colours[name], label=f"labelled {name} ({len(d)})")
axd.axvline(cover.max_delta_e, color="k", linestyle="--", label=f"max_delta_e = {cover.max_delta_e:g}")
axd.set(xlabel=f"CIEDE2000 (kL = 2) to {cover.target}", ylabel="photos", title="distance to the target paint")
axd.legend(fontsize="small")
plt.show()
'''),
    ("md", """
Dark green and olive drab sit close together in `a*b*`, and dirt, light and JPEG move a
tube's colour by about as much as separates them: the cover is weak evidence either way, and
the profile gives it small likelihood ratios (see `02_identification_walkthrough.ipynb`).
"""),
]

# ----------------------------------------------------------------------------------------
# 02: identification walkthrough
# ----------------------------------------------------------------------------------------
WALKTHROUGH = [
    ("md", """
# 02 · One photo through the pipeline

`vision.pipeline.analyse` is the function behind `vision scan`, the batch runs and this
notebook: normalise the photo, run every cue detector of the profile, and combine their
evidence into an identification. This notebook follows one labelled sample through those
steps and explains each number of the result.
"""),
    ("code", SETUP + '''
from vision.evidence import load_profile
from vision.io import load_image
from vision.labels import load_labels
from vision.pipeline import analyse

profile = load_profile("toofan")
labels = load_labels(SAMPLES / "labels.json")
photo_path = SAMPLES / "synthetic" / "toofan_005.jpg"
label = labels.match(str(photo_path))
loaded = load_image(photo_path)
print(f"{photo_path.name}: {loaded.width}x{loaded.height}, labelled toofan={label.toofan}, "
      f"tape={label.cues.get('green_seal_tape')}, bands in a row={label.band_count}, cover={label.cover}, serial={label.serial}")
'''),
    ("md", """
## The analysis

An `Analysis` renders itself in Jupyter: the verdict, each cue's state, score and
log-likelihood ratio, and the annotated overlay (solid boxes: cues found; dashed: partial
findings).
"""),
    ("code", '''
analysis = analyse(loaded.rgb, profile)
analysis
'''),
    ("md", """
## What each detector reported

Each cue detector returns a state (`present`, `absent` or `not_assessable` with a reason), a
score in [0, 1], regions in the photo's pixels and the measurements it based them on.
"""),
    ("code", '''
for name, result in analysis.cues.items():
    print(f"{name}: {result.state.value}, score {result.score:.3f}" + (f" ({result.reason})" if result.reason else ""))
    if result.fields:
        print("    fields:", dict(result.fields))
    for key, value in list(result.measurements.items())[:8]:
        print(f"    {key}: {value}")
    print(f"    regions: {[r.bbox for r in result.regions][:4]}")
'''),
    ("code", '''
crops = [(name, r) for name, res in analysis.cues.items() for r in res.regions][:8]
fig, axes = plt.subplots(1, len(crops), figsize=(2.3 * len(crops), 2.6), squeeze=False)
for ax, (name, region) in zip(axes[0], crops):
    x, y, w, h = region.bbox
    pad = max(w, h) // 2
    ax.imshow(loaded.rgb[max(y - pad, 0): y + h + pad, max(x - pad, 0): x + w + pad])
    ax.set_title(f"{name}\\n{region.label} {region.score:.2f}", fontsize=8)
    ax.axis("off")
plt.show()
'''),
    ("md", """
## From scores to likelihood ratios

The profile (`vision/profiles/toofan.json`, data not code) maps each cue's score to a
base-10 log-likelihood ratio

`log10 LR = log10 P(score | Toofan) / P(score | not Toofan)`

by linear interpolation between knots. A positive value supports Toofan, a negative one the
alternative; a not-assessable cue contributes exactly 0. The red dot is this photo.
"""),
    ("code", '''
evidence = {e.cue: e for e in analysis.identification.evidence}
fig, axes = plt.subplots(1, len(profile.cues), figsize=(4 * len(profile.cues), 3.4), sharey=True)
for ax, cue in zip(np.atleast_1d(axes), profile.cues):
    xs, ys = zip(*cue.knots)
    ax.plot(xs, ys, marker="o", color="tab:blue")
    ax.axhline(0, color="0.7", linewidth=1)
    e = evidence[cue.name]
    ax.scatter([e.score], [e.log_lr], color="red", zorder=5, s=60)
    ax.set(title=f"{cue.name}\\n{e.state}: score {e.score:.2f} -> {e.log_lr:+.2f}", xlabel="cue score")
np.atleast_1d(axes)[0].set_ylabel("log10 LR")
plt.show()
'''),
    ("md", """
## Adding the evidence

The log-LRs add. Each cue's ratios were fitted together with a weight for its dependence on
the others (the cover mostly repeats what the tape and bands say, so it weighs less), so the
sum does not count the same evidence twice. The prior is the profile's triage base rate; posterior odds = prior odds × LR; the confidence is the
posterior probability, passed through the profile's calibration map when it has one (fitted
by `vision calibrate`). The cell recomputes the confidence by hand and checks it against the
pipeline's.
"""),
    ("code", '''
ident = analysis.identification
prior_log_odds = np.log10(profile.prior / (1 - profile.prior))
print(f"prior {profile.prior:.3f}: log10 odds {prior_log_odds:+.3f}")
for e in ident.evidence:
    print(f"  {e.cue:18s} {e.state:15s} score {e.score:.3f}  log10 LR {e.log_lr:+.3f}")
total = sum(e.log_lr for e in ident.evidence)
log_odds = float(np.clip(prior_log_odds + total, -12, 12))
confidence = 1 / (1 + 10 ** -log_odds)
if profile.calibration:
    confidence = float(np.interp(confidence, *zip(*profile.calibration)))
print(f"sum of log10 LRs {total:+.3f} -> posterior log10 odds {log_odds:+.3f} -> confidence {confidence:.4f}")
print(f"pipeline: {ident.label}, confidence {ident.confidence:.4f}")
print(ident.verbal)
assert abs(confidence - ident.confidence) < 1e-9
'''),
    ("md", """
## A hard negative for contrast

A scene built to look like one cue (here green tarpaulin, yellow signs or vegetation) should
find little: colour alone is not enough, the shape and context tests must agree.
"""),
    ("code", '''
for name in ("neg_green_tarp_000.jpg", "neg_hazard_stripes_001.jpg"):
    other = analyse(load_image(SAMPLES / "synthetic" / name).rgb, profile)
    print(f"{name}: {other.identification.label}, confidence {other.identification.confidence:.3f}; "
          + ", ".join(f"{e.cue} {e.state} ({e.log_lr:+.2f})" for e in other.identification.evidence))
display(other)
'''),
]

# ----------------------------------------------------------------------------------------
# 03: evaluation and calibration
# ----------------------------------------------------------------------------------------
EVALUATE = [
    ("md", """
# 03 · Evaluate, calibrate, and test robustness

How far can a researcher trust each cue and the final confidence? This notebook scans the
labelled `samples/`, measures the identification and each cue against the labels
(`vision eval`), fits the profile's likelihood ratios and calibration map on one half of the
photos and checks them on the other (`vision calibrate`), and replays one photo through a
ladder of social-media damage (`vision robustness`). The command-line tools call the same
functions.
"""),
    ("code", SETUP + '''
import tempfile

from vision.batch import run_scan
from vision.calibrate import calibrate
from vision.evaluate import evaluate, figures, reliability_figure
from vision.evidence import load_profile
from vision.io import load_image
from vision.labels import load_labels, write_csv
from vision.robustness import DEFAULT_LADDER, robustness_curve

work = Path(tempfile.mkdtemp(prefix="vision-notebook-"))
labels = load_labels(SAMPLES / "labels.json")
summary = run_scan([SAMPLES], work / "scan", "toofan", jobs=2, progress=False)
print(f"{summary.ok} photos analysed, {summary.errors} could not be read")
'''),
    ("md", """
## Evaluation

Results are matched to labels by file name. Near-duplicates (the same photo reposted: equal
bytes, or perceptual hashes a few bits apart) form groups whose photos share one unit of
weight, so a reposted photo counts once.
"""),
    ("code", '''
evaluation = evaluate(work / "scan", labels)
print(evaluation.summary())
m = evaluation.metrics
print(f"\\nnear-duplicate groups: {m['duplicates']['groups']} ({m['duplicates']['groups_with_several_photos']} with several photos)")
figs = figures(m)
for name in ("roc", "reliability"):
    display(figs[name])
'''),
    ("code", '''
print(f"{'cue':18s} {'labelled':>8s} {'precision':>9s} {'recall':>7s} {'AUC':>6s} {'mean IoU':>9s}")
for cue, c in m["cues"].items():
    if not c.get("labelled"):
        continue
    auc = "n/a" if c["roc_auc"] is None else f"{c['roc_auc']:.3f}"
    iou = c["regions"].get("mean_best_iou")
    print(f"{cue:18s} {c['labelled']:8d} {c['precision']:9.3f} {c['recall']:7.3f} {auc:>6s} {'n/a' if iou is None else f'{iou:.3f}':>9s}")
display(figs["band_count_confusion"])
'''),
    ("md", """
The same evaluation from a spreadsheet: a CSV with just `image` (file name) and `toofan`
(plus optional cue columns) gives the same identification AUC.
"""),
    ("code", '''
sheet = write_csv(labels, work / "labels.csv")
print(sheet.read_text().splitlines()[:3])
from_csv = evaluate(work / "scan", load_labels(sheet))
print(f"AUC with labels.json {m['identification']['roc_auc']:.6f}, with the CSV {from_csv.metrics['identification']['roc_auc']:.6f}")
'''),
    ("md", """
## Calibration

`calibrate` holds out half of the photos (whole near-duplicate groups, stratified by class,
fixed seed) and measures that half before and after. On the other half it fits each cue's
likelihood ratios from its score distributions (isotonic regression with a pseudo-count, so
every LR is finite and monotone), one weight per cue for their dependence, and a Platt
calibration map. By default the new fit must earn its place: keeping the profile, refitting
only its calibration map, and refitting everything compete on cross-validated log-loss within
the training half, and the winner is written. On a set this small the expected calibration
error of even a perfectly calibrated model is a few hundredths, so differences of that size
are noise.

A calibration map also carries the labelled set's base rate into every confidence: fitted on
a set that is one third Toofan, it would score a photo with nothing assessable about 0.3,
not the profile's prior. `method="none"` (`--method none`) refits the ratios and weights
without a map, which is how the shipped profile was fitted, on 672 renders from
`samples/generate.py --dev`.
"""),
    ("code", '''
result = calibrate(work / "scan", labels, holdout=0.5, seed=0)
print(result.summary())
print("cross-validated log-loss on the training half:", {k: round(v, 4) for k, v in result.report["cross_validated_log_loss"].items()})
print()
result = calibrate(work / "scan", labels, holdout=0.5, seed=0, select=False)  # refit everything, to see what the labels say
print(result.summary())
before, after = result.report["before"], result.report["after"]
display(reliability_figure(before["reliability"], other=after["reliability"], labels=("before", "after"),
                           title=f"held-out reliability: ECE {before['ece']:.3f} -> {after['ece']:.3f}"))
'''),
    ("code", '''
fitted_path = result.write(work / "toofan-calibrated.json")
fitted = load_profile(fitted_path)
shipped = load_profile("toofan")
fig, axes = plt.subplots(1, len(fitted.cues), figsize=(4 * len(fitted.cues), 3.2), sharey=True)
for ax, new, old in zip(np.atleast_1d(axes), fitted.cues, shipped.cues):
    ax.plot(*zip(*old.knots), marker="o", label="shipped profile")
    ax.plot(*zip(*new.knots), marker=".", label="fitted on half of samples/")
    ax.axhline(0, color="0.7", linewidth=1)
    ax.set(title=new.name, xlabel="cue score")
np.atleast_1d(axes)[0].set_ylabel("log10 LR")
np.atleast_1d(axes)[0].legend(fontsize="small")
plt.show()
print("the fitted profile is used like any other: vision scan --profile", fitted_path.name)
'''),
    ("md", """
## Robustness curve

One photo, replayed through JPEG quality down to 20, downscaling to a quarter, blur and a
warm colour cast, one degradation at a time. Dotted lines mark where a cue flips
(present ↔ not), dashed where the identification does.
"""),
    ("code", '''
photo = SAMPLES / "synthetic" / "toofan_009.jpg"
# About half the rungs of the default ladder keep this notebook quick; `vision robustness` runs them all.
keep = {"jpeg": (80, 60, 40, 20), "downscale": (1.0, 0.5, 0.25), "blur": (1.0, 2.0, 4.0), "colour": (0.1, 0.2, 0.3)}
ladder = [d for d in DEFAULT_LADDER if d.level in keep[d.family]]
curve = robustness_curve(load_image(photo).rgb, name=photo.name, ladder=ladder, jobs=2)
print(curve.summary())
display(curve.figure())
'''),
]

NOTEBOOKS = {
    "01_colour_cues.ipynb": COLOUR_CUES,
    "02_identification_walkthrough.ipynb": WALKTHROUGH,
    "03_evaluate_and_calibrate.ipynb": EVALUATE,
}


def main(argv: list[str]) -> int:
    import nbformat

    wanted = [n for n in NOTEBOOKS if not argv or any(a in n for a in argv)]
    with tempfile.TemporaryDirectory() as kernels:
        os.environ.update(use_this_interpreter(kernels))
        for name in wanted:
            nb = _notebook(NOTEBOOKS[name])
            start = time.perf_counter()
            execute(nb)
            nbformat.write(nb, HERE / name)
            print(f"{name}: executed in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
