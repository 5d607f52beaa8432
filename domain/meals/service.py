"""Commands of the meal service that span more than one aggregate or the key store."""

from __future__ import annotations

from uuid import UUID

from domain.application import Maillage
from domain.meals.beneficiary import Beneficiary


def erase_beneficiary(app: Maillage, beneficiary_id: UUID, by: str) -> None:
    """Crypto-shred a beneficiary: record who ordered it, then delete their key.

    Counts, dates and amounts stay readable for billing and audit; every
    personal field reads as erased from then on, in events, views and exports.
    Running it again after an interruption finishes the job.
    """
    beneficiary = app.get(beneficiary_id, Beneficiary)
    if not getattr(beneficiary, "erased_by", None):
        beneficiary.record_erasure(by)
        app.save(beneficiary)
    app.erase_subject(beneficiary_id)
