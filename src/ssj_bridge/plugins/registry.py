"""What the built-in features give the engine, registered through one explicit list.

Importing a module never changes what the engine does. Each module named in
`DEFAULT_FEATURES` exposes `register(registry)`, which adds its store writers, exports,
outcome handlers, result subscribers and reconcilable entities to a `Registry`;
`default_registry()` builds that once, the first time anything asks for it, the way the plugin
host loads outside plugins through their entry points. A name registered twice is an error:
which one to use would be a guess.

Tests build a registry of their own with `build_registry()` or change the one
`default_registry()` returns with pytest's monkeypatch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from ssj_bridge.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ssj_bridge.model import CanonicalModel, Result
    from ssj_bridge.outbox.queue import OutboxItem, SendOutcome
    from ssj_bridge.reconcile.entities import EntitySpec
    from ssj_bridge.store import Store
    from ssj_bridge.store.canonical import Writer

# The built-in features, in the order they register. Each module exposes `register(registry)`.
DEFAULT_FEATURES = (
    "ssj_bridge.store.canonical",  # permits, and the subjects derived from them
    "ssj_bridge.store.credit_writer",  # credit evaluations and risk classes
    "ssj_bridge.report.export",  # export subjects and quarantine
    "ssj_bridge.reconcile.entities",  # permits, compared with the permit platform's listing
    "ssj_bridge.features.credit_records",  # credit records, compared with the credit service's feeds
    "ssj_bridge.intake.export",  # export inspectors; subjects' designations
    "ssj_bridge.policy.classify",  # subjects' categories and credit in `export subjects`
    "ssj_bridge.features.library",  # the provincial subject and inspector libraries
    "ssj_bridge.features.tasks",  # inspection tasks
    "ssj_bridge.features.results",  # inspection results and their corrections
    "ssj_bridge.features.publications",  # publication of results
    "ssj_bridge.draw.export",  # export draws
)

Rows = Callable[["Store"], Iterator[dict[str, Any]]]
# Made once per export from the store; then called on each exported object, which it returns.
Enricher = Callable[["Store", dict[str, Any]], dict[str, Any]]
MakeEnricher = Callable[["Store"], Enricher]
# What a feature does when a platform accepts or rejects one of its items (e.g. keep the
# platform's resultId), run in the transaction that records the outcome.
OutcomeHandler = Callable[["Connection", "OutboxItem", "SendOutcome"], None]
# Called with (the recording transaction's connection, the result, its version).
ResultSubscriber = Callable[["Connection", "Result", int], None]


@dataclass
class Registry:
    """Writers, exports, outcome handlers, result subscribers and entities, by name."""

    writers: dict[type[CanonicalModel], Writer] = field(default_factory=dict)
    exporters: dict[str, Rows] = field(default_factory=dict)
    enrichers: dict[str, list[MakeEnricher]] = field(default_factory=dict)
    outcome_handlers: dict[str, OutcomeHandler] = field(default_factory=dict)
    result_recorded: list[ResultSubscriber] = field(default_factory=list)
    entities: dict[tuple[str, str], EntitySpec] = field(default_factory=dict)

    def add_writer(self, model: type[CanonicalModel], writer: Writer) -> None:
        """Teach the store a canonical record type: its table, keys and derivations."""
        _unique(self.writers, model, f"a store writer for {model.__qualname__}")
        self.writers[model] = writer

    def add_exporter(self, name: str, rows: Rows) -> None:
        """The rows of `export NAME`."""
        _unique(self.exporters, name, f"an export named {name!r}")
        self.exporters[name] = rows

    def add_enricher(self, export: str, make: MakeEnricher) -> None:
        """What adds fields to each object of `export EXPORT` (e.g. credit to subjects)."""
        self.enrichers.setdefault(export, []).append(make)

    def on_outcome(self, entity: str, handler: OutcomeHandler) -> None:
        """The handler of one outbox entity's outcomes (one per entity)."""
        _unique(self.outcome_handlers, entity, f"an outcome handler for {entity!r}")
        self.outcome_handlers[entity] = handler

    def on_result_recorded(self, subscriber: ResultSubscriber) -> None:
        """Run `subscriber` in the transaction that records a result or a new version of it."""
        if subscriber in self.result_recorded:
            raise ConfigurationError(f"{subscriber.__qualname__} subscribes to results twice")
        self.result_recorded.append(subscriber)

    def add_entity(self, spec: EntitySpec) -> None:
        """Make an entity of a platform role reconcilable."""
        key = (spec.role, spec.entity)
        _unique(self.entities, key, f"a reconcilable entity {spec.role}/{spec.entity}")
        self.entities[key] = spec

    def rows(self, export: str, store: Store) -> Iterator[dict[str, Any]]:
        """The objects of `export EXPORT`, each with what its enrichers add.

        ConfigurationError when nothing registered that export.
        """
        if export not in self.exporters:
            raise ConfigurationError(f"export {export}: nothing of that kind is kept by this "
                                     "store yet")
        enrichers = [make(store) for make in self.enrichers.get(export, [])]
        for item in self.exporters[export](store):
            for enrich in enrichers:
                item = enrich(store, item)
            yield item


def _unique(registered: dict[Any, Any], key: Any, what: str) -> None:
    if key in registered:
        raise ConfigurationError(f"two features register {what}")


def build_registry(features: Iterable[str] = DEFAULT_FEATURES) -> Registry:
    """A registry filled by each feature module's `register(registry)`, in order."""
    built = Registry()
    for name in features:
        register: Callable[[Registry], None] = importlib.import_module(name).register
        register(built)
    return built


@cache
def default_registry() -> Registry:
    """The default features' registry, built on first use and kept for the process."""
    return build_registry()


def registry_built() -> bool:
    """Whether `default_registry()` was built in this process (importing modules never does)."""
    return default_registry.cache_info().currsize > 0
