"""Every view maillage maintains, in the order the projector builds them."""

from __future__ import annotations

from domain.devices.views import (
    DevicesView,
    EstablishmentsView,
    InventoryCountsView,
    KitsView,
    PurchaseOrdersView,
    ShipmentsView,
)
from domain.meals.views import BeneficiariesView, RoundsView, WelfareAlertsView
from domain.people.views import PeopleView
from domain.sensing.views import SegmentsView
from domain.views.activity import ActivityView
from domain.views.view import View


def all_views() -> list[View]:
    """A fresh instance of each view."""
    return [
        ActivityView(),
        EstablishmentsView(),
        DevicesView(),
        PurchaseOrdersView(),
        ShipmentsView(),
        KitsView(),
        InventoryCountsView(),
        BeneficiariesView(),
        RoundsView(),
        WelfareAlertsView(),
        SegmentsView(),
        PeopleView(),
    ]
