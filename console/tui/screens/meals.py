"""Meals mode: beneficiaries, rounds with their stops and boxes, the CCAS welfare inbox."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Markdown, TabbedContent, TabPane
from textual.worker import get_current_worker

from console.roles import may_run
from console.tui.actions import meals_files as files
from console.tui.messages import ViewsUpdated
from console.tui.screens.form import Choice, Field, FormScreen, FormValues
from console.tui.screens.mode import ModeScreen
from console.tui.widgets.rows import Column, ColumnarRows
from console.tui.widgets.virtual_table import VirtualTable
from domain import clock
from domain.clock import PARIS
from domain.errors import MaillageError
from domain.meals import service as meals
from domain.meals.beneficiary import Beneficiary
from domain.meals.billing import statement_markdown
from domain.meals.views import alert_list, beneficiary_list, round_list
from domain.meals.welfare_alert import reference_of
from domain.personal import SubjectKeys
from domain.store import ViewConnection
from domain.territory.travel import travel_model
from domain.wording import local_time, plural

if TYPE_CHECKING:
    pass


COLUMNS: dict[str, tuple[Column, ...]] = {
    "beneficiaries-table": (
        Column("file_number", "File", 11),
        Column("status", "Status", 9),
        Column("name", "Name", 24),
        Column("address", "Address", 36),
        Column("price_bracket", "Bracket", 8),
        Column("diet", "Diet", 18),
    ),
    "rounds-table": (
        Column("day", "Day", 10),
        Column("postman", "Postman", 12),
        Column("vehicle", "Van", 7),
        Column("status", "Status", 9),
        Column("stops", "Stops", 6, "right", numeric=True),
        Column("meals", "Meals", 6, "right", numeric=True),
        Column("meals_delivered", "Delivered", 9, "right", numeric=True),
        Column("open_excursions", "Excursions", 10, "right", numeric=True),
    ),
    "alerts-table": (
        Column("reference", "Alert", 10),
        Column("raised", "Raised", 20, fixed=True),
        Column("category", "Category", 16),
        Column("severity", "Severity", 8),
        Column("status", "Status", 12),
        Column("outcome", "Outcome", 16),
        Column("concerns", "Concerns", 30),
    ),
}
"""The columns of each table; the rows come from the meal views' queries."""


def table_rows(
    conn: ViewConnection, keys: SubjectKeys, scope: str | None
) -> dict[str, list[dict[str, Any]]]:
    """The rows of the three tables (one municipality's for a scoped user), as they read
    (personal data opened with ``keys``)."""
    people = [
        {**b, "diet": f"{b['regime']} / {b['texture']}"}
        for b in beneficiary_list(conn, keys, scope)
    ]
    names = {b["id"]: b["name"] for b in people}
    alerts = [
        {
            **a,
            "reference": reference_of(UUID(a["id"])),
            "raised": local_time(datetime.fromisoformat(a["raised_at"])),
            "concerns": f"file {a['file_number']} {names.get(a['beneficiary_id'], '')}".strip()
            if a["file_number"]
            else "",
            "status": "OVERDUE" if a["overdue"] else a["status"],  # says which are late
            "outcome": a["outcome"] or "",
        }
        for a in alert_list(conn, clock.now(), scope, newest_first=True)
    ]
    rounds = round_list(conn, insee=scope, newest_first=True)
    return {"beneficiaries-table": people, "rounds-table": rounds, "alerts-table": alerts}


def columnar(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> ColumnarRows:
    """View rows (with their id) as table columns keyed by id."""
    data = {c.key: [str(r[c.key]) for r in rows] for c in columns}
    return ColumnarRows(columns, data, keys=[str(r["id"]) for r in rows])


class MealsScreen(ModeScreen):
    """Beneficiaries, rounds and the welfare inbox, each in a virtual table with `/` filter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_file", "New", id="meals.new_file"),
        Binding("e", "edit_file", "Edit", id="meals.edit_file"),
        Binding("t", "end_service", "End", id="meals.end_service"),
        Binding("m", "add_town", "New town", id="meals.add_town"),
        Binding("c", "configure_town", "Town", id="meals.configure_town"),
        Binding("D", "plan_day", "Plan a day over vans", id="meals.plan_day"),
    ]
    TAB_ACTIONS: ClassVar[dict[str, str]] = {
        "new_file": "tab-beneficiaries",
        "edit_file": "tab-beneficiaries",
        "end_service": "tab-beneficiaries",
        "add_town": "tab-beneficiaries",
        "configure_town": "tab-beneficiaries",
        "plan_day": "tab-rounds",
    }
    """Each key acts on its tab's table, and shows in the footer only there (100 columns)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A key shows on its tab; writes are shown but disabled for read-only roles."""
        tab = self.TAB_ACTIONS.get(action)
        if tab is None:
            return True
        tabs = self.query(TabbedContent)
        if not tabs or tabs.first().active != tab:
            return False
        settings = self.console.settings
        if action == "plan_day":
            return None if settings.read_only else True
        return True if may_run(settings, True, False) else None

    @on(TabbedContent.TabActivated)
    def _tab_shown(self) -> None:
        self.refresh_bindings()

    def highlighted_file(self) -> tuple[str, str]:
        """The municipality and file number of the beneficiary under the cursor, or ('', '')."""
        key = self.query_one("#beneficiaries-table", VirtualTable).cursor_row_key
        if key is None:
            return "", ""
        b = self.console.store.get(UUID(key), Beneficiary)
        return b.insee_code, b.file_number

    def action_new_file(self) -> None:
        files.add_beneficiary(self.console, self.highlighted_file()[0])

    def action_edit_file(self) -> None:
        files.edit_beneficiary(self.console, *self.highlighted_file())

    def action_end_service(self) -> None:
        files.end_service(self.console, *self.highlighted_file())

    def action_add_town(self) -> None:
        files.add_municipality(self.console)

    def action_configure_town(self) -> None:
        files.configure_municipality(self.console, self.highlighted_file()[0])

    def action_plan_day(self) -> None:
        """``maillage meals day plan`` in a form: every order of a day over N vans, once."""
        towns = tuple(meals.municipalities_served(self.console.store, self.console.settings.scope))
        if not towns:
            self.notify("no municipality has beneficiaries yet", title="Nothing to plan")
            return
        tomorrow = clock.now().astimezone(PARIS).date() + timedelta(days=1)
        fields: list[Choice | Field] = [
            Choice("insee", "Municipality (INSEE)", towns),
            Field("day", "Delivery day (YYYY-MM-DD)", required=True, value=tomorrow.isoformat()),
            Field("vans", "Vans", required=True, number=True, value="3"),
            Field(
                "boxes",
                f"Boxes a van carries ({meals.MEALS_PER_BOX} meals a box)",
                required=True,
                number=True,
                value="4",
            ),
            Field("accept", "If some orders cannot be served: why accept it (else refused)"),
        ]

        def plan(values: FormValues | None) -> None:
            if values is not None:
                self._plan_day(values)

        self.app.push_screen(FormScreen("Plan a day over several vans", fields), plan)

    @work(thread=True, exclusive=True, group="meals-plan")
    def _plan_day(self, values: FormValues) -> None:
        store = self.console.store
        try:
            day = date.fromisoformat(str(values["day"]))
        except ValueError:
            wrong = f"{values['day']!r} is not a date like 2026-03-09"
            self.app.call_from_thread(self.notify, wrong, severity="error", title="Not recorded")
            return
        try:
            travel, label = travel_model(store)
            done = meals.plan_delivery_day(
                store, str(values["insee"]), day, int(float(values["vans"] or 0)),
                int(float(values["boxes"] or 0)), self.console.settings.user,
                accept_unserved=str(values["accept"] or "") or None, travel=travel,
                travel_label=label,
            )  # fmt: skip
        except MaillageError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", title="Not recorded")
            return
        lines = [
            f"{meals.round_label(store, r)}: {plural(len(r.stops), 'stop')}" for r, _ in done.rounds
        ]
        lines += [f"not served: {u}" for u in done.unserved]
        self.app.call_from_thread(self.notify, "\n".join([*lines, done.travel]), title="Planned")
        self.app.call_from_thread(self.console.update_views)

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="meals-tabs"):
            with TabPane("Beneficiaries", id="tab-beneficiaries"):
                yield VirtualTable(id="beneficiaries-table")
            with TabPane("Rounds", id="tab-rounds"):
                yield VirtualTable(id="rounds-table")
            with TabPane("Welfare inbox", id="tab-alerts"):
                yield VirtualTable(id="alerts-table")
            with TabPane("Statement", id="tab-statement"):
                yield StatementPane(id="statement-pane")

    def on_mount(self) -> None:
        self.load()

    @on(ViewsUpdated)
    def _views_moved(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="meals")
    def load(self) -> None:
        scope = self.console.settings.scope
        conn = ViewConnection.open(self.console.store.location)
        try:
            rows = table_rows(conn, self.console.store.subject_keys, scope)
        finally:
            conn.close()
        tables = {table_id: columnar(COLUMNS[table_id], rows[table_id]) for table_id in COLUMNS}
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, tables)

    def _show(self, tables: dict[str, ColumnarRows]) -> None:
        for table_id, rows in tables.items():
            self.query_one(f"#{table_id}", VirtualTable).set_rows(rows)

    @on(VirtualTable.RowOpened, "#alerts-table")
    def _open_alert(self, message: VirtualTable.RowOpened) -> None:
        from console.tui.screens.alert import AlertScreen

        self.app.push_screen(AlertScreen(UUID(message.row_key)))

    @on(VirtualTable.RowOpened, "#beneficiaries-table")
    def _open_beneficiary(self, message: VirtualTable.RowOpened) -> None:
        from console.tui.screens.beneficiary import BeneficiaryScreen

        self.app.push_screen(BeneficiaryScreen(UUID(message.row_key)))

    @on(VirtualTable.RowOpened, "#rounds-table")
    def _open_round(self, message: VirtualTable.RowOpened) -> None:
        from console.tui.screens.round import RoundScreen

        self.app.push_screen(RoundScreen(UUID(message.row_key)))


class StatementPane(VerticalScroll):
    """The month's statement of each municipality ("service fait"); `[` and `]` change month."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "month(-1)", "Previous month", id="statement.previous"),
        Binding("right_square_bracket", "month(1)", "Next month", id="statement.next"),
    ]
    can_focus = True

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        today = clock.now().astimezone(PARIS).date()
        self.month = f"{today.year:04d}-{today.month:02d}"

    def compose(self) -> ComposeResult:
        yield Markdown("reading…", id="statement-text")

    def on_mount(self) -> None:
        self.load()

    def action_month(self, step: int) -> None:
        year, month = (int(x) for x in self.month.split("-"))
        month += step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        self.month = f"{year:04d}-{month:02d}"
        self.load()

    @work(thread=True, exclusive=True, group="statement")
    def load(self) -> None:
        from console.tui.app import MaillageApp

        app = self.app
        assert isinstance(app, MaillageApp)
        store, month = app.store, self.month
        parts = [
            statement_markdown(meals.statement(store, insee, month))
            for insee in meals.municipalities_served(store, app.settings.scope)
        ]
        text = "\n".join(parts) or f"No municipality has beneficiaries yet ({month})."
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.query_one("#statement-text", Markdown).update, text)
