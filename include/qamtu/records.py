"""What the typed records of a run share (the ingest summary, a receipt's file entry, an audit report, a
release): each is serialised by its own ``to_dict`` in one place, and reads by key like that mapping for
callers that still index it (``report["publishable"]``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class ReadsAsMapping(Mapping):
    """Read access by key to what :meth:`to_dict` writes."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())
