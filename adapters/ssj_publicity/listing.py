"""What the sender has made public, page by page, for reconciliation."""

from __future__ import annotations

from collections.abc import Iterator

from ssj_bridge.api import ListedRecord
from ssj_publicity.client import PublicityClient
from ssj_publicity.config import PublicityConfig

PAGE_SIZE = 500


class PublicationListing:
    """`GET /publications` of the deployment's authority, keyed `taskId/uscc/inspectedOn`."""

    entity = "publication"

    def __init__(self, client: PublicityClient, config: PublicityConfig, org_code: str) -> None:
        self.client = client
        self.config = config
        self.org_code = org_code

    def read(self) -> Iterator[list[ListedRecord]]:
        """Every page from `listing_since`; a failure part-way raises."""
        page = 1
        while True:
            listing = self.client.publications(self.org_code,
                                               self.config.listing_since.isoformat(), page,
                                               PAGE_SIZE)
            yield [ListedRecord(f"{row.get('JCRWBH')}/{row.get('TYSHXYDM')}/{row.get('JCRQ')}",
                                {"resultCode": row.get("JCJGDM")}, row.get("GSRQ"))
                   for row in listing.rows]
            if not listing.rows or page * PAGE_SIZE >= listing.total:
                return
            page += 1
