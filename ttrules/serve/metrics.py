"""Prometheus metrics of the service, with the reference client library (prometheus_client):
decisions by endpoint, resolution and the rule that decided it, latency, errors, the decision
log's queue, reloads. One registry per service, so tests can run several."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from ttrules.evaluate.decision import Decision

# Decisions take tens of microseconds; a request's whole time is a few hundred.
_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0)


class Metrics:
    def __init__(self, queue_depth: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self._decisions = Counter(
            "ttrules_decisions",
            "Decisions made, by endpoint, resolution and the rule that decided the resolution.",
            ("endpoint", "resolution", "rule"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "ttrules_request_seconds",
            "Time from the request's arrival at the handler to its response, by endpoint.",
            ("endpoint",),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._errors = Counter(
            "ttrules_errors",
            "Requests or batch items refused, by endpoint and kind.",
            ("endpoint", "kind"),
            registry=self.registry,
        )
        self._reloads = Counter(
            "ttrules_reloads",
            "Stack reloads, by result (swapped or refused).",
            ("result",),
            registry=self.registry,
        )
        queue = Gauge(
            "ttrules_log_queue_depth", "Decisions waiting to be written to the log.", registry=self.registry
        )
        queue.set_function(queue_depth)
        self._stack = Gauge(
            "ttrules_stack_info",
            "The stack being served (1), by lock digest and git revision.",
            ("lock_sha256", "revision"),
            registry=self.registry,
        )
        self._served: tuple[str, str] | None = None

    def decided(self, endpoint: str, decision: Decision) -> None:
        self._decisions.labels(endpoint, *self.labels_of(decision)).inc()

    def decided_many(self, endpoint: str, counts: dict[tuple[str, str], int]) -> None:
        """A batch's decisions by (resolution, rule), counted once per pair."""
        for (action, rule), count in counts.items():
            self._decisions.labels(endpoint, action, rule).inc(count)

    @staticmethod
    def labels_of(decision: Decision) -> tuple[str, str]:
        """(resolution, winning rule) as the decisions counter labels them."""
        resolution = decision.resolution
        if resolution is None:
            return "none", "(default)"
        return resolution.action, resolution.rule.label if resolution.rule is not None else "(default)"

    def error(self, endpoint: str, kind: str) -> None:
        self._errors.labels(endpoint, kind).inc()

    def observe(self, endpoint: str, seconds: float) -> None:
        self._latency.labels(endpoint).observe(seconds)

    def reloaded(self, swapped: bool) -> None:
        self._reloads.labels("swapped" if swapped else "refused").inc()

    def render(self, live: Any) -> tuple[bytes, str]:
        served = (live.current.lock_sha256 or "", live.current.revision or "")
        if served != self._served:
            if self._served is not None:
                self._stack.remove(*self._served)
            self._stack.labels(*served).set(1)
            self._served = served
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
