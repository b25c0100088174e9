"""The decision log: every decision the service made, in an embedded SQLite database.

SQLite in WAL mode, not DuckDB: the log is written a few hundred rows at a time, many times a
second, while `ttrules log` and `simulate` read it; WAL gives one writer beside any number of
readers without blocking either, and each committed batch survives a killed process. DuckDB
is built for the opposite (bulk columnar scans, one writing process holding the file). The
simulator still reads the log with its columnar engine: the inputs are copied out like a
JSON Lines history.

Writes are batched off the request path by `LogWriter`, a thread. What a crash can lose is
what was acknowledged but not yet committed: at most `flush_every` seconds of decisions (and
never more than the queue holds); a SIGTERM drains the queue first (docs/serve.md).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

SCHEMA_VERSION = "1"
SQLITE_MAGIC = b"SQLite format 3\x00"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    case_id TEXT,
    input_sha256 TEXT NOT NULL,
    input TEXT,
    resolution TEXT,
    rules TEXT NOT NULL,
    decision TEXT NOT NULL,
    lock_sha256 TEXT,
    revision TEXT,
    latency_us INTEGER NOT NULL,
    shadow_label TEXT,
    shadow_resolution TEXT,
    shadow_decision TEXT
);
CREATE INDEX IF NOT EXISTS decisions_by_case ON decisions (case_id);
CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (received_at);
"""
COLUMNS = (
    "received_at",
    "endpoint",
    "case_id",
    "input_sha256",
    "input",
    "resolution",
    "rules",
    "decision",
    "lock_sha256",
    "revision",
    "latency_us",
    "shadow_label",
    "shadow_resolution",
    "shadow_decision",
)
_INSERT = f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


class LogError(Exception):
    """The log cannot be opened or is not a ttrules decision log."""


def connect(path: Path, *, write: bool = False) -> sqlite3.Connection:
    if not write:
        if not path.is_file():
            raise LogError(f"{path}: no such file")
        with path.open("rb") as handle:
            if handle.read(16) != SQLITE_MAGIC:
                raise LogError(f"{path}: not a SQLite database")
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(path, check_same_thread=False)
            con.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL: a committed batch survives a killed process; only a power cut may
            # take the last ones back (FULL would fsync every batch).
            con.execute("PRAGMA synchronous = NORMAL")
            con.execute("PRAGMA busy_timeout = 5000")
            con.executescript(_DDL)
            con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            con.commit()
        else:
            con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            con.execute("PRAGMA busy_timeout = 5000")
            found = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if found is None:
                raise LogError(f"{path}: not a ttrules decision log (no schema version)")
    except sqlite3.DatabaseError as error:
        raise LogError(f"{path}: {error}") from None
    return con


@dataclass(frozen=True, slots=True)
class Entry:
    """One decision as the request path hands it over; encoded by the writer thread."""

    received_at: float  # Unix seconds
    endpoint: str
    case_id: str | None
    input_text: str  # the case JSON as received
    input_sha256: str
    resolution: str | None
    rules: list[str]  # the winning rules of every slot, by label
    decision: str  # its JSON text, as answered
    lock_sha256: str | None
    revision: str | None
    latency_us: int
    shadow: Callable[[], tuple[str, str | None, str]] | None = None  # decided by the writer


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Sink:
    """Where encoded rows go: a SQLite log or a JSON Lines file."""

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteSink(Sink):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = connect(path, write=True)

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        with self.con:  # one transaction per batch
            self.con.executemany(_INSERT, rows)

    def close(self) -> None:
        self.con.close()


class JsonlSink(Sink):
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle: IO[str] = path.open("a", encoding="utf-8")

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            item = dict(zip(COLUMNS, row, strict=True))
            for name in ("rules", "decision", "shadow_decision"):
                if item[name] is not None:
                    item[name] = json.loads(item[name])
            self.handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def open_sink(path: Path) -> Sink:
    return JsonlSink(path) if path.name.endswith((".jsonl", ".ndjson")) else SqliteSink(path)


class LogFull(Exception):
    """The writer is too far behind: the decision is not given out unlogged."""


class LogWriter:
    """A thread that takes entries from a bounded queue and commits them in batches."""

    def __init__(
        self,
        sink: Sink,
        *,
        mask: Callable[[str], str | None] = lambda text: text,
        flush_every: float = 0.05,
        batch_size: int = 2000,
        capacity: int = 100_000,
        on_error: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.sink = sink
        self.mask = mask
        self.flush_every = flush_every
        self.batch_size = batch_size
        self.queue: queue.Queue[Entry | list[Entry] | None] = queue.Queue(maxsize=capacity)
        self.on_error = on_error
        self.written = 0
        self.failed_batches = 0
        self._received: tuple[float | None, str] = (None, "")
        self.capacity = capacity
        self._rules_cache: dict[tuple[str, ...], str] = {}
        self._batched = 0  # entries in queued lists beyond the one item each list counts as
        self._batched_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="ttrules-decision-log", daemon=True)
        self._thread.start()

    def put(self, entry: Entry, timeout: float = 1.0) -> None:
        try:
            self.queue.put(entry, timeout=timeout)
        except queue.Full:
            raise LogFull("the decision log is behind; try again") from None

    def put_many(self, entries: list[Entry]) -> None:
        """A batch's entries as one item of the queue: one hand-over instead of one per case
        (the queue's lock is a good part of an entry's cost on the request path). The queue's
        bound counts entries, so a batch that would pass it is refused whole."""
        if not entries:
            return
        with self._batched_lock:
            if self.depth + len(entries) > self.capacity:
                raise LogFull("the decision log is behind; try again")
            self._batched += len(entries) - 1  # the queue counts the list as one item
        try:
            self.queue.put_nowait(entries)
        except queue.Full:
            with self._batched_lock:
                self._batched -= len(entries) - 1
            raise LogFull("the decision log is behind; try again") from None

    @property
    def depth(self) -> int:
        """Entries waiting to be written (a batch's list counts as its entries)."""
        return self.queue.qsize() + self._batched

    def close(self) -> None:
        """Drain everything queued, commit it, and stop (SIGTERM comes here)."""
        self.queue.put(None)
        self._thread.join()
        self.sink.close()

    def _encode(self, entry: Entry) -> tuple[Any, ...]:
        shadow_label = shadow_resolution = shadow_decision = None
        if entry.shadow is not None:
            try:
                shadow_label, shadow_resolution, shadow_decision = entry.shadow()
            except Exception as error:  # a shadow never stops the live log
                shadow_label, shadow_decision = "error", json.dumps({"error": str(error)})
        seconds, text = self._received  # a batch's entries share their received time
        if seconds != entry.received_at:
            text = iso(entry.received_at)
            self._received = (entry.received_at, text)
        return (
            text,
            entry.endpoint,
            entry.case_id,
            entry.input_sha256,
            self.mask(entry.input_text),
            entry.resolution,
            self._rules_text(entry.rules),
            entry.decision,
            entry.lock_sha256,
            entry.revision,
            entry.latency_us,
            shadow_label,
            shadow_resolution,
            shadow_decision,
        )

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[Entry] = []
            deadline = time.monotonic() + self.flush_every
            while len(batch) < self.batch_size:
                timeout = deadline - time.monotonic()
                try:
                    entry = (
                        self.queue.get(timeout=max(timeout, 0)) if timeout > 0 else self.queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if entry is None:
                    stopping = True
                    # Drain: everything put before the stop is written.
                    while True:
                        try:
                            rest = self.queue.get_nowait()
                        except queue.Empty:
                            break
                        if isinstance(rest, list):
                            batch.extend(rest)
                            with self._batched_lock:
                                self._batched -= len(rest) - 1
                        elif rest is not None:
                            batch.append(rest)
                    break
                if isinstance(entry, list):
                    batch.extend(entry)
                    with self._batched_lock:
                        self._batched -= len(entry) - 1
                else:
                    batch.append(entry)
            if batch:
                self._commit(batch)

    def _rules_text(self, rules: list[str]) -> str:
        """The winning rules as JSON: a stack has few distinct sets of them, and encoding the
        list was a good part of writing an entry."""
        key = tuple(rules)
        text = self._rules_cache.get(key)
        if text is None:
            if len(self._rules_cache) >= 10_000:
                self._rules_cache.clear()
            text = self._rules_cache[key] = json.dumps(rules, ensure_ascii=False)
        return text

    def _commit(self, batch: list[Entry]) -> None:
        self._received = (None, "")
        rows = [self._encode(entry) for entry in batch]
        for attempt in range(3):
            try:
                self.sink.write(rows)
                self.written += len(rows)
                return
            except (sqlite3.Error, OSError) as error:
                if attempt == 2:
                    self.failed_batches += 1
                    self.on_error(f"decision log: {len(rows)} entries not written: {error}")
                else:
                    time.sleep(0.1 * (attempt + 1))


# ---- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    case_id: str | None = None
    rule: str | None = None  # a winning rule's label (layer/ruleset/rule or its name)
    since: str | None = None  # ISO 8601, inclusive
    until: str | None = None  # ISO 8601, exclusive
    disagreements: bool = False  # only where the shadow decided a different resolution
    limit: int | None = None


def query(path: Path, q: Query) -> Iterator[dict[str, Any]]:
    con = connect(path)
    where, params = [], []
    if q.case_id is not None:
        where.append("case_id = ?")
        params.append(q.case_id)
    if q.rule is not None:
        where.append("EXISTS (SELECT 1 FROM json_each(rules) WHERE value = ? OR value LIKE ? ESCAPE '\\')")
        escaped = q.rule.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params += [q.rule, f"%/{escaped}"]
    if q.since is not None:
        where.append("received_at >= ?")
        params.append(_normal_time(q.since))
    if q.until is not None:
        where.append("received_at < ?")
        params.append(_normal_time(q.until))
    if q.disagreements:
        where.append("shadow_decision IS NOT NULL AND shadow_resolution IS NOT resolution")
    sql = "SELECT seq, " + ", ".join(COLUMNS) + " FROM decisions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq"
    if q.limit is not None:
        sql += f" LIMIT {int(q.limit)}"
    try:
        with contextlib.closing(con):
            for row in con.execute(sql, params):
                item = dict(zip(("seq", *COLUMNS), row, strict=True))
                for name in ("rules", "decision", "shadow_decision"):
                    if item[name] is not None:
                        item[name] = json.loads(item[name])
                yield item
    except sqlite3.DatabaseError as error:
        raise LogError(f"{path}: {error}") from None


def _normal_time(text: str) -> str:
    """A user's timestamp in the log's spelling (UTC, microseconds, Z), so text order is time order."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise LogError(
            f"`{text}` is not an ISO 8601 time (like 2026-12-01 or 2026-12-01T08:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso(parsed.timestamp())


def logged_inputs(path: Path) -> Iterator[tuple[int, str | None]]:
    """(seq, case JSON or None when inputs were not logged), in the order decided."""
    con = connect(path)
    try:
        with contextlib.closing(con):
            yield from con.execute("SELECT seq, input FROM decisions ORDER BY seq")
    except sqlite3.DatabaseError as error:
        raise LogError(f"{path}: {error}") from None
