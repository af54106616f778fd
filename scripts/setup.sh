#!/usr/bin/env bash
# Create the project's virtual environment (.venv) and install vision with its test extras.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "setup: vision $(.venv/bin/python -c 'import vision; print(vision.__version__)') installed in .venv"
# The browser tests (tests/test_browser.py) drive Debian's Chromium with Playwright; Playwright's
# own browser download cannot work on this project's machines, so never run `playwright install`.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing; the browser tests need it: sudo apt-get install chromium" >&2
  fi
fi
# The serial_4_letter cue reads stencils with Tesseract in process (the tesserocr wheel, installed
# above, bundles the library); the English model comes from Debian's tesseract-ocr (its
# tesseract-ocr-eng); nothing is downloaded at run time. vision.ocr says whether both are there.
if ! .venv/bin/python -c 'import sys, vision.ocr as o; sys.exit(o.tesseract_path() is None)' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's tesseract-ocr (the English model) for the serial_4_letter cue"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null
  else
    echo "setup: Tesseract's English model (eng.traineddata) is missing; the serial_4_letter cue needs it: sudo apt-get install tesseract-ocr" >&2
  fi
fi
