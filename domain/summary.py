"""What a store holds and how far each view has read (``maillage store info``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.application import Maillage
from domain.views.catalogue import all_views
from domain.views.projector import Projector, ViewPosition


@dataclass(frozen=True)
class StoreSummary:
    """Backend, location, size of the log and the views' positions."""

    backend: str
    location: str
    events: int
    last_position: int
    views: list[ViewPosition]

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs for people, in display order."""
        out = [
            ("backend", self.backend),
            ("location", self.location),
            ("events", f"{self.events:,}"),
            ("last position", f"{self.last_position:,}"),
        ]
        for view in self.views:
            behind = self.last_position - view.position
            state = "up to date" if behind == 0 else f"{behind:,} behind"
            out.append((f"view {view.name}", f"{view.position:,} ({state})"))
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "location": self.location,
            "events": self.events,
            "last_position": self.last_position,
            "views": {
                v.name: {"position": v.position, "behind": self.last_position - v.position}
                for v in self.views
            },
        }


def summarise(app: Maillage) -> StoreSummary:
    """Read the summary from the store (the views need not be loaded)."""
    last = app.last_position()
    with Projector(app, []) as projector:
        tracked = {p.name: p for p in projector.positions()}
    # Views not built yet stand at the start of the log.
    positions = [tracked.get(v.name, ViewPosition(v.name, v.version, 0)) for v in all_views()]
    positions += [p for name, p in tracked.items() if name not in {v.name for v in all_views()}]
    return StoreSummary(
        backend=app.location.kind,
        location=app.location.label,
        events=app.count_events(),
        last_position=last,
        views=positions,
    )
