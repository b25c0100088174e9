"""The HTTP API of `ttrules serve`, on Starlette (served by uvicorn).

Starlette rather than FastAPI: the case is validated by ttrules' own loader (the one `explain`
and `simulate` use, with its error messages), so FastAPI's request models would validate
twice and cost per request what the decision costs. Handlers decide on the event loop (a
decision takes tens of microseconds, less than handing it to a thread); a batch goes to a
thread so that it does not hold up single decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ttrules.case_files import loads, raw_decode
from ttrules.decision_log import Entry, LogFull, LogWriter
from ttrules.evaluate.decision import Decision
from ttrules.evaluate.explain import decision_json
from ttrules.schema.case import CaseError
from ttrules.schema.loader import load_values
from ttrules.serve.live import Live, Served
from ttrules.serve.metrics import Metrics
from ttrules.serve.tiktok import TikTokError, decide_tiktok

log = logging.getLogger("ttrules.serve")


@dataclass
class Limits:
    max_body: int = 1 << 20  # bytes of one case (or one TikTok request)
    max_batch_body: int = 64 << 20
    max_batch: int = 10_000  # cases in one batch


@dataclass
class ServeOptions:
    tokens: tuple[str, ...] = ()  # empty: no authentication (loopback only)
    limits: Limits = field(default_factory=Limits)
    watch_interval: float = 1.0  # seconds between looks at ttrules.lock; 0: never
    market: str | None = None  # for TikTok orders without a region code


class HttpError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.kind, self.extra = status, kind, extra


def _compact(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _json(body: Any, status: int = 200) -> Response:
    return Response(_compact(body), status_code=status, media_type="application/json")


def _problems(error: CaseError) -> list[dict[str, str]]:
    return [{"field": path, "message": message} for path, message in error.problems]


def winning_rules(decision: Decision) -> list[str]:
    values = [decision.resolution, decision.route, *decision.fulfillment, *decision.tags, *decision.notify]
    labels = [v.rule.label for v in values if v is not None and v.rule is not None]
    return list(dict.fromkeys(labels))


def _resolution(decision: Decision) -> str | None:
    return decision.resolution.action if decision.resolution is not None else None


def iter_batch(text: str) -> Iterator[tuple[int, str, Any | Exception]]:
    """(index, raw text, record or the error) per case of a JSON array or JSON Lines body."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from _iter_array(text)
        return
    index = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            yield index, line, loads(line)
        except (ValueError, RecursionError) as error:
            yield index, line, error
        index += 1


def _iter_array(text: str) -> Iterator[tuple[int, str, Any | Exception]]:
    """Each element of a JSON array with its own text (the log keeps what was sent)."""
    pos = text.index("[") + 1
    index = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos < len(text) and text[pos] == "]" and index == 0:
            return
        try:
            record, end = raw_decode(text, pos)
        except json.JSONDecodeError as error:
            raise HttpError(
                400, "bad_json", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from None
        except RecursionError:
            raise HttpError(400, "bad_json", f"JSON nested too deeply in case {index + 1}") from None
        yield index, text[pos:end], record
        index += 1
        pos = end
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        if pos < len(text) and text[pos] == "]":
            if text[pos + 1 :].strip():
                raise HttpError(400, "bad_json", "text after the end of the JSON array")
            return
        raise HttpError(400, "bad_json", f"expected `,` or `]` at character {pos + 1}")


@dataclass
class _Batch:
    """What a batch keeps until its end: the log entries and the decisions' counts."""

    entries: list[Entry] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)


class Service:
    def __init__(self, live: Live, writer: LogWriter | None, options: ServeOptions) -> None:
        self.live = live
        self.writer = writer
        self.options = options
        self.metrics = Metrics(lambda: writer.depth if writer is not None else 0)
        self._tokens = tuple(t.encode() for t in options.tokens)
        self._reload_lock = asyncio.Lock()

    # ---- plumbing --------------------------------------------------------------------

    def _authorize(self, request: Request) -> None:
        if not self._tokens:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        given = token.strip().encode()
        # Every token is compared, each in constant time: no early exit tells which was close.
        matched = False
        for known in self._tokens:
            matched |= hmac.compare_digest(given, known)
        if scheme.lower() != "bearer" or not matched:
            raise HttpError(401, "unauthorized", "a valid bearer token is required", headers=True)

    async def _body(self, request: Request, limit: int) -> str:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise HttpError(413, "too_large", f"the body is over the limit of {limit:,} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HttpError(413, "too_large", f"the body is over the limit of {limit:,} bytes")
            chunks.append(chunk)
        try:
            return b"".join(chunks).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise HttpError(400, "bad_encoding", f"the body is not UTF-8 (byte {error.start})") from None

    def _record(self, text: str) -> dict[str, Any]:
        try:
            record = loads(text)
        except json.JSONDecodeError as error:
            raise HttpError(
                400, "bad_json", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from None
        except RecursionError:
            raise HttpError(400, "bad_json", "JSON nested too deeply") from None
        if not isinstance(record, dict):
            raise HttpError(422, "invalid_case", f"a case must be a JSON object, not {type(record).__name__}")
        return record

    def _log(
        self,
        served: Served,
        endpoint: str,
        text: str,
        record: dict[str, Any],
        decision: Decision,
        body: str,
        started: float,
        received: float,
        into: list[Entry] | None = None,
    ) -> None:
        """The decision's log entry, handed to the writer, or kept in `into` (a batch hands its
        entries over at once)."""
        if self.writer is None:
            return
        shadow = self.live.shadow
        shadow_call = None
        if shadow is not None:
            values_hint = record

            def shadow_call() -> tuple[str, str | None, str]:
                values = load_values(values_hint, shadow.engine.stack.schema)
                decided, text = shadow.engine.decide_json(values)
                return shadow.label, _resolution(decided), text

        entry = Entry(
            received,
            endpoint,
            decision.case_id,
            text,
            hashlib.sha256(text.encode()).hexdigest(),
            _resolution(decision),
            winning_rules(decision),
            body,
            served.lock_sha256,
            served.revision,
            int((time.perf_counter() - started) * 1e6),
            shadow_call,
        )
        if into is None:
            self.writer.put(entry)
        else:
            into.append(entry)

    def _decide_one(
        self,
        served: Served,
        endpoint: str,
        text: str,
        record: dict[str, Any],
        explain: bool,
        received: float,
        started: float,
        batch: _Batch | None = None,
    ) -> str:
        """The decision's JSON text (the explanation needs the reference: not memoised); in a
        batch, its count and log entry are kept for the batch to hand over at once."""
        engine = served.engine
        values = load_values(record, engine.stack.schema)
        if explain:
            decision = engine.decide_values(values, explain=True)
            body = json.dumps(decision_json(decision), ensure_ascii=False, separators=(",", ":"))
        else:
            decision, body = engine.decide_json(values)
        if batch is None:
            self.metrics.decided(endpoint, decision)
            self._log(served, endpoint, text, record, decision, body, started, received)
        else:
            batch.counts[Metrics.labels_of(decision)] += 1
            self._log(served, endpoint, text, record, decision, body, started, received, batch.entries)
        return body

    def guarded(
        self, endpoint: str, handler: Callable[[Request], Any], *, auth: bool = True
    ) -> Callable[[Request], Any]:
        async def run(request: Request) -> Response:
            started = time.perf_counter()
            try:
                if auth:
                    self._authorize(request)
                response = await handler(request)
            except HttpError as error:
                self.metrics.error(endpoint, error.kind)
                headers = {"WWW-Authenticate": "Bearer"} if error.extra.pop("headers", None) else None
                response = _json({"error": error.kind, "message": str(error), **error.extra}, error.status)
                if headers:
                    response.headers.update(headers)
            except LogFull as error:
                self.metrics.error(endpoint, "log_full")
                response = _json({"error": "log_full", "message": str(error)}, 503)
            except Exception:  # never a traceback in a response: it goes to the server's log
                log.exception("internal error on %s", endpoint)
                self.metrics.error(endpoint, "internal")
                response = _json({"error": "internal", "message": "internal error (see the server log)"}, 500)
            self.metrics.observe(endpoint, time.perf_counter() - started)
            return response

        return run

    # ---- endpoints -------------------------------------------------------------------

    async def decide(self, request: Request) -> Response:
        received = time.time()
        started = time.perf_counter()
        text = await self._body(request, self.options.limits.max_body)
        record = self._record(text)
        explain = request.query_params.get("explain", "").lower() in ("1", "true", "yes")
        served = self.live.current
        try:
            body = self._decide_one(served, "decide", text, record, explain, received, started)
        except CaseError as error:
            raise HttpError(422, "invalid_case", str(error), problems=_problems(error)) from None
        return Response(body, media_type="application/json")

    async def batch(self, request: Request) -> Response:
        received = time.time()
        text = await self._body(request, self.options.limits.max_batch_body)
        explain = request.query_params.get("explain", "").lower() in ("1", "true", "yes")
        served = self.live.current
        body = await run_in_threadpool(self._batch, served, text, explain, received)
        return Response(body, media_type="application/json")

    def _batch(self, served: Served, text: str, explain: bool, received: float) -> str:
        """The batch's answer as JSON text: each decision's text is spliced in as rendered."""
        results: list[str] = []
        decided = 0
        batch = _Batch()

        def failed(index: int, kind: str, message: str, **extra: Any) -> None:
            results.append(_compact({"index": index, "error": kind, "message": message, **extra}))
            self.metrics.error("batch", kind)

        for index, raw, parsed in iter_batch(text):
            if index >= self.options.limits.max_batch:
                limit = self.options.limits.max_batch
                raise HttpError(413, "too_large", f"a batch holds at most {limit:,} cases")
            started = time.perf_counter()
            if isinstance(parsed, Exception):
                failed(index, "bad_json", f"invalid JSON: {parsed}")
            elif not isinstance(parsed, dict):
                failed(index, "invalid_case", f"a case must be a JSON object, not {type(parsed).__name__}")
            else:
                try:
                    body = self._decide_one(served, "batch", raw, parsed, explain, received, started, batch)
                except CaseError as error:
                    failed(index, "invalid_case", str(error), problems=_problems(error))
                else:
                    results.append(f'{{"index":{index},"decision":{body}}}')
                    decided += 1
        if self.writer is not None:
            self.writer.put_many(batch.entries)  # LogFull: the batch is answered 503, none logged
        self.metrics.decided_many("batch", batch.counts)
        return (
            f'{{"decided":{decided},"failed":{len(results) - decided},"results":[' + ",".join(results) + "]}"
        )

    async def tiktok(self, request: Request) -> Response:
        received = time.time()
        started = time.perf_counter()
        text = await self._body(request, self.options.limits.max_body)
        payload = self._record(text)
        served = self.live.current
        try:
            result = decide_tiktok(served.engine, payload, received, self.options.market)
        except TikTokError as error:
            raise HttpError(422, "invalid_request", str(error), problems=error.problems) from None
        except CaseError as error:
            raise HttpError(422, "invalid_case", str(error), problems=_problems(error)) from None
        self.metrics.decided("tiktok", result.decision)
        self._log(
            served,
            "tiktok",
            json.dumps(result.record, ensure_ascii=False, default=str),
            result.record,
            result.decision,
            _compact(result.body["decision"]),
            started,
            received,
        )
        return _json(result.body)

    async def stack(self, request: Request) -> Response:
        served = self.live.current
        stack = served.engine.stack
        shadow = self.live.shadow
        return _json(
            {
                "layers": list(stack.layers),
                "rulesets": [
                    {
                        "name": r.name,
                        "layer": r.layer,
                        "rules": len(r.rules),
                        "forbids": len(r.forbids),
                        "path": r.span.source.path if r.span else None,
                    }
                    for r in stack.rulesets
                ],
                "files": len(stack.files),
                "lock_sha256": served.lock_sha256,
                "revision": served.revision,
                "locked": served.locked,
                "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(served.loaded_at)),
                "reloads": self.live.reloads,
                "shadow": {"label": shadow.label} if shadow is not None else None,
            }
        )

    async def healthz(self, request: Request) -> Response:
        return _json({"ok": True})

    async def readyz(self, request: Request) -> Response:
        ready = self.writer is None or self.writer.depth < self.writer.capacity * 0.9
        body: dict[str, Any] = {
            "ready": ready,
            "lock_sha256": self.live.current.lock_sha256,
            "last_reload": {"ok": self.live.last_error is None, "error": self.live.last_error},
        }
        if self.writer is not None:
            body["log"] = {
                "queued": self.writer.depth,
                "written": self.writer.written,
                "failed_batches": self.writer.failed_batches,
            }
        return _json(body, 200 if ready else 503)

    async def metrics_endpoint(self, request: Request) -> Response:
        content, media_type = self.metrics.render(self.live)
        return Response(content, media_type=media_type)

    # ---- reload ------------------------------------------------------------------------

    async def reload(self, why: str) -> None:
        async with self._reload_lock:
            before = self.live.current.lock_sha256
            swapped = await asyncio.to_thread(self.live.reload)
            self.metrics.reloaded(swapped)
            if swapped:
                log.warning(
                    "reloaded (%s): lock %s -> %s",
                    why,
                    (before or "-")[:12],
                    (self.live.current.lock_sha256 or "-")[:12],
                )
            else:
                log.error(
                    "reload refused (%s), still serving lock %s: %s",
                    why,
                    (before or "-")[:12],
                    self.live.last_error,
                )

    async def watch_lock(self) -> None:
        stamp = self.live.lock_stamp()
        while True:
            await asyncio.sleep(self.options.watch_interval)
            now = self.live.lock_stamp()
            if now != stamp:
                stamp = now
                await self.reload("ttrules.lock changed")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        tasks = []
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(
                signal.SIGHUP, lambda: tasks.append(loop.create_task(self.reload("SIGHUP")))
            )
        watcher = loop.create_task(self.watch_lock()) if self.options.watch_interval > 0 else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            if self.writer is not None:
                await asyncio.to_thread(self.writer.close)  # drains: every acknowledged decision is written
                log.warning("decision log closed: %s entries written", f"{self.writer.written:,}")


def build_app(service: Service) -> Starlette:
    routes = [
        Route("/v1/decide", service.guarded("decide", service.decide), methods=["POST"]),
        Route("/v1/decide/batch", service.guarded("batch", service.batch), methods=["POST"]),
        Route("/v1/decide/tiktok", service.guarded("tiktok", service.tiktok), methods=["POST"]),
        Route("/v1/stack", service.guarded("stack", service.stack), methods=["GET"]),
        Route("/metrics", service.guarded("metrics", service.metrics_endpoint), methods=["GET"]),
        Route("/healthz", service.guarded("healthz", service.healthz, auth=False), methods=["GET"]),
        Route("/readyz", service.guarded("readyz", service.readyz, auth=False), methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=service.lifespan)
