"""The store's territory: which road network is in force and which open-data layers are held.

Only the record is an event: the network's graph and each layer's values are files kept
beside the store by content (``domain.territory.files``); events carry their SHA-256, the
source file's name, date and SHA-256, and what the import found, so a replay or an audit
knows exactly which extract every map-matched indicator was computed on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.aggregate import MaillageAggregate
from domain.errors import InvalidInputError
from domain.ids import TERRITORY_ID

LAYER_KINDS = ("population", "permits", "points", "polygons")
"""What a layer holds: INSEE 200 m population cells, Sitadel permits, any point/polygon layer."""


def _check_sha(value: str, what: str) -> None:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidInputError(f"{what} must be a SHA-256 in hex")


class Territory(MaillageAggregate):
    """The network in force and the layers by name, each with its source."""

    @staticmethod
    def create_id() -> UUID:
        return TERRITORY_ID

    @event("Opened")
    def __init__(self) -> None:
        self.network: dict[str, Any] | None = None
        self.networks: list[dict[str, Any]] = []
        self.layers: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ road network

    def import_network(
        self,
        source_name: str,
        source_sha256: str,
        source_date: str,
        network_sha256: str,
        figures: dict[str, Any],
        by: str,
    ) -> bool:
        """Put a network in force (False, nothing recorded, when it is already the one)."""
        _check_sha(source_sha256, "the extract's digest")
        _check_sha(network_sha256, "the network's digest")
        if not source_name.strip():
            raise InvalidInputError("a network import names its source file")
        if self.network is not None and self.network["network_sha256"] == network_sha256:
            return False
        self._network_imported(
            source_name=source_name.strip(),
            source_sha256=source_sha256,
            source_date=source_date,
            network_sha256=network_sha256,
            figures=figures,
            by=by,
            at=clock.now(),
        )
        return True

    @event("NetworkImported")
    def _network_imported(
        self,
        source_name: str,
        source_sha256: str,
        source_date: str,
        network_sha256: str,
        figures: dict[str, Any],
        by: str,
        at: datetime,
    ) -> None:
        record = {
            "source_name": source_name,
            "source_sha256": source_sha256,
            "source_date": source_date,
            "network_sha256": network_sha256,
            "figures": figures,
            "by": by,
            "at": at,
        }
        self.network = record
        self.networks.append(record)

    # ------------------------------------------------------------------ layers

    def import_layer(
        self,
        name: str,
        kind: str,
        source_name: str,
        source_sha256: str,
        source_date: str,
        layer_sha256: str,
        figures: dict[str, Any],
        by: str,
    ) -> bool:
        """Put a layer in force under ``name`` (False when it holds these very values)."""
        if kind not in LAYER_KINDS:
            raise InvalidInputError(f"layer kind {kind!r} is not one of {', '.join(LAYER_KINDS)}")
        if not name.strip():
            raise InvalidInputError("a layer needs a name")
        _check_sha(source_sha256, "the layer file's digest")
        _check_sha(layer_sha256, "the layer's digest")
        current = self.layers.get(name.strip())
        if current is not None and current["layer_sha256"] == layer_sha256:
            return False
        self._layer_imported(
            name=name.strip(),
            kind=kind,
            source_name=source_name,
            source_sha256=source_sha256,
            source_date=source_date,
            layer_sha256=layer_sha256,
            figures=figures,
            by=by,
            at=clock.now(),
        )
        return True

    @event("LayerImported")
    def _layer_imported(
        self,
        name: str,
        kind: str,
        source_name: str,
        source_sha256: str,
        source_date: str,
        layer_sha256: str,
        figures: dict[str, Any],
        by: str,
        at: datetime,
    ) -> None:
        self.layers[name] = {
            "name": name,
            "kind": kind,
            "source_name": source_name,
            "source_sha256": source_sha256,
            "source_date": source_date,
            "layer_sha256": layer_sha256,
            "figures": figures,
            "by": by,
            "at": at,
        }
