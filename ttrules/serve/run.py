"""Starting the service: the stack checked, the log opened, uvicorn run until SIGTERM."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ttrules.case_files import loads
from ttrules.decision_log import LogWriter, open_sink
from ttrules.i18n import _
from ttrules.serve.app import Limits, ServeOptions, Service, build_app
from ttrules.serve.live import Live

TOKENS_ENV = "TTRULES_SERVE_TOKENS"


class ServeError(Exception):
    """The service cannot start as asked; the message says why and what to do."""


@dataclass
class ServeConfig:
    config: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8181
    locked: bool = True
    shadow: str | None = None
    log: Path | None = None  # None: no decision log
    log_inputs: bool = True
    mask: tuple[str, ...] = ()
    token_file: Path | None = None
    allow_anonymous: bool = False  # serve a non-loopback address without tokens
    watch_interval: float = 1.0
    limits: Limits | None = None
    market: str | None = None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_tokens(token_file: Path | None) -> tuple[str, ...]:
    tokens: list[str] = []
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8")
        except OSError as error:
            unreadable = _("{path}: cannot read the tokens: {reason}").format(
                path=token_file, reason=error.strerror
            )
            raise ServeError(unreadable) from None
        tokens += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        if not tokens:
            raise ServeError(_("{path}: no tokens in the file (one a line)").format(path=token_file))
    tokens += [t.strip() for t in os.environ.get(TOKENS_ENV, "").split(",") if t.strip()]
    short = [t for t in tokens if len(t) < 16]
    if short:
        raise ServeError(_("a token must be at least 16 characters (use `openssl rand -hex 32`)"))
    return tuple(tokens)


def _masked_value(value: Any) -> str:
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:16]


def _decimal_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def make_mask(fields: tuple[str, ...], log_inputs: bool) -> Callable[[str], str | None]:
    """What of a case's JSON the log keeps: all of it, nothing, or all with `fields`
    (dotted paths) replaced by a digest that still tells equal values apart."""
    if not log_inputs:
        return lambda text: None
    if not fields:
        return lambda text: text
    paths = [tuple(f.split(".", 1)) for f in fields]

    def mask(text: str) -> str | None:
        try:
            record = loads(text)
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None
        for namespace, name in paths:
            section = record.get(namespace)
            if isinstance(section, dict) and section.get(name) is not None:
                section[name] = _masked_value(section[name])
            dotted = f"{namespace}.{name}"
            if record.get(dotted) is not None:
                record[dotted] = _masked_value(record[dotted])
        # Exact decimals are kept as strings, which the case loader reads the same.
        return json.dumps(record, ensure_ascii=False, default=_decimal_text)

    return mask


def prepare(settings: ServeConfig) -> tuple[Service, Any]:
    """The service and its app, or ServeError (a stack that fails its checks included)."""
    from ttrules.serve.live import StackRefused

    tokens = read_tokens(settings.token_file)
    if not tokens and not is_loopback(settings.host) and not settings.allow_anonymous:
        raise ServeError(
            _(
                "--host {host} is reachable from other machines: give --token-file (or {variable}), or "
                "--allow-anonymous to serve anyone who can connect"
            ).format(host=settings.host, variable=TOKENS_ENV)
        )
    if settings.shadow is not None and settings.log is None:
        raise ServeError(_("--shadow decides into the decision log; it needs --log"))
    try:
        live = Live(settings.config, locked=settings.locked, shadow=settings.shadow)
    except StackRefused as error:
        raise ServeError(str(error)) from None
    writer = None
    logger = logging.getLogger("ttrules.serve")
    if settings.log is not None:
        try:
            sink = open_sink(settings.log)
        except Exception as error:
            cannot = _("{path}: cannot open the decision log: {problem}").format(
                path=settings.log, problem=error
            )
            raise ServeError(cannot) from None
        writer = LogWriter(sink, mask=make_mask(settings.mask, settings.log_inputs), on_error=logger.error)
    options = ServeOptions(
        tokens=tokens,
        limits=settings.limits or Limits(),
        watch_interval=settings.watch_interval,
        market=settings.market,
    )
    service = Service(live, writer, options)
    return service, build_app(service)


def serve(settings: ServeConfig, announce: Callable[[str], None]) -> None:
    import uvicorn

    service, app = prepare(settings)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    served = service.live.current
    rules = sum(len(r.rules) + len(r.forbids) for r in served.engine.stack.rulesets)
    details = [(served.lock_sha256 or _("none"))[:12]]
    if not served.locked:
        details.append(_("UNLOCKED: not the confirmed rules"))
    if service.live.shadow:
        details.append(_("shadow {label}").format(label=service.live.shadow.label))
    line = _("serving {rules} rules of {files} files (lock {details}) on {address}").format(
        rules=rules,
        files=len(served.engine.stack.files),
        details=", ".join(details),
        address=f"http://{settings.host}:{settings.port}",
    )
    line += _("; decision log {path}").format(path=settings.log) if settings.log else _("; no decision log")
    if not service.options.tokens:
        line += _("; no authentication (loopback only)")
    announce(line)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # the decision log is the record; an access line per decision halves throughput
        lifespan="on",
        timeout_graceful_shutdown=30,
    )
    uvicorn.Server(config).run()
