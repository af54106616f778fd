"""The seal-tape detector on scenes built in code: painted tubes, and the look-alikes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision import synth
from vision.colour import rgb_to_lab
from vision.cues import CueState, run_cue
from vision.cues.green_seal_tape import GreenSealTapeParams, _Bow, _bow_map, _centre_line, _uncorrected_shift
from vision.normalise import Scene


def painted_tube(tape_rgb=(60, 190, 80), tube_rgb=(40, 62, 44), background=(150, 140, 120), size=(400, 300), logo=False):
    """A horizontal tube with a band of tape across it, lightly shaded like a cylinder."""
    w, h = size
    img = np.full((h, w, 3), background, np.float32)
    y0, y1 = 120, 170
    shade = 0.75 + 0.35 * np.sin(np.linspace(0, np.pi, y1 - y0))[:, None, None]
    img[y0:y1, 40:360] = np.array(tube_rgb, np.float32) * shade
    if tape_rgb is not None:
        img[y0:y1, 190:215] = np.array(tape_rgb, np.float32) * shade
        if logo:  # a white printed line across the middle of the tape
            img[y0 + 12 : y1 - 12, 201:204] = 235
    return np.clip(img, 0, 255).astype(np.uint8)


def shaded_tube(tape_rgb=(60, 190, 80), tube_rgb=(40, 62, 44)):
    """Light from above: the tube's (and the tape's) lower third is in deep shadow, darker
    than any bright green, but as saturated for its lightness as the lit part."""
    img = np.full((300, 400, 3), (150, 140, 120), np.float32)
    y0, y1 = 110, 180
    shade = (0.25 + 0.9 * np.clip(np.cos(np.linspace(-0.3, 1.6, y1 - y0)), 0.0, 1.0))[:, None, None]
    img[y0:y1, 40:360] = np.array(tube_rgb, np.float32) * shade
    img[y0:y1, 190:220] = np.array(tape_rgb, np.float32) * shade
    return np.clip(img, 0, 255).astype(np.uint8)


def sign_on_pole():
    """A green sign on a dark pole: a green rectangle across a bar, many times its width."""
    img = np.full((300, 400, 3), (150, 160, 175), np.uint8)
    img[60:290, 195:205] = (60, 60, 60)
    img[60:130, 130:270] = (30, 140, 70)
    return img


@pytest.mark.parametrize(
    "image, expected",
    [
        (painted_tube(), CueState.PRESENT),
        (painted_tube(logo=True), CueState.PRESENT),  # a printed line across the tape
        (shaded_tube(), CueState.PRESENT),  # the tape's shaded side is dark
        (painted_tube(tube_rgb=(70, 120, 60), tape_rgb=(70, 215, 90)), CueState.PRESENT),  # on a lit green tube
        (painted_tube(tape_rgb=None), CueState.ABSENT),
        (painted_tube(tape_rgb=(200, 180, 40)), CueState.ABSENT),  # a yellow band is not the seal
        (painted_tube(tape_rgb=(60, 190, 80), tube_rgb=(60, 190, 80)), CueState.ABSENT),  # a green tube has no band
        (sign_on_pole(), CueState.ABSENT),
        (np.full((20, 20, 3), 120, np.uint8), CueState.NOT_ASSESSABLE),  # too small
        (np.full((300, 400, 3), 255, np.uint8), CueState.NOT_ASSESSABLE),  # overexposed
    ],
)
def test_states(image, expected):
    assert run_cue("green_seal_tape", Scene(image)).state is expected


def test_region_maps_to_original_pixels():
    big = np.repeat(np.repeat(painted_tube(), 4, axis=0), 4, axis=1)  # 1600 x 1200: worked at 1/2
    result = run_cue("green_seal_tape", Scene(big))
    assert result.present
    x, y, w, h = result.regions[0].bbox
    assert abs(x - 190 * 4) <= 12 and abs((x + w) - 215 * 4) <= 12
    assert abs(y - 120 * 4) <= 12 and abs((y + h) - 170 * 4) <= 12


def test_shaded_tape_spans_the_tube():
    m = run_cue("green_seal_tape", Scene(shaded_tube())).measurements
    assert m["diameter_px"] == pytest.approx(70, abs=8)  # the tube's, not the lit part's
    assert m["coverage"] >= 0.8


@pytest.mark.parametrize("kind", ["vegetation", "green_tarp", "empty"])
@pytest.mark.parametrize("seed", [11, 12])
def test_look_alikes_are_not_tape(kind, seed):
    scene = synth.render_scene(kind, seed, (960, 720))
    assert not run_cue("green_seal_tape", Scene(synth.jpeg_roundtrip(scene.image, 80))).present


def test_measurements_explain_the_finding():
    m = run_cue("green_seal_tape", Scene(painted_tube())).measurements
    assert m["lab"][1] < -20  # green: negative a*
    assert m["rectangularity"] > 0.9
    assert m["flank_contrast_L"] > 10
    assert m["relative_chroma"] > 10  # the tape is far more chromatic than the tube
    assert m["tape_position"] == "middle"
    assert m["illuminant"] == "corrected"
    # The cover cue reads the tube's paint beside the tape.
    assert np.abs(np.asarray(m["tube_lab"]) - rgb_to_lab([40, 62, 44])).max() < 8


@pytest.mark.parametrize(
    "gains, a_sign, b_sign",
    [
        ((1.0, 0.85, 1.18), -1, 1),  # the correction took green out and put blue in: undo it
        ((1.0, 1.15, 0.85), 1, -1),
    ],
)
def test_uncorrected_shift_undoes_the_correction(gains, a_sign, b_sign):
    da, db = _uncorrected_shift(np.array(gains))
    assert np.sign(da) == a_sign and np.sign(db) == b_sign
    assert _uncorrected_shift(np.ones(3)) == (0, 0)


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"min_chroma_": 10}, "unknown parameter"),
        ({"max_area_fraction": 2.0}, "max_area_fraction"),
        ({"min_area": 0}, "min_area"),
        ({"max_context_budget": 0}, "max_context_budget"),
        ({"extra_split_tests": -1}, "extra_split_tests"),
        ({"shade_lightness": 50.0}, "shade_lightness"),
        ({"shade_lightness": -1.0}, "shade_lightness"),
        ({"min_coverage": 1.5}, "min_coverage"),
        ({"bow_components": -1}, "bow_components"),
        ({"bow_tests": -1}, "bow_tests"),
        ({"max_bow": 0.0}, "max_bow"),
        ({"zoom_components": -1}, "zoom_components"),
        ({"zoom_context": 0.0}, "zoom_context"),
        ({"zoom_margin": -0.1}, "zoom_margin"),
    ],
)
def test_bad_parameters_fail_loudly(overrides, error):
    from vision.cues import make_params

    with pytest.raises(ValueError, match=error):
        make_params("green_seal_tape", overrides)


def test_params_are_frozen():
    with pytest.raises(AttributeError):
        GreenSealTapeParams().min_chroma = 10.0  # type: ignore[misc]


def _frame(image):
    from vision.cues.green_seal_tape import _Frame, _tape_values

    scene = Scene(image)
    params = GreenSealTapeParams()
    return _Frame(scene, _tape_values(scene, (0, 0), params), False, params, [params.max_context_budget])


@pytest.mark.parametrize(
    "other_rgb, expected_parts",
    [
        ((150, 150, 60), 1),  # tape beside an olive leaf: only the tape-green part comes back
        ((60, 190, 80), 0),  # one colour: nothing to split
    ],
)
def test_split_by_colour_returns_the_tape_green_part(other_rgb, expected_parts):
    from vision.cues.green_seal_tape import _split_by_colour

    img = np.full((120, 160, 3), 128, np.uint8)
    img[40:80, 40:70] = (60, 190, 80)
    img[40:80, 70:120] = other_rgb
    comp = np.zeros((40, 80), np.uint8)
    comp[:, :] = 1
    parts = _split_by_colour(_frame(img), comp, 40, 40)
    assert len(parts) == expected_parts
    if parts:
        mask, x, y = parts[0]
        assert (x, y) == (40, 40) and abs(mask.shape[1] - 30) <= 2 and mask.shape[0] == 40


@pytest.mark.parametrize("seed", [3, 4])
def test_smooth_colour_patches_beside_a_tube_are_not_tape(seed):
    """Soft-edged patches of a smooth colour field (the benchmark's backgrounds) around a dark
    green tube: no band with straight edges, so no tape."""
    rng = np.random.default_rng(seed)
    img = cv2.resize((rng.random((6, 8, 3)) * 180 + 30).astype(np.uint8), (640, 480), interpolation=cv2.INTER_CUBIC)
    img[200:260, 75:550] = (40, 70, 45)
    assert not run_cue("green_seal_tape", Scene(img)).present


def tape_among_leaves(tube_rgb=(40, 62, 44)):
    """A tape merged with a yellow-green leaf lying on it, in a scene with three larger
    leaves: the merged component is not among the three largest that fail whole."""
    img = painted_tube(tube_rgb=tube_rgb)
    for cx, cy in ((70, 50), (200, 50), (330, 50)):
        cv2.ellipse(img, (cx, cy), (36, 22), 20, 0, 360, (50, 175, 70), -1)
    cv2.ellipse(img, (232, 145), (20, 9), 0, 0, 360, (110, 215, 50), -1)
    return img


@pytest.mark.parametrize(
    "image, overrides, expected",
    [
        (tape_among_leaves(), {}, CueState.PRESENT),
        (tape_among_leaves(), {"extra_split_components": 0}, CueState.ABSENT),  # only the three largest are split
        (tape_among_leaves(tube_rgb=(150, 140, 120)), {}, CueState.ABSENT),  # no tube: a band of green among leaves
    ],
)
def test_tape_merged_with_a_smaller_leaf_is_found(image, overrides, expected):
    from vision.cues.green_seal_tape import detect

    result = detect(Scene(image), GreenSealTapeParams(**overrides))
    assert result.state is expected
    if expected is CueState.PRESENT:
        x, y, w, h = result.regions[0].bbox
        assert abs(x - 190) <= 3 and abs(w - 25) <= 4 and 115 <= y <= 125 and h >= 40


def glinted_tube(alpha=0.8, rows=(134, 150)):
    """:func:`painted_tube` with a specular glint along the tube: a strip of white light
    mixed into tube and tape alike, cutting the tape in two."""
    img = painted_tube().astype(np.float32)
    y0, y1 = rows
    img[y0:y1, 40:360] = img[y0:y1, 40:360] * (1.0 - alpha) + 235.0 * alpha
    return img.astype(np.uint8)


def test_glint_cut_tape_is_merged_into_one_band():
    from vision.cues.green_seal_tape import _bridge_glints, _Frame, _tape_values

    params = GreenSealTapeParams()
    scene = Scene(glinted_tube())
    frame = _Frame(scene, _tape_values(scene, (0, 0), params), False, params, [params.max_context_budget])
    _, frame.labels, stats, _ = cv2.connectedComponentsWithStats(frame.mask, connectivity=8)
    bands = _bridge_glints(frame, stats, 0, 0)
    assert len(bands) == 1
    mask, x, y = bands[0]
    # One band from the tube's top edge to its bottom edge, across the glint.
    assert abs(y - 120) <= 3 and abs((y + mask.shape[0]) - 170) <= 3
    assert abs(x - 190) <= 4 and abs((x + mask.shape[1]) - 215) <= 4
    assert mask[134 - y : 150 - y, 202 - x].all()  # the glint strip is part of it
    assert run_cue("green_seal_tape", Scene(glinted_tube())).present


def test_glint_bridge_needs_a_glint():
    """Two green patches of one width, lined up, with the tube's dark paint between them
    (no highlight): not merged."""
    from vision.cues.green_seal_tape import _bridge_glints, _Frame, _tape_values

    img = painted_tube()
    img[136:150, 190:215] = img[136:150, 230:255]  # the tube's own paint between the pieces
    params = GreenSealTapeParams()
    scene = Scene(img)
    frame = _Frame(scene, _tape_values(scene, (0, 0), params), False, params, [params.max_context_budget])
    _, frame.labels, stats, _ = cv2.connectedComponentsWithStats(frame.mask, connectivity=8)
    assert _bridge_glints(frame, stats, 0, 0) == []


@pytest.mark.parametrize("n", [1, 2, 7, 100, 4001])
@pytest.mark.parametrize("qs", [(5, 95), (97,), (3,)])
def test_glint_percentiles_match_numpy(n, qs):
    """The shared quantiles the glint test reads (vision.cues._shapes.quantiles) are numpy's."""
    from vision.cues._shapes import quantiles

    values = np.random.default_rng(n).normal(0.0, 10.0, n)
    np.testing.assert_allclose(quantiles(values, np.array(qs) / 100.0), np.percentile(values, qs), rtol=0, atol=1e-9)


def in_shadow(image, box=(40, 40, 360, 290), light=0.3):
    """``image`` with a hard shadow over ``box`` (x0, y0, x1, y1)."""
    img = image.astype(np.float32)
    x0, y0, x1, y1 = box
    img[y0:y1, x0:x1] *= light
    return np.clip(img, 0, 255).astype(np.uint8)


def tube_in_shadow(tape_rgb=(60, 190, 80), tube_rgb=(40, 62, 44)):
    """The painted tube under a hard shadow (over the launcher and the ground round it; the
    rest of the photo in light): its tape darker than any lit tape, as saturated for its
    lightness as in light."""
    return in_shadow(painted_tube(tape_rgb=tape_rgb, tube_rgb=tube_rgb), (20, 100, 380, 190))


@pytest.fixture
def shade_searches(monkeypatch):
    """Records, per shade reading searched, how many tape components it held."""
    from vision.cues import green_seal_tape as module

    calls = []
    search = module._search

    def spy(frame, seen, focus=None):
        found = search(frame, seen, focus)
        if frame.shade:
            calls.append(int(frame.areas.size - 1))
        return found

    monkeypatch.setattr(module, "_search", spy)
    return calls


@pytest.mark.parametrize(
    "image",
    [
        in_shadow(painted_tube(tape_rgb=None, tube_rgb=(60, 190, 80))),  # a bright green tube, no band
        in_shadow(sign_on_pole(), light=0.45),  # a green sign across a pole
        in_shadow(painted_tube(tape_rgb=(60, 190, 80), tube_rgb=(60, 190, 80))),  # tape on a tube of its colour
    ],
)
def test_shaded_look_alikes_reach_the_shade_reading_and_fail(image, shade_searches):
    assert not run_cue("green_seal_tape", Scene(image)).present
    assert shade_searches and shade_searches[0] >= 1  # the shade reading did test green there


@pytest.mark.parametrize(
    "image, expected",
    [
        (tube_in_shadow(), CueState.PRESENT),
        (tube_in_shadow(tape_rgb=None), CueState.ABSENT),  # the dark-green tube alone
        (tube_in_shadow(tape_rgb=(200, 180, 40)), CueState.ABSENT),  # a yellow band in shade
    ],
)
def test_tape_in_shadow_is_read_as_if_lit(image, expected):
    assert run_cue("green_seal_tape", Scene(image)).state is expected


def test_shade_reading_finds_what_the_lit_seeds_miss(shade_searches):
    scene = Scene(tube_in_shadow())
    found = run_cue("green_seal_tape", scene)
    assert found.present and found.measurements["reading"] == "shade" and found.measurements["shade_factor"] > 1.0
    assert found.measurements["lab"][0] < GreenSealTapeParams().min_lightness  # darker than any lit seed
    assert shade_searches == [1]
    off = GreenSealTapeParams(shade_lightness=GreenSealTapeParams().min_lightness)  # no shade reading
    assert not run_cue("green_seal_tape", scene, off).present


def test_lit_tape_is_found_in_the_light_reading(shade_searches):
    found = run_cue("green_seal_tape", Scene(painted_tube()))
    assert found.measurements["reading"] == "light" and found.measurements["shade_factor"] == 1.0
    assert shade_searches == []  # found in light: no shade reading


@pytest.mark.parametrize("rows, expected", [((120, 135), CueState.ABSENT), ((120, 150), CueState.PRESENT)])
def test_tape_must_wrap_the_tube(rows, expected):
    """A green band over under two fifths of the tube's diameter (a stripe of a round flag
    emoji on a disc) does not wrap it; over three fifths it does."""
    img = painted_tube(tape_rgb=None)
    img[rows[0] : rows[1], 190:215] = (60, 190, 80)
    scene = Scene(img)
    assert run_cue("green_seal_tape", scene).state is expected
    if expected is CueState.ABSENT:  # the coverage alone decides
        assert run_cue("green_seal_tape", scene, GreenSealTapeParams(min_coverage=0.0)).present


def oblique_tube(angle=25.0, tilt=0.8, tape_rgb=(60, 190, 80), tube_rgb=(44, 54, 44), radius=26.0, ground=None, band=None):
    """A shaded cylinder at ``angle`` degrees in the image, its near side turned ``tilt``
    (sine of the elevation) towards the camera: a band round it is the strip between two
    equal ellipses, an arc bowing by ``tilt * radius`` along the axis. ``tape_rgb=None``:
    no band; ``ground``: no tube either, only the band's arc on that colour; ``band``: the
    band's centre line ``along(across, depth)`` in its place."""
    h, w = 300, 400
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.radians(angle)
    along = (xx - w / 2) * np.cos(a) + (yy - h / 2) * np.sin(a)
    across = -(xx - w / 2) * np.sin(a) + (yy - h / 2) * np.cos(a)
    inside = (np.abs(across) <= radius) & (np.abs(along) <= 150)
    depth = np.sqrt(np.clip(radius**2 - across**2, 0, None))  # height of the surface towards the camera
    shade = (0.3 + 0.85 * np.clip(0.8 * depth / radius - 0.45 * across / radius, 0, 1))[..., None]
    img = np.empty((h, w, 3), np.float32)
    img[:] = (150, 140, 120) if ground is None else ground
    if ground is None:
        img[inside] = (np.array(tube_rgb, np.float32) * shade)[inside]
    if tape_rgb is not None:
        centre_line = tilt * depth if band is None else band(across, depth)
        strip = inside & (np.abs(along - centre_line) <= 7)
        img[strip] = (np.array(tape_rgb, np.float32) * shade)[strip]
    return np.clip(img, 0, 255).astype(np.uint8)


NO_BOW = GreenSealTapeParams(bow_tests=0)


@pytest.mark.parametrize("angle", [0.0, 25.0, -40.0])
@pytest.mark.parametrize("tilt", [0.8, 1.0])
def test_tape_bowed_round_an_oblique_tube_is_read_straightened(angle, tilt):
    """Seen obliquely, the band is an arc whose rectangle neither fills its hull nor gives
    the tube's axis: only the bowed reading finds it, straightened into a band with straight
    sides, on the tube's axis, and says how far it bows (a quadratic's sagitta puts a
    half-ellipse's at about 0.6 of its depth)."""
    scene = Scene(oblique_tube(angle, tilt))
    found = run_cue("green_seal_tape", scene)
    assert found.present
    assert 0.45 * tilt * 26.0 <= found.measurements["bow_px"] <= tilt * 26.0
    assert found.measurements["rectangularity"] >= 0.9
    assert abs((found.measurements["tube_axis_deg"] - angle + 90.0) % 180.0 - 90.0) <= 8.0
    assert not run_cue("green_seal_tape", scene, NO_BOW).present


@pytest.mark.parametrize("quality", [85, 60])
def test_bowed_tape_survives_jpeg(quality):
    """JPEG bleeds the tape's colour into the tube: the straightened band may pass only in
    the frame square to its chord, which may lie up to 15 degrees from the tube's edges."""
    found = run_cue("green_seal_tape", Scene(synth.jpeg_roundtrip(oblique_tube(25.0, 0.8), quality)))
    assert found.present and found.measurements["bow_px"] > 1.0
    assert abs((found.measurements["tube_axis_deg"] - 25.0 + 90.0) % 180.0 - 90.0) <= 15.0


def test_band_seen_side_on_needs_no_bowed_reading():
    found = run_cue("green_seal_tape", Scene(oblique_tube(25.0, tilt=0.0)))
    assert found.present and found.measurements["bow_px"] == 0.0


def test_bow_deeper_than_a_cylinder_allows_is_not_tape():
    scene = Scene(oblique_tube(25.0, 1.0))
    assert not run_cue("green_seal_tape", scene, GreenSealTapeParams(max_bow=0.2)).present


def crescent_leaf_on_tube(offset):
    """A green crescent (a disc less a smaller one moved by ``offset``) on the oblique
    tube: an arc, but not one round the tube."""
    img = oblique_tube(tape_rgb=None)
    m = np.zeros(img.shape[:2], np.uint8)
    cv2.circle(m, (200, 150), 24, 1, -1)
    cv2.circle(m, (200 + offset[0], 150 + offset[1]), 22, 0, -1)
    img[m > 0] = (60, 190, 80)
    return img


@pytest.mark.parametrize(
    "image",
    [
        oblique_tube(tape_rgb=None),  # the tube alone
        oblique_tube(ground=(150, 140, 120)),  # the arc alone, on sand: no tube round it
        oblique_tube(ground=(40, 50, 40)),  # the arc alone on dark ground: no tube's edges
        oblique_tube(tape_rgb=(200, 180, 40)),  # a yellow arc is not the seal
        crescent_leaf_on_tube((-4, 10)),  # its chord along the tube, not across it
        crescent_leaf_on_tube((10, 0)),
        oblique_tube(band=lambda across, depth: 15.0 * np.sin(across / 26.0 * np.pi)),  # an S, no circle
    ],
)
def test_bowed_look_alikes_are_not_tape(image):
    assert not run_cue("green_seal_tape", Scene(image)).present


def test_bow_map_follows_the_band_wherever_the_frame_is_centred():
    """Column u = 0 of the straightened frame is the band's centre line in every row, also
    when the frame's centre is moved across the axis (the tube's middle) or along it."""
    axis = np.array([np.cos(0.4), np.sin(0.4)])
    across = np.array([-axis[1], axis[0]])
    origin = np.array([200.0, 150.0])
    bow = _Bow(origin, axis, -10.0, 0.05 * (np.arange(21.0) - 10.0) ** 2)
    v = np.arange(-10.0, 11.0)
    for moved in (0.0, 4.0, -7.5):
        centre = origin + across * moved + axis * 3.0
        map_x, map_y = _bow_map(bow, centre, np.array([0.0]), v - moved)
        on_line = origin + np.outer(v, across) + np.outer(0.05 * v**2, axis)
        np.testing.assert_allclose(np.c_[map_x[:, 0], map_y[:, 0]], on_line, atol=1e-3)


@pytest.mark.parametrize("seed", range(5))
def test_centre_line_matches_a_quadratic_fit(seed):
    rng = np.random.default_rng(seed)
    v = np.sort(rng.choice(np.arange(-30.0, 31.0), 20, replace=False))
    a, b, c = rng.normal(0, 3, 3)
    u = a * v * v / 30.0 + b * v + c + rng.normal(0, 0.5, v.size)
    weight = rng.integers(1, 9, v.size).astype(float)
    fit = np.polyfit(v, u, 2, w=np.sqrt(weight))
    sagitta, apex, drift, rms = _centre_line(v, u, weight)
    half = (v[-1] - v[0]) / 2.0
    assert sagitta == pytest.approx(abs(fit[0]) * (half + 0.5) ** 2, rel=1e-6)
    assert v[0] + half * (apex + 1.0) == pytest.approx(-fit[1] / (2.0 * fit[0]), rel=1e-6)
    off = u - np.polyval(fit, v)
    assert rms == pytest.approx(np.sqrt((weight * off * off).sum() / weight.sum()), rel=1e-6)


def thin_tape(width=4, diameter=32, tape_rgb=(60, 190, 80), tube_rgb=(40, 62, 44)):
    """A 2048x1536 photo (analysed at half size) of a tube ``diameter`` pixels across with a
    band ``width`` pixels wide: at half size two pixels of colour, smeared."""
    img = np.full((1536, 2048, 3), (150, 140, 120), np.float32)
    y0, y1 = 700, 700 + diameter
    shade = 0.75 + 0.35 * np.sin(np.linspace(0, np.pi, diameter))[:, None, None]
    if tube_rgb is not None:
        img[y0:y1, 600:1500] = np.array(tube_rgb, np.float32) * shade
    img[y0:y1, 1000 : 1000 + width] = np.array(tape_rgb, np.float32) * shade
    return np.clip(img, 0, 255).astype(np.uint8)


NO_ZOOM = GreenSealTapeParams(zoom_components=0)


def with_leaves(img, n):
    """``img`` with ``n`` long bright-green leaves (90x30 pixels at half size: too long for
    a closer look) far from the tube."""
    img = img.copy()
    for k in range(n):
        cv2.ellipse(img, (200 + 400 * k, 200), (90, 30), 0, 0, 360, (70, 200, 80), -1)
    return img


@pytest.mark.parametrize("quality, leaves", [(None, 0), (85, 0), (None, 5)])
def test_thin_tape_lost_at_half_size_is_found_on_a_closer_look(quality, leaves):
    img = with_leaves(thin_tape(), leaves)
    if quality:
        img = synth.jpeg_roundtrip(img, quality)
    scene = Scene(img)
    assert scene.working_pixel_size == 2.0
    found = run_cue("green_seal_tape", scene)
    assert found.present and found.measurements["zoom"] == 2.0
    x, y, w, h = found.regions[0].bbox  # in the photo's pixels
    assert 995 <= x <= 1000 and x + w >= 1004 and 698 <= y <= 700 and h >= 32
    assert 24.0 <= found.measurements["diameter_px"] * scene.working_pixel_size <= 40.0  # the tube, in photo pixels
    assert 0.5 <= found.measurements["area_fraction"] * img.shape[0] * img.shape[1] / (4 * 32) <= 2.5  # of the photo
    missed = run_cue("green_seal_tape", scene, NO_ZOOM)
    assert not missed.present
    for key in ("candidates", "mask_fraction"):  # what the reduced reading saw
        assert found.measurements[key] == missed.measurements[key]


def test_closer_look_settings(monkeypatch):
    """The closer look searches the region once, in light under the corrected illuminant,
    for a band found whole (no splitting or merging) or bowed, with the margin added to the
    quality a band needs."""
    from vision.cues import green_seal_tape as module

    seen = []
    detect = module.detect
    monkeypatch.setattr(module, "detect", lambda scene, params=GreenSealTapeParams(): seen.append((scene.offset, params)) or detect(scene, params))
    params = GreenSealTapeParams()
    assert module.detect(Scene(thin_tape()), params).present
    (_, first), (offset, closer) = seen
    assert first == params and offset != (0, 0)
    assert closer.zoom_components == 0 and closer.min_quality == pytest.approx(params.min_quality + params.zoom_margin)
    assert closer.min_split_area > 2048 * 1536 and closer.extra_split_components == 0 and closer.glint_pairs == 0
    assert closer.min_illuminant_shift > 255 and closer.shade_lightness == closer.min_lightness  # corrected, in light
    assert closer.bow_components == params.bow_components


@pytest.mark.parametrize(
    "image",
    [
        thin_tape(tube_rgb=None),  # a thin green stripe on sand: no tube round it
        thin_tape(tube_rgb=(60, 190, 80)),  # a green bar: no band on it
        thin_tape(tape_rgb=(200, 180, 40)),  # a thin yellow band
    ],
)
def test_closer_look_finds_no_tape_in_look_alikes(image):
    assert not run_cue("green_seal_tape", Scene(image)).present


def test_closer_look_only_where_the_photo_was_reduced(monkeypatch):
    """A photo analysed at full size has nothing more to show; one analysed reduced, with
    no tape found, gets one closer look."""
    from vision.cues import green_seal_tape as module

    looks = []
    zoom = module._zoom
    monkeypatch.setattr(module, "_zoom", lambda scene, *a: looks.append(scene.working_pixel_size) or zoom(scene, *a))
    reduced = thin_tape(width=2, diameter=20)  # too thin even up close
    run_cue("green_seal_tape", Scene(cv2.resize(reduced, (1024, 768), interpolation=cv2.INTER_AREA)))
    assert looks == []
    assert not run_cue("green_seal_tape", Scene(reduced)).present
    assert looks == [2.0]
