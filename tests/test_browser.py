"""The report and the review page in a real browser: Debian's Chromium driven by Playwright.

Screenshots go to ``test-artifacts/`` (git-ignored). Without Chromium or Playwright the
tests are skipped on a developer's machine and fail in CI (``CI=true``), where
``scripts/setup.sh`` installs Chromium. Never run ``playwright install`` here: it downloads
a browser build, which this project's machines cannot do.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from vision.batch import run_scan
from vision.html_report import write_html_report
from vision.report import read_results
from vision.review import ReviewServer

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("VISION_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]
PAYLOAD_NAME = "<img src=x onerror=alert(1)>.jpg"
WAIT_MS = 15_000


def _require(ok: bool, message: str) -> None:
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI must run the browser tests: bash scripts/setup.sh installs it)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require(False, "playwright is not installed (pip install -e '.[test]')")
    _require(CHROMIUM.is_file(), f"{CHROMIUM} not found (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors, uncaught exceptions and dialogs in ``page.problems``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def on_dialog(dialog) -> None:
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.problems = problems
    yield page
    context.close()


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    inputs = tmp_path_factory.mktemp("photos")
    for name in ("synthetic/toofan_001.jpg", "synthetic/us_000.jpg", "synthetic/toofan_004.jpg", "real/astronaut.jpg"):
        shutil.copy(SAMPLES / name, inputs / Path(name).name)
    (inputs / "broken.jpg").write_bytes(b"not an image")
    out = tmp_path_factory.mktemp("scan")
    run_scan([inputs], out, progress=False)
    return out


def wait_js(page, expression: str, timeout_s: float = WAIT_MS / 1000) -> None:
    """Wait until a JavaScript expression is true (polled with page.evaluate, which the
    report's Content-Security-Policy allows; Playwright's wait_for_function needs eval)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.02)


def open_report(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")


def card_names(page) -> list[str]:
    return page.locator(".card .name").all_text_contents()


def image_loaded(page, selector: str) -> bool:
    return bool(page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0"))


def test_report_opens_from_file_without_errors(scanned, page):
    ARTIFACTS.mkdir(exist_ok=True)
    records = read_results(scanned)
    open_report(page, (scanned / "report.html").as_uri())
    assert len(card_names(page)) == len(records)
    wait_js(page, "[...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    # the gallery is sorted by confidence, highest first
    ok = sorted((r for r in records if r["status"] == "ok"), key=lambda r: -r["identification"]["confidence"])
    assert card_names(page)[: len(ok)] == [Path(r["image"]).name for r in ok]
    page.locator(".card").first.click()
    page.wait_for_selector("#cue-table")
    wait_js(page, "document.querySelector('#original-image').complete && document.querySelector('#overlay-image').complete")
    assert image_loaded(page, "#original-image") and image_loaded(page, "#overlay-image")
    assert page.locator("#photo-title").text_content() == Path(ok[0]["image"]).name
    rows = page.locator("#cue-table tbody tr")
    assert rows.count() == len(ok[0]["cues"])
    assert ok[0]["sha256"] in page.locator("#provenance").text_content()
    page.screenshot(path=str(ARTIFACTS / "photo.png"), full_page=True)
    page.click("button[data-view=overlay]")
    assert page.locator("figure.original").is_hidden() and page.locator("figure.overlay").is_visible()
    page.keyboard.press("ArrowRight")
    wait_js(page, f"document.querySelector('#photo-title').textContent === {json.dumps(Path(ok[1]['image']).name)}")
    page.keyboard.press("Escape")
    page.wait_for_selector("#grid .card")
    assert page.problems == []


def test_filters_change_what_is_shown(scanned, page):
    records = read_results(scanned)
    ok = [r for r in records if r["status"] == "ok"]
    open_report(page, (scanned / "report.html").as_uri())

    def shown() -> set[str]:
        return set(card_names(page))

    def names(rs) -> set[str]:
        return {Path(r["image"]).name for r in rs}

    for label in sorted({r["identification"]["label"] for r in ok}):
        page.select_option("#f-label", label)
        assert shown() == names(r for r in ok if r["identification"]["label"] == label)
    page.select_option("#f-label", "error")
    assert shown() == names(r for r in records if r["status"] == "error")
    page.select_option("#f-label", "")
    page.select_option("#f-cue", "yellow_bands")
    page.select_option("#f-state", "present")
    assert shown() == names(r for r in ok if r["cues"]["yellow_bands"]["state"] == "present")
    page.select_option("#f-cue", "")
    page.select_option("#f-state", "absent")
    assert shown() == names(r for r in ok if any(c["state"] == "absent" for c in r["cues"].values()))
    page.select_option("#f-state", "")
    threshold = sorted(r["identification"]["confidence"] for r in ok)[len(ok) // 2]
    page.fill("#f-min", str(threshold))
    wait_js(page, "document.querySelectorAll('.card').length < %d" % len(records))
    assert shown() == names(r for r in ok if r["identification"]["confidence"] >= threshold)
    page.fill("#f-min", "0")
    page.fill("#f-text", "toofan")
    wait_js(page, "document.querySelectorAll('.card').length === %d" % len(names(r for r in records if "toofan" in Path(r["image"]).name)))
    page.select_option("#f-sort", "name")
    page.fill("#f-text", "")
    wait_js(page, "document.querySelectorAll('.card').length === %d" % len(records))
    assert card_names(page) == sorted(card_names(page))
    assert page.problems == []


def test_markup_in_a_file_name_shows_as_text(tmp_path, page):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SAMPLES / "synthetic" / "toofan_001.jpg", inputs / PAYLOAD_NAME)
    out = tmp_path / "out"
    run_scan([inputs], out, progress=False)
    open_report(page, (out / "report.html").as_uri())
    assert card_names(page) == [PAYLOAD_NAME]
    assert page.locator('img[src="x"]').count() == 0
    page.locator(".card").first.click()
    page.wait_for_selector("#cue-table")
    assert page.locator("#photo-title").text_content() == PAYLOAD_NAME
    wait_js(page, "document.querySelector('#original-image') && document.querySelector('#original-image').complete")
    assert image_loaded(page, "#original-image"), "the percent-encoded link finds the file"
    assert page.locator('img[src="x"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "markup-file-name.png"))
    assert page.problems == []


def test_a_verdict_survives_a_server_restart(scanned, tmp_path, page):
    folder = tmp_path / "scan"
    shutil.copytree(scanned, folder)
    with ReviewServer(folder) as server:
        open_report(page, server.url + "#photo/0")
        page.wait_for_selector("body.reviewing .photo-verdict")
        page.fill(".photo-verdict textarea", "tape and three bands visible")
        page.click(".photo-verdict button[data-verdict=confirm]")
        page.click("tr[data-cue=green_seal_tape] button[data-verdict=reject]")
        wait_js(page, "[...document.querySelectorAll('.verdict-box .saved')].filter(s => s.textContent.startsWith('saved')).length === 2")
        wait_js(page, "document.querySelector('#original-image').complete")
        assert image_loaded(page, "#original-image"), "the server serves the original by record number"
        page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)
    # a new server, a new session token, a new page
    page.goto("about:blank")
    with ReviewServer(folder) as server:
        open_report(page, server.url + "#photo/0")
        page.wait_for_selector("body.reviewing .photo-verdict")
        assert page.get_attribute(".photo-verdict button[data-verdict=confirm]", "aria-pressed") == "true"
        assert page.input_value(".photo-verdict textarea") == "tape and three bands visible"
        assert page.get_attribute("tr[data-cue=green_seal_tape] button[data-verdict=reject]", "aria-pressed") == "true"
        page.click("#back")
        page.select_option("#f-verdict", "confirm")
        assert card_names(page) == [Path(read_results(folder)[0]["image"]).name]
    assert page.problems == []


def test_ten_thousand_photos_stay_responsive(scanned, tmp_path, page):
    """Generous bounds; the figures are written to test-artifacts/report-10k.json."""
    base = [r for r in read_results(scanned) if r["status"] == "ok"]
    records = []
    for i in range(10_000):
        r = copy.deepcopy(base[i % len(base)])
        r["image"] = f"photos/set{i // 1000}/photo_{i:05d}.jpg"
        r["identification"]["confidence"] = (i * 7919 % 10_000) / 10_000
        r["overlay"] = None
        records.append(r)
    t0 = time.perf_counter()
    report = write_html_report(tmp_path, records)
    generate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    open_report(page, report.as_uri())
    open_s = time.perf_counter() - t0
    assert page.locator(".card").count() == 120, "the gallery renders one page of cards at a time"
    page.locator("#more-sentinel").scroll_into_view_if_needed()
    wait_js(page, "document.querySelectorAll('.card').length >= 240")
    t0 = time.perf_counter()
    page.fill("#f-min", "0.9")
    wait_js(page, "document.querySelector('#count').textContent.includes('of 1000 matching')")
    filter_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    page.locator(".card").first.click()
    page.wait_for_selector("#cue-table")
    detail_s = time.perf_counter() - t0
    figures = {
        "records": len(records),
        "report_bytes": report.stat().st_size,
        "generate_s": round(generate_s, 3),
        "open_s": round(open_s, 3),
        "filter_s": round(filter_s, 3),
        "first_photo_page_s": round(detail_s, 3),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report-10k.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(figures)
    assert generate_s < 30 and open_s < 10 and filter_s < 5 and detail_s < 5, figures
    assert page.problems == []
