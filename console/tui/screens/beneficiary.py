"""One beneficiary's file: status, bracket, delivery days and window; the name and address
only for roles that may read them. Keys: correct the file, end its service, raise a welfare
alert, erase the file."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from textual.binding import Binding, BindingType

from console.tui.actions import meals as actions
from console.tui.actions import meals_files as files
from console.tui.palette import PaletteCommand, binding_commands
from console.tui.screens.reading import ReadingScreen
from console.tui.writes import confirm, record
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.personal import ERASED

if TYPE_CHECKING:
    from collections.abc import Iterable

    from console.tui.app import MaillageApp

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BENEFICIARY_HELP: dict[str, str | tuple[str, str]] = {
    "edit": (
        "edit",
        "Correct this file: address, phone, contact, access notes, diet, pattern, "
        "window (maillage meals beneficiaries edit)",
    ),
    "end_service": ("end service", "The last day and why (maillage meals beneficiaries end)"),
    "raise_alert": "A concern about this person, for the CCAS (maillage meals alerts raise)",
    "erase": "Erase the person's data for good (maillage meals beneficiaries erase)",
}
"""What each beneficiary action does, for the command palette."""


class BeneficiaryScreen(ReadingScreen):
    """A beneficiary opened from the Beneficiaries tab."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", id="beneficiary.edit"),
        Binding("t", "end_service", "End service", id="beneficiary.end_service"),
        Binding("a", "raise_alert", "Raise alert", id="beneficiary.raise_alert"),
        Binding("x", "erase", "Erase", id="beneficiary.erase"),
    ]
    heading = "Beneficiary"

    def __init__(self, beneficiary_id: UUID) -> None:
        super().__init__()
        self.beneficiary_id = beneficiary_id
        self.file_number = ""
        self.insee_code = ""

    def read(self, app: MaillageApp) -> str:
        b = app.store.get(self.beneficiary_id, Beneficiary)
        self.file_number, self.insee_code = b.file_number, b.insee_code
        days = ", ".join(f"{DAYS[int(d)]} {n}" for d, n in sorted(b.pattern.items()))
        lines = [
            f"file {b.file_number} ({b.insee_code}): {b.status}",
            f"bracket {b.price_bracket} · window {b.window_start}–{b.window_end} · "
            f"meals {days or '—'}",
        ]
        if not app.settings.read_only:
            person = b.personal
            if person.erased:
                lines.append(f"name and address: {ERASED}")
            else:
                lines.append(f"{person.value.get('name', '')}, {person.value.get('address', '')}")
        return "\n".join(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.may_record() if action in BENEFICIARY_HELP else True

    def palette_commands(self) -> Iterable[PaletteCommand]:
        return binding_commands(self, BENEFICIARY_HELP, f"File {self.file_number}")

    def action_edit(self) -> None:
        files.edit_beneficiary(self.console, self.insee_code, self.file_number)

    def action_end_service(self) -> None:
        files.end_service(self.console, self.insee_code, self.file_number)

    def action_raise_alert(self) -> None:
        actions.raise_alert(self.console, self.file_number, self.insee_code)

    def action_erase(self) -> None:
        app, insee, file_number = self.console, self.insee_code, self.file_number

        def write() -> str:
            meals.erase_file(app.store, insee, file_number, app.settings.user)
            return f"file {file_number}: personal data erased"

        confirm(
            app,
            f"Erase the personal data of file {file_number} for good (crypto-shredding)?",
            lambda: record(app, "erase beneficiary", write),
        )
