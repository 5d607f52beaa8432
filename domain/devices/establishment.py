"""A school (établissement) identified by its UAI, where devices are delivered."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from domain.aggregate import MaillageAggregate
from domain.devices.uai import normalise_uai
from domain.ids import establishment_id


class Establishment(MaillageAggregate):
    """A school of the national directory, keyed by UAI."""

    @staticmethod
    def create_id(uai: str) -> UUID:
        return establishment_id(uai)

    @event("Registered")
    def __init__(
        self,
        uai: str,
        name: str,
        kind: str,
        address: str,
        postcode: str,
        commune: str,
        latitude_deg: float | None,
        longitude_deg: float | None,
    ) -> None:
        self.uai = uai
        self.name = name
        self.kind = kind
        self.address = address
        self.postcode = postcode
        self.commune = commune
        self.latitude_deg = latitude_deg
        self.longitude_deg = longitude_deg

    @classmethod
    def register(
        cls,
        uai: str,
        name: str,
        kind: str,
        address: str = "",
        postcode: str = "",
        commune: str = "",
        latitude_deg: float | None = None,
        longitude_deg: float | None = None,
    ) -> Establishment:
        """Register a school; the UAI's check letter is verified first."""
        details = _details(name, kind, address, postcode, commune, latitude_deg, longitude_deg)
        return cls(uai=normalise_uai(uai), **details)

    def update_details(
        self,
        name: str,
        kind: str,
        address: str,
        postcode: str,
        commune: str,
        latitude_deg: float | None,
        longitude_deg: float | None,
    ) -> None:
        """Take the school directory's newer details; records nothing if nothing changed."""
        fields = _details(name, kind, address, postcode, commune, latitude_deg, longitude_deg)
        changed = {k: v for k, v in fields.items() if getattr(self, k) != v}
        if changed:
            self._details_updated(changed=changed)

    @event("DetailsUpdated")
    def _details_updated(self, changed: dict[str, object]) -> None:
        for key, value in changed.items():
            setattr(self, key, value)


def _details(
    name: str,
    kind: str,
    address: str,
    postcode: str,
    commune: str,
    latitude_deg: float | None,
    longitude_deg: float | None,
) -> dict[str, object]:
    """A school's descriptive fields as recorded (text trimmed)."""
    return {
        "name": name.strip(),
        "kind": kind.strip(),
        "address": address.strip(),
        "postcode": postcode.strip(),
        "commune": commune.strip(),
        "latitude_deg": latitude_deg,
        "longitude_deg": longitude_deg,
    }
