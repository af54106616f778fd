"""Reviewers' verdicts: a local web server over a scan folder, and the SQLite store behind it.

``vision review DIR`` serves ``DIR/report.html`` (see :mod:`vision.html_report`) on
``http://127.0.0.1:PORT/``; the page then lets a reviewer record, for each photo and for
each cue, a verdict on the tool's finding (``confirm``, ``reject`` or ``unsure``) with a
note. Verdicts live in ``DIR/verdicts.sqlite`` (WAL mode, one connection per request), so
they survive restarts and concurrent requests; every change is also appended to a log
table. ``vision review DIR --export FILE`` writes them as labels that ``vision eval`` and
``vision calibrate`` read (:func:`verdict_labels`).

What the server will do, and nothing else:

- ``GET`` files inside ``DIR`` (the report, overlays, thumbnails). A path with a ``..``
  segment, encoded or not, is refused (403), and so is one that resolves, through a
  symbolic link, outside ``DIR``; hidden files and the database are not served (404).
- ``GET /originals/N``: the original photo of record ``N`` of ``results.jsonl``, only when
  the file's bytes still have the SHA-256 the scan recorded. Photos are chosen by record
  number, never by a path from the request.
- ``GET /api/session``: the verdicts so far and this server session's token.
- ``POST /api/verdict``: a JSON body ``{"token", "image", "cue", "verdict", "note"}``.
  Refused unless the ``Origin`` (or, without one, the ``Referer``) is this server's own
  origin, the body is JSON and carries the session token; a cross-site form post fails
  on each count.

Every request must name this server in its ``Host`` header (against DNS rebinding).
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import hmac
import json
import mimetypes
import os
import secrets
import sqlite3
import sys
import threading
from collections import Counter
from contextlib import closing
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import unquote

from .html_report import REPORT_NAME, write_html_report
from .io import IMAGE_SUFFIXES
from .labels import BANDS_IN_PATTERN, CSV_COLUMNS
from .report import read_results

__all__ = [
    "DB_NAME",
    "VERDICTS",
    "ReviewServer",
    "VerdictStore",
    "export_verdicts",
    "serve",
    "verdict_labels",
]

#: The verdicts database, inside the scan folder.
DB_NAME = "verdicts.sqlite"
#: What a reviewer can say about a finding.
VERDICTS = ("confirm", "reject", "unsure")
#: Largest POST body accepted, in bytes.
MAX_BODY = 64 * 1024
#: Longest note accepted, in characters.
MAX_NOTE = 4000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS verdicts (
    image   TEXT NOT NULL,             -- the record's image path, as in results.jsonl
    cue     TEXT NOT NULL,             -- '' for the photo's identification, else a cue name
    sha256  TEXT,                      -- of the photo, when the verdict was given
    finding TEXT,                      -- what was judged: the label, or the cue's state
    verdict TEXT CHECK (verdict IS NULL OR verdict IN ('confirm', 'reject', 'unsure')),
    note    TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY (image, cue)
);
CREATE TABLE IF NOT EXISTS verdict_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    image   TEXT NOT NULL, cue TEXT NOT NULL, sha256 TEXT, finding TEXT,
    verdict TEXT, note TEXT NOT NULL, updated TEXT NOT NULL
);
"""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class VerdictStore:
    """Verdicts in an SQLite file; safe to use from many threads (one connection per call).

    Parameters
    ----------
    path : str or Path
        The database file (created with its tables when missing).

    Examples
    --------
    >>> import tempfile, os
    >>> store = VerdictStore(os.path.join(tempfile.mkdtemp(), "v.sqlite"))
    >>> store.put("a.jpg", "", "confirm", note="tape visible", finding="toofan")["verdict"]
    'confirm'
    >>> store.all()["a.jpg"][""]["note"]
    'tape visible'
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with closing(self._connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        return db

    def put(
        self,
        image: str,
        cue: str,
        verdict: str | None,
        *,
        note: str = "",
        finding: str | None = None,
        sha256: str | None = None,
    ) -> dict[str, Any] | None:
        """Record (or, with no verdict and no note, clear) a verdict; returns the stored row.

        Parameters
        ----------
        image : str
            The record's image path.
        cue : str
            ``""`` for the photo's identification, else the cue name.
        verdict : {"confirm", "reject", "unsure"} or None
        note : str
        finding : str or None
            What was judged (the identification's label or the cue's state).
        sha256 : str or None
            The photo's digest.
        """
        if not isinstance(image, str) or not image:
            raise ValueError(f"image: expected a non-empty path string, got {image!r}")
        if not isinstance(cue, str):
            raise TypeError(f"cue: expected a str ('' for the photo), got {type(cue).__name__}")
        if verdict is not None and verdict not in VERDICTS:
            raise ValueError(f"verdict: expected one of {VERDICTS} or None, got {verdict!r}")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise ValueError(f"note: expected a str of at most {MAX_NOTE} characters")
        row = {"image": image, "cue": cue, "sha256": sha256, "finding": finding, "verdict": verdict, "note": note, "updated": _now()}
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if verdict is None and not note:
                    db.execute("DELETE FROM verdicts WHERE image = ? AND cue = ?", (image, cue))
                else:
                    db.execute(
                        "INSERT INTO verdicts (image, cue, sha256, finding, verdict, note, updated) "
                        "VALUES (:image, :cue, :sha256, :finding, :verdict, :note, :updated) "
                        "ON CONFLICT (image, cue) DO UPDATE SET sha256 = excluded.sha256, finding = excluded.finding, "
                        "verdict = excluded.verdict, note = excluded.note, updated = excluded.updated",
                        row,
                    )
                db.execute(
                    "INSERT INTO verdict_log (image, cue, sha256, finding, verdict, note, updated) "
                    "VALUES (:image, :cue, :sha256, :finding, :verdict, :note, :updated)",
                    row,
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return None if verdict is None and not note else row

    def all(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every current verdict: ``{image: {cue: row}}`` (``cue == ""`` is the photo's)."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        with closing(self._connect()) as db:
            for row in db.execute("SELECT image, cue, sha256, finding, verdict, note, updated FROM verdicts ORDER BY image, cue"):
                out.setdefault(row["image"], {})[row["cue"]] = dict(row)
        return out


# ----------------------------------------------------------------------------------------
# Verdicts as labels for `vision eval` / `vision calibrate` (see vision/labels.py)
# ----------------------------------------------------------------------------------------


def _truth(finding_positive: bool, verdict: str | None) -> bool | None:
    """What a verdict says is true: confirm keeps the finding, reject flips it, unsure says nothing."""
    if verdict == "confirm":
        return finding_positive
    if verdict == "reject":
        return not finding_positive
    return None


def _record_label(record: Mapping[str, Any], verdicts: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    photo = verdicts.get("")
    if not photo or not photo.get("finding"):
        return None
    toofan = _truth(not str(photo["finding"]).startswith("not_"), photo.get("verdict"))
    if toofan is None:
        return None
    label: dict[str, Any] = {"toofan": int(toofan)}
    cues = record.get("cues") or {}
    for cue, given in verdicts.items():
        finding = given.get("finding")
        if not cue or finding not in ("present", "absent"):
            continue  # a not-assessable cue's verdict says nothing about what is there
        truth = _truth(finding == "present", given.get("verdict"))
        if truth is None:
            continue
        fields = cues.get(cue) or {}
        if cue == "green_seal_tape":
            label["green_seal_tape"] = int(truth)
        elif cue == "yellow_bands":
            label["yellow_bands"] = BANDS_IN_PATTERN if truth else 0  # a count of bands in a row
        elif cue == "dark_green_cover":
            if truth:
                label["cover"] = "dark_green"
            elif finding == "absent" and fields.get("colour") not in (None, "dark_green"):
                label["cover"] = fields["colour"]  # confirmed: the measured colour is right
        elif cue == "serial_4_letter" and truth and fields.get("text"):
            label["serial"] = str(fields["text"])
    return label


def verdict_labels(records: Sequence[Mapping[str, Any]], verdicts: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Turn verdicts into labels, one per photo whose identification was confirmed or rejected.

    The photo's verdict judges the identification: confirming ``toofan`` or rejecting
    ``not_toofan`` gives ``toofan = 1``, the reverse gives 0; ``unsure`` (or no verdict)
    leaves the photo out. A cue's verdict judges its state the same way:
    ``green_seal_tape`` 0/1, ``yellow_bands`` 3 (the pattern, as a count of bands in a row)
    or 0, ``cover`` ``dark_green`` when the dark green cover is confirmed, ``serial`` the
    text read when a present serial is confirmed. Verdicts on not-assessable cues, and
    ``unsure``, label nothing.

    ``image`` is the file name, or the recorded path when two photos share a name.

    Parameters
    ----------
    records : sequence of mappings
        ``results.jsonl`` records.
    verdicts : mapping
        ``{image: {cue: row}}`` as from :meth:`VerdictStore.all`.

    Returns
    -------
    list of dict
        Keys from the labels CSV columns (:data:`vision.labels.CSV_COLUMNS`); a key is
        missing when the verdicts did not say.
    """
    labelled = []
    for record in records:
        image = str(record.get("image", ""))
        label = _record_label(record, verdicts.get(image) or {})
        if label is not None:
            labelled.append((image, label))
    names = Counter(Path(image).name for image, _ in labelled)
    return [{"image": Path(image).name if names[Path(image).name] == 1 else Path(image).as_posix(), **label} for image, label in labelled]


def export_verdicts(out_dir: str | Path, target: str | Path) -> int:
    """Write the verdicts of a scan folder as labels; returns the number of photos written.

    ``.csv``: the labels CSV (``image,toofan,green_seal_tape,yellow_bands,serial,cover``,
    empty cells where the verdicts did not say). ``.json``: the project's labels format
    (``{"schema_version": "1", "images": [...]}``) with only the keys the verdicts decided.
    """
    out = Path(out_dir)
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ValueError(f"export: expected a .csv or .json file name, got {str(target)!r}")
    store = VerdictStore(out / DB_NAME)
    labels = verdict_labels(read_results(out), store.all())
    if suffix == ".csv":
        with target.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for label in labels:
                writer.writerow(["" if label.get(c) is None else label[c] for c in CSV_COLUMNS])
    else:
        target.write_text(json.dumps({"schema_version": "1", "images": labels}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(labels)


# ----------------------------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------------------------
class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


_LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class ReviewServer:
    """The review web server over one scan folder.

    Parameters
    ----------
    out_dir : str or Path
        A scan folder holding ``results.jsonl`` (``report.html`` is written when missing).
    host : str
        Address to bind; loopback by default. An unspecified address (``0.0.0.0``) is
        refused: give the address the reviewers will use.
    port : int
        0 picks a free port (see :attr:`url`).
    log : bool
        Print one line per request to standard error.

    Examples
    --------
    ::

        with ReviewServer("scan-out") as server:   # serves in a background thread
            print(server.url)
    """

    def __init__(self, out_dir: str | Path, *, host: str = "127.0.0.1", port: int = 0, log: bool = False) -> None:
        root = Path(out_dir)
        if not (root / "results.jsonl").is_file():
            raise ValueError(f"out_dir: expected a scan folder with results.jsonl, got {str(root)!r}")
        if host in ("", "0.0.0.0", "::"):
            raise ValueError(f"host: expected the address to bind (e.g. 127.0.0.1), got {host!r}")
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port: expected an int in 0..65535, got {port!r}")
        self.root = Path(os.path.realpath(root))
        self.records = read_results(self.root)
        self.by_image = {str(r.get("image")): r for r in self.records}
        if not (self.root / REPORT_NAME).is_file():
            write_html_report(self.root, self.records)
        self.store = VerdictStore(self.root / DB_NAME)
        self.token = secrets.token_urlsafe(32)
        self.log = log
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.review = self  # type: ignore[attr-defined]
        self.host = host
        self.port = int(self.httpd.server_address[1])
        names = {host, *(_LOOPBACK_NAMES if host in _LOOPBACK_NAMES else ())}
        self.allowed_hosts = {f"{name}:{self.port}" for name in names}
        self.allowed_origins = {f"http://{h}" for h in self.allowed_hosts}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def serve_forever(self) -> None:
        """Serve until :meth:`stop` (or KeyboardInterrupt) in this thread."""
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self.httpd.server_close()

    def start(self) -> "ReviewServer":
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="vision-review", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> "ReviewServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what the handler asks ------------------------------------------------------------
    def static_file(self, raw_path: str) -> Path:
        """The file inside the folder that a request path names; raises _Refused otherwise."""
        if "\\" in raw_path or "\x00" in raw_path:
            raise _Refused(HTTPStatus.BAD_REQUEST, "malformed path")
        decoded = unquote(raw_path, errors="strict")
        if "\x00" in decoded or "\\" in decoded:
            raise _Refused(HTTPStatus.BAD_REQUEST, "malformed path")
        parts = [p for p in decoded.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise _Refused(HTTPStatus.FORBIDDEN, "path leaves the served folder")
        if any(p.startswith(".") for p in parts) or (parts and parts[0].startswith(DB_NAME)):
            raise _Refused(HTTPStatus.NOT_FOUND, "not found")
        target = Path(os.path.realpath(self.root.joinpath(*parts) if parts else self.root / REPORT_NAME))
        if target != self.root and self.root not in target.parents:
            raise _Refused(HTTPStatus.FORBIDDEN, "path leaves the served folder")
        if not target.is_file():
            raise _Refused(HTTPStatus.NOT_FOUND, "not found")
        return target

    def original(self, number: str) -> Path:
        """Record ``number``'s photo, when its bytes still match the scan's SHA-256."""
        if not number.isdigit() or int(number) >= len(self.records):
            raise _Refused(HTTPStatus.NOT_FOUND, "no such record")
        record = self.records[int(number)]
        image, digest = record.get("image"), record.get("sha256")
        if not image or not digest or Path(str(image)).suffix.lower() not in IMAGE_SUFFIXES:
            raise _Refused(HTTPStatus.NOT_FOUND, "no original photo for this record")
        path = Path(str(image))
        candidates = [path] if path.is_absolute() else [Path.cwd() / path, self.root / path, self.root.parent / path]
        for candidate in candidates:
            if candidate.is_file():
                if hashlib.sha256(candidate.read_bytes()).hexdigest() != digest:
                    raise _Refused(HTTPStatus.CONFLICT, "the photo changed since the scan (SHA-256 differs)")
                return candidate
        raise _Refused(HTTPStatus.NOT_FOUND, "original photo not found")

    def check_host(self, host: str | None) -> None:
        if host not in self.allowed_hosts:
            raise _Refused(HTTPStatus.MISDIRECTED_REQUEST, "unexpected Host header")

    def check_origin(self, origin: str | None, referer: str | None) -> None:
        if origin is not None:
            if origin not in self.allowed_origins:
                raise _Refused(HTTPStatus.FORBIDDEN, "cross-site request refused (Origin)")
            return
        if referer is None or not any(referer == o or referer.startswith(o + "/") for o in self.allowed_origins):
            raise _Refused(HTTPStatus.FORBIDDEN, "cross-site request refused (no Origin; Referer is not this server)")

    def record_verdict(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        token = body.get("token")
        if not isinstance(token, str) or not hmac.compare_digest(token, self.token):
            raise _Refused(HTTPStatus.FORBIDDEN, "missing or wrong session token")
        image, cue = body.get("image"), body.get("cue", "")
        record = self.by_image.get(image) if isinstance(image, str) else None
        if record is None or record.get("status") != "ok":
            raise _Refused(HTTPStatus.BAD_REQUEST, "image: not an analysed photo of this scan")
        cues = record.get("cues") or {}
        if not isinstance(cue, str) or (cue and cue not in cues):
            raise _Refused(HTTPStatus.BAD_REQUEST, f"cue: expected '' or one of {sorted(cues)}")
        finding = (record.get("identification") or {}).get("label") if not cue else cues[cue].get("state")
        try:
            return self.store.put(image, cue, body.get("verdict"), note=body.get("note") or "", finding=finding, sha256=record.get("sha256"))
        except (TypeError, ValueError) as exc:
            raise _Refused(HTTPStatus.BAD_REQUEST, str(exc)) from None


class _Handler(BaseHTTPRequestHandler):
    server_version = "vision-review"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    @property
    def review(self) -> ReviewServer:
        return self.server.review  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.review.log:
            sys.stderr.write(f"review: {self.address_string()} {format % args}\n")

    # -- responses ------------------------------------------------------------------------
    def _headers(self, status: HTTPStatus, content_type: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "same-origin")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _json(self, status: HTTPStatus, value: Any) -> None:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self._headers(status, "application/json; charset=utf-8", len(body))
        self.wfile.write(body)

    def _file(self, path: Path) -> None:
        data = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        self._headers(HTTPStatus.OK, kind, len(data))
        self.wfile.write(data)

    def _refuse(self, exc: _Refused) -> None:
        self._json(exc.status, {"ok": False, "error": str(exc)})

    # -- methods --------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        try:
            self.review.check_host(self.headers.get("Host"))
            if path == "/api/session":
                self._json(HTTPStatus.OK, {"token": self.review.token, "database": DB_NAME, "verdicts": self.review.store.all()})
            elif path.startswith("/originals/"):
                self._file(self.review.original(path[len("/originals/"):]))
            else:
                self._file(self.review.static_file(path))
        except _Refused as exc:
            self._refuse(exc)
        except UnicodeDecodeError:
            self._refuse(_Refused(HTTPStatus.BAD_REQUEST, "malformed path"))

    def do_POST(self) -> None:  # noqa: N802
        try:
            self.review.check_host(self.headers.get("Host"))
            self.review.check_origin(self.headers.get("Origin"), self.headers.get("Referer"))
            if self.path != "/api/verdict":
                raise _Refused(HTTPStatus.NOT_FOUND, "not found")
            if self.headers.get_content_type() != "application/json":
                raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected a JSON body (Content-Type: application/json)")
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                raise _Refused(HTTPStatus.LENGTH_REQUIRED, "Content-Length required") from None
            if not 0 < length <= MAX_BODY:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body must be 1 to {MAX_BODY} bytes")
            try:
                body = json.loads(self.rfile.read(length).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise _Refused(HTTPStatus.BAD_REQUEST, "body is not JSON") from None
            if not isinstance(body, dict):
                raise _Refused(HTTPStatus.BAD_REQUEST, "body must be a JSON object")
            self._json(HTTPStatus.OK, {"ok": True, "verdict": self.review.record_verdict(body)})
        except _Refused as exc:
            self.close_connection = True  # the unread body, if any, must not be taken for a request
            self._refuse(exc)


def serve(out_dir: str | Path, *, host: str = "127.0.0.1", port: int = 0, log: bool = True) -> None:
    """Run the review server in this thread until interrupted (the ``vision review`` command)."""
    server = ReviewServer(out_dir, host=host, port=port, log=log)
    print(f"vision: reviewing {server.root} at {server.url} (verdicts in {server.root / DB_NAME}; Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("vision: review server stopped", file=sys.stderr)
