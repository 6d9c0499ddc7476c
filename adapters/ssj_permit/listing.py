"""The permit platform's full listing, for reconciliation."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from ssj_bridge.api import Fetched, ListedRecord, beijing_now, iso_beijing
from ssj_permit.mapping import ENTITY
from ssj_permit.stream import PermitStream


class PermitListing:
    """Every permit of the region as the platform holds it now (records set aside included)."""

    entity = ENTITY

    def __init__(self, stream: PermitStream) -> None:
        self.stream = stream

    def read(self) -> Iterator[list[ListedRecord]]:
        """One page of listed records per platform page, walked from the beginning.

        A record changed after the listing began is in flight: it reappears at the end of the
        walk with its new time, and its old place would read as a second copy of the key (or,
        when it moved before the walk reached it, be missing); its key is left out this time.
        """
        # Platform times are whole seconds: a change in the second the listing began is in
        # flight too.
        started = beijing_now().replace(microsecond=0)
        for batch in self.stream.read(None):
            page = []
            for fetched in batch.records:
                changed = getattr(fetched.record, "update_time", None)
                if changed is not None and changed >= started:
                    page.append(ListedRecord(fetched.key, {}, in_flight=True))
                    continue
                page.append(_listed(fetched))
            for reject in batch.rejects:
                raw = orjson.loads(reject.payload) if reject.payload else {}
                page.append(ListedRecord(reject.key, raw if isinstance(raw, dict) else {}))
            yield page


def _listed(fetched: Fetched) -> ListedRecord:
    fields = fetched.record.model_dump(by_alias=True, mode="json")
    update_time = getattr(fetched.record, "update_time", None)
    return ListedRecord(fetched.key, fields,
                        iso_beijing(update_time) if update_time is not None else None)
