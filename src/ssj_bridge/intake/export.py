"""`export inspectors`, `export objects`, `export matters`, and the subjects' `tags` from the
designations in force today."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ssj_bridge.intake.objects import object_rows
from ssj_bridge.intake.queries import designations_on, inspectors
from ssj_bridge.model import Designation, beijing_today
from ssj_bridge.plugins.registry import Enricher, Registry
from ssj_bridge.store import Store


def register(registry: Registry) -> None:
    """`export inspectors`, `export objects`, `export matters` (the imported list; the command
    prints the policy's bundled list with it); subjects carry their designations as tags."""
    registry.add_exporter("inspectors", inspector_rows)
    registry.add_exporter("objects", object_library_rows)
    registry.add_exporter("matters", imported_matter_rows)
    registry.add_exporter("joint", joint_plan_rows)
    registry.add_enricher("subjects", designation_tags)


def object_library_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The local object library, in the object file's columns."""
    with store.engine.connect() as conn:
        rows = list(object_rows(conn))
    yield from rows


def imported_matter_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The imported matter list, in the matter file's columns."""
    from ssj_bridge.intake.matters import imported_matters
    from ssj_bridge.model.matters import matter_rows

    yield from matter_rows(imported_matters(store))


def joint_plan_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The joint cross-department plans, in the joint file's columns."""
    from ssj_bridge.intake.joint import stored_joint_plans

    with store.engine.connect() as conn:
        plans = stored_joint_plans(conn)
    for plan in plans:
        yield plan.as_row()


def inspector_rows(store: Store) -> Iterator[dict[str, Any]]:
    """The whole roster, retired people included, with the roster file's columns as keys."""
    for person in inspectors(store, active_only=False):
        yield person.model_dump(mode="json", by_alias=True)


def tag_text(designation: Designation) -> str:
    """`tag` or `tag:value`, as exported subjects list their designations (`VOCs:A`)."""
    tag = designation.tag.value
    return f"{tag}:{designation.value}" if designation.value else tag


def designation_tags(store: Store) -> Enricher:
    """Adds to each subject's `tags` the designations in force on today's Beijing date."""
    in_force = designations_on(store, beijing_today())

    def enrich(_store: Store, item: dict[str, Any]) -> dict[str, Any]:
        extra = [tag_text(d) for d in in_force.get(item["uscc"], [])]
        if extra:
            item["tags"] = list(dict.fromkeys([*item.get("tags", []), *extra]))
        return item

    return enrich
