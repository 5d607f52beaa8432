"""Municipalities and beneficiaries' files from the console: add and configure a municipality
(contract brackets, service levels, delivery days, welfare rules, the CCAS mail), open, correct
and end a beneficiary's file — the console's path to ``maillage meals municipality …`` and
``maillage meals beneficiaries add|edit|end``. Each form starts from what is recorded now."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from console.tui.palette import PaletteCommand, area_commands
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import ask_and_record, refuse
from domain import clock
from domain.clock import PARIS
from domain.errors import InvalidInputError, MaillageError
from domain.meals import municipality as towns
from domain.meals import service as meals
from domain.meals.beneficiary import REGIMES, TEXTURES, Beneficiary
from domain.meals.imports import parse_pattern
from domain.meals.ordering import DAY_NAMES
from domain.meals.welfare_alert import CATEGORIES, SEVERITIES

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


def commands(app: MaillageApp) -> list[PaletteCommand]:
    """The palette entries of municipalities and beneficiaries' files."""
    entries = (
        ("add a municipality", "A municipality and its contract's price brackets (maillage meals "
         "municipality add)", add_municipality),
        ("configure a municipality", "Service levels, the depot's position, delivery days "
         "(maillage meals municipality configure)", configure_municipality),
        ("set welfare rules", "What the welfare watch raises by itself (maillage meals "
         "municipality welfare-rules)", welfare_rules),
        ("set the CCAS mail", "Where the CCAS gets alert mails (maillage meals municipality "
         "ccas-mail)", ccas_mail),
        ("add a beneficiary", "Open one file, checked as an imported line is (maillage meals "
         "beneficiaries add)", add_beneficiary),
        ("edit a beneficiary", "Correct a file: address, phone, contact, access notes, diet, "
         "pattern, window (maillage meals beneficiaries edit)", edit_beneficiary),
        ("end a beneficiary's service", "The last day and why (maillage meals beneficiaries "
         "end)", end_service),
    )  # fmt: skip
    return area_commands(app, "Meals", entries)


def _today() -> str:
    return clock.now().astimezone(PARIS).date().isoformat()


def _town_code(app: MaillageApp, insee: str) -> str:
    """The municipality a form is about: the one given, the user's, else the only one there is."""
    if insee or app.settings.scope:
        return insee or app.settings.scope or ""
    served = meals.municipalities_served(app.store)
    return served[0] if len(served) == 1 else ""


def _town(app: MaillageApp, insee: str) -> towns.Municipality | None:
    try:
        return meals.find_municipality(app.store, insee) if insee else None
    except MaillageError:
        return None


def _insee(value: str) -> Field:
    return Field("municipality", "Municipality (INSEE code)", required=True, value=value)


def _lat_lon(text: str | None, what: str) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        lat, lon = (float(x) for x in text.replace(" ", "").split(","))
    except ValueError:
        raise InvalidInputError(f"{what} {text!r} is not LAT,LON in degrees") from None
    return lat, lon


# ----------------------------------------------------------------------------- municipalities


def add_municipality(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        town = meals.register_municipality(
            app.store, v["municipality"], v["name"], v["depot"], v["ccas"],
            towns.parse_brackets(v["brackets"]),
        )  # fmt: skip
        return f"municipality {town.name} ({town.insee_code}) registered"

    fields: list[Choice | Field] = [
        _insee(""),
        Field("name", "Name", required=True),
        Field("depot", "The postal depot that serves it", required=True),
        Field("ccas", "The social centre's contact (address or phone)", required=True),
        Field("brackets", f"Price brackets: {towns.BRACKET_FORM}, spaces between", required=True),
    ]
    ask_and_record(app, "Add a municipality", "add municipality", fields, write)


def configure_municipality(app: MaillageApp, insee: str = "") -> None:
    town = _town(app, insee := _town_code(app, insee))
    depot = "{:.5f},{:.5f}".format(*town.depot_lat_lon) if town and town.depot_lat_lon else ""
    days_now = towns.weekdays_text(town.delivery_weekdays) if town else "mon-fri"

    def write(v: FormValues) -> str:
        town = meals.configure_municipality(
            app.store, v["municipality"], app.settings.user,
            acknowledge_within_min=int(v["acknowledge"]), max_round_min=int(v["max_round"]),
            depot_lat_lon=_lat_lon(v["depot"], "depot position"),
            delivery_days=towns.parse_weekdays(v["days"]),
        )  # fmt: skip
        days = towns.weekdays_text(town.delivery_weekdays)
        return (
            f"{town.name}: alerts acknowledged within {town.acknowledge_within_min} min, rounds "
            f"at most {town.max_round_min} min, deliveries on {days}"
        )

    fields: list[Choice | Field] = [
        _insee(insee),
        Field("acknowledge", "The CCAS acknowledges an alert within (minutes)", required=True,
              number=True, value=str(town.acknowledge_within_min) if town else "240"),
        Field("max_round", "Longest round, loading to last delivery (minutes)", required=True,
              number=True, value=str(town.max_round_min) if town else "240"),
        Field("depot", "Depot position (LAT,LON)", value=depot),
        Field("days", "Delivery days (mon-fri, mon-sat, every-day or mon,wed,fri)",
              required=True, value=days_now),
    ]  # fmt: skip
    ask_and_record(app, "Configure a municipality", "configure municipality", fields, write)


def welfare_rules(app: MaillageApp, insee: str = "") -> None:
    town = _town(app, insee := _town_code(app, insee))
    now = town.welfare_rules if town else towns.WelfareRules()

    def write(v: FormValues) -> str:
        current = meals.find_municipality(app.store, v["municipality"]).welfare_rules
        rules = replace(
            current,
            absent_category=v["absent_category"], absent_severity=v["absent_severity"],
            pattern_category=v["pattern_category"], pattern_severity=v["pattern_severity"],
            uneaten_count=int(v["uneaten_count"]), uneaten_days=int(v["uneaten_days"]),
            absences_count=int(v["absences_count"]), absences_days=int(v["absences_days"]),
        )  # fmt: skip
        town = meals.set_welfare_rules(app.store, v["municipality"], rules, app.settings.user)
        r = town.welfare_rules
        return (
            f"{town.name}: absent and nobody reached → {r.absent_category}/{r.absent_severity}; "
            f"pattern → {r.pattern_category}/{r.pattern_severity}"
        )

    def count(name: str, label: str) -> Field:
        return Field(name, label, required=True, number=True, value=str(getattr(now, name)))

    fields: list[Choice | Field] = [
        _insee(insee),
        Choice("absent_category", "Absent, nobody reached: category", CATEGORIES,
               now.absent_category),
        Choice("absent_severity", "Absent, nobody reached: severity", SEVERITIES,
               now.absent_severity),
        count("uneaten_count", "Previous meal not eaten: times"),
        count("uneaten_days", "… within (days)"),
        count("absences_count", "Absent: times"),
        count("absences_days", "… within (days)"),
        Choice("pattern_category", "Such a pattern: category", CATEGORIES, now.pattern_category),
        Choice("pattern_severity", "Such a pattern: severity", SEVERITIES, now.pattern_severity),
    ]  # fmt: skip
    ask_and_record(app, "Welfare rules", "set welfare rules", fields, write)


def ccas_mail(app: MaillageApp, insee: str = "") -> None:
    town = _town(app, insee := _town_code(app, insee))
    now = town.ccas_mail if town else None

    def write(v: FormValues) -> str:
        host, _, port = v["smtp"].rpartition(":")
        if not host or not port.isdigit():
            raise InvalidInputError(f"SMTP server {v['smtp']!r} is not HOST:PORT")
        mail = towns.CcasMail(host, int(port), v["sender"], v["recipient"])
        town = meals.set_ccas_mail(app.store, v["municipality"], mail, app.settings.user)
        return f"{town.name}: welfare alerts mailed to {mail.recipient} through {host}:{port}"

    fields: list[Choice | Field] = [
        _insee(insee),
        Field("smtp", "SMTP server (HOST:PORT)", required=True,
              value=f"{now.host}:{now.port}" if now else ""),
        Field("sender", "From (address)", required=True, value=now.sender if now else ""),
        Field("recipient", "To (the CCAS's address)", required=True,
              value=now.recipient if now else ""),
    ]  # fmt: skip
    ask_and_record(app, "The CCAS's alert mail", "set ccas mail", fields, write)


# ----------------------------------------------------------------------------- beneficiaries


def _pattern_text(pattern: dict[str, int]) -> str:
    return ";".join(f"{DAY_NAMES[int(d)]}={n}" for d, n in sorted(pattern.items()) if n)


def add_beneficiary(app: MaillageApp, insee: str = "") -> None:
    def write(v: FormValues) -> str:
        position = _lat_lon(v["position"], "position")
        assert position is not None  # a required field
        start, _, end = (v["window"] or "").partition("-")
        cells = {
            **{k: v[k] or "" for k in ("file_number", "name", "address", "phone",
                                       "contact_person", "access_notes", "pattern")},
            "latitude": str(position[0]), "longitude": str(position[1]),
            "price_bracket": v["bracket"], "regime": v["regime"], "texture": v["texture"],
            "window_start": start.strip(), "window_end": end.strip(),
            "start_date": v["start"].isoformat() if v["start"] else "",
        }  # fmt: skip
        b = meals.add_beneficiary(app.store, v["municipality"], cells)
        return f"file {b.file_number} of {b.insee_code} opened ({b.status})"

    town = _town(app, insee := _town_code(app, insee))
    brackets = tuple(b.name for b in town.contract.brackets) if town else ()
    fields: list[Choice | Field] = [
        _insee(insee),
        Field("file_number", "File number", required=True),
        Field("name", "Name", required=True),
        Field("address", "Address"),
        Field("phone", "Phone"),
        Field("contact_person", "Contact person"),
        Field("access_notes", "Access notes (key box, code…)"),
        Field("position", "Position at the door (LAT,LON)", required=True),
        Choice("bracket", "Price bracket", brackets) if brackets
        else Field("bracket", "Price bracket", required=True),
        Choice("regime", "Diet", REGIMES),
        Choice("texture", "Texture", TEXTURES),
        Field("pattern", "Meals by day (mon=1;wed=1;fri=2)", required=True, value="mon=1"),
        Field("window", "Delivery window (HH:MM-HH:MM)", value="08:30-12:30"),
        Field("start", "First day of service (YYYY-MM-DD)", value=_today(), kind="day"),
    ]  # fmt: skip
    ask_and_record(app, "Add a beneficiary", "add beneficiary", fields, write)


def _file(app: MaillageApp, insee: str, file_number: str) -> Beneficiary | None:
    try:
        return meals.find_beneficiary(app.store, insee, file_number) if file_number else None
    except MaillageError:
        return None


def edit_beneficiary(app: MaillageApp, insee: str = "", file_number: str = "") -> None:
    b = _file(app, insee := _town_code(app, insee), file_number)
    if b is not None and b.personal.erased:
        refuse(app, f"file {b.file_number} was erased: there is nothing to correct")
        return
    person = dict(b.personal.value) if b is not None else {}
    diet = b.diet.value if b is not None and b.diet is not None and not b.diet.erased else {}
    home = b.home.value if b is not None and not b.home.erased else None

    def write(v: FormValues) -> str:
        start, _, end = (v["window"] or "").partition("-")
        changed = meals.correct_beneficiary(
            app.store, v["municipality"], v["file_number"],
            personal={k: v[k] or "" for k in ("name", "address", "phone", "contact_person",
                                               "access_notes")},
            position=_lat_lon(v["position"], "position"),
            window=(start.strip(), end.strip()) if v["window"] else None,
            diet=(v["regime"], v["texture"]), pattern=_pattern(v["pattern"]),
        )  # fmt: skip
        said = f"{', '.join(changed)} corrected" if changed else "nothing to change"
        return f"file {v['file_number']}: {said}"

    fields: list[Choice | Field] = [
        _insee(b.insee_code if b else insee),
        Field("file_number", "File number", required=True, value=b.file_number if b else ""),
        Field("name", "Name", required=True, value=person.get("name", "")),
        Field("address", "Address", value=person.get("address", "")),
        Field("phone", "Phone", value=person.get("phone", "")),
        Field("contact_person", "Contact person", value=person.get("contact_person", "")),
        Field("access_notes", "Access notes", value=person.get("access_notes", "")),
        Field("position", "Position at the door (LAT,LON)",
              value=f"{home['lat']},{home['lon']}" if home else ""),
        Choice("regime", "Diet", REGIMES, diet.get("regime", "")),
        Choice("texture", "Texture", TEXTURES, diet.get("texture", "")),
        Field("pattern", "Meals by day (mon=1;wed=1;fri=2)",
              value=_pattern_text(b.pattern) if b else ""),
        Field("window", "Delivery window (HH:MM-HH:MM)",
              value=f"{b.window_start}-{b.window_end}" if b else ""),
    ]  # fmt: skip
    title = f"Correct file {b.file_number}" if b else "Correct a beneficiary's file"
    ask_and_record(app, title, "edit beneficiary", fields, write)


def _pattern(text: str | None) -> dict[int, int] | None:
    if not text:
        return None
    try:
        return parse_pattern(text)
    except ValueError:
        raise InvalidInputError(f"meals by day {text!r} is not like mon=1;wed=1;fri=2") from None


def end_service(app: MaillageApp, insee: str = "", file_number: str = "") -> None:
    b = _file(app, insee := _town_code(app, insee), file_number)

    def write(v: FormValues) -> str:
        meals.end_service(app.store, v["municipality"], v["file_number"], v["last_day"],
                          v["reason"])  # fmt: skip
        return f"file {v['file_number']}: service ends after {v['last_day']}"

    fields: list[Choice | Field] = [
        _insee(b.insee_code if b else insee),
        Field("file_number", "File number", required=True, value=b.file_number if b else ""),
        Field("last_day", "Last day of service (YYYY-MM-DD)", required=True, value=_today(),
              kind="day"),
        Field("reason", "Why (sealed: it is about the person)", required=True),
    ]  # fmt: skip
    ask_and_record(
        app, "End a beneficiary's service", "end service", fields, write,
        question=lambda v: f"End the service of file {v['file_number']} after {v['last_day']}?",
    )  # fmt: skip
