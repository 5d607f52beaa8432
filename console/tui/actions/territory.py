"""The territory from the palette: import a road network (an OpenStreetMap extract) or an
open-data layer, see what is in force; the ranked recommendations of the field crossed with
it — the console's path to ``maillage territory …`` and ``maillage geo recommend``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from console.importing import territory as reading
from console.tui.palette import PaletteCommand
from console.tui.screens.form import Choice, Field, FormValues
from console.tui.writes import ask, ask_and_record, export
from domain.errors import InvalidInputError
from domain.sensing import service as sensing
from domain.sensing.recommendations import ranked_lines
from domain.territory import service

if TYPE_CHECKING:
    from console.tui.app import MaillageApp


def commands(app: MaillageApp) -> list[PaletteCommand]:
    """The territory palette entries."""
    return [
        PaletteCommand(
            "Territory: import a road network",
            "An OpenStreetMap extract (.osm.pbf) as the town's streets: map-matching and road "
            "times (maillage territory import-network)",
            lambda: import_network(app),
        ),
        PaletteCommand(
            "Territory: import an open-data layer",
            "Gridded population, building permits or any GeoJSON/GeoPackage layer, crossed with "
            "the field by the recommendations (maillage territory import-layer)",
            lambda: import_layer(app),
        ),
        PaletteCommand(
            "Territory: show what is in force",
            "The road network and layers in force, with their sources, dates and who imported "
            "them (maillage territory show)",
            lambda: show(app),
            writes=False,
        ),
        PaletteCommand(
            "Territory: a route for the simulator",
            "A scenario file whose van drives the quickest loop on the network's streets through "
            "the places given (maillage territory route)",
            lambda: route(app),
            writes=False,
        ),
        PaletteCommand(
            "Geo: ranked recommendations",
            "What to do first on the roads and where, with the reasons, within a yearly budget "
            "if one is given (maillage geo recommend)",
            lambda: recommend(app),
            writes=False,
        ),
    ]


def show(app: MaillageApp) -> None:
    from console.tui.screens.text import TextScreen

    app.push_screen(
        TextScreen("Territory in force", lambda app: "\n".join(service.in_force_lines(app.store)))
    )


def import_network(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        path = Path(v["file"]).expanduser()
        ways, sha = reading.read_extract(path)  # a bad file: one line, nothing recorded
        date = reading.source_date(path, ways.timestamp)
        done = service.import_network(
            app.store, reading.ways_input(ways), path.name, sha, date, app.settings.user
        )
        f = done.figures
        verb = "imported" if done.recorded else "already in force, nothing recorded"
        return f"road network {verb}: {path.name}, {f['ways']} ways, {f['length_km']} km"

    fields: list[Choice | Field] = [Field("file", "OpenStreetMap extract (.osm.pbf)", True)]
    ask_and_record(app, "Import a road network", "import road network", fields, write)


def import_layer(app: MaillageApp) -> None:
    def write(v: FormValues) -> str:
        path = Path(v["file"]).expanduser()
        layer = reading.read_layer(path, v["kind"], v["value"] or None)
        sha = reading.file_sha256(path)
        date = f"{v['date']} (given)" if v["date"] else reading.source_date(path, "")
        done = service.import_layer(
            app.store, v["name"], layer, path.name, sha, date, app.settings.user
        )
        verb = "imported" if done.recorded else "already in force, nothing recorded"
        return (
            f"layer {v['name']} {verb}: {layer.kind} from {path.name}, "
            f"{done.figures['features']} features"
        )

    fields: list[Choice | Field] = [
        Field("file", "Layer file (CSV, GeoJSON or GeoPackage)", True),
        Choice("kind", "Kind", reading.LAYER_FILE_KINDS),
        Field("name", "Layer name (a new import replaces it)", True),
        Field("value", "Property weighing each feature (features only)"),
        Field("date", "Source date (default: the file's)"),
    ]
    ask_and_record(app, "Import an open-data layer", "import layer", fields, write)


def recommend(app: MaillageApp) -> None:
    """Ask for the municipality (all when empty) and the budget; show the ranking."""
    fields: list[Choice | Field] = [
        Field(
            "municipality", "Municipality (INSEE code, empty: all)", value=app.settings.scope or ""
        ),
        Field("budget", "Yearly road budget, EUR (empty: none)", kind="number"),
    ]

    def then(v: FormValues) -> None:
        from console.tui.screens.text import TextScreen

        def read(app: MaillageApp) -> str:
            found = sensing.places(
                app.store, v["municipality"] or None, budget_eur=v["budget"] or None
            )
            if not found.places:
                return "no processed session yet: process a session first (Sessions: process)"
            return "\n".join(ranked_lines(found.recommendations)) or "nothing to recommend"

        app.push_screen(TextScreen("Ranked recommendations", read))

    ask(app, "Ranked recommendations", fields, then)


def _places(text: str) -> list[tuple[float, float]]:
    """Places typed ``LAT,LON LAT,LON …`` (spaces or semicolons between them), in degrees."""
    places = []
    for item in text.replace(";", " ").split():
        try:
            lat, lon = (float(x) for x in item.split(","))
        except ValueError:
            raise InvalidInputError(f"{item!r} is not LAT,LON in degrees") from None
        places.append((lat, lon))
    if len(places) < 2:
        raise InvalidInputError("a route needs at least two places, LAT,LON each")
    return places


def route(app: MaillageApp) -> None:
    """Ask for the places and the file; write the scenario in a worker."""
    fields: list[Choice | Field] = [
        Field("via", "Places the van passes, in order (LAT,LON LAT,LON …)", True),
        Field("output", "Write the scenario to", True, value="van.json"),
    ]

    def then(v: FormValues) -> None:
        def write() -> str:
            output = Path(v["output"]).expanduser()
            _, length_m = reading.write_route(app.store, _places(v["via"]), output)
            return reading.route_line(output, length_m)

        export(app, "write route", write)

    ask(app, "A route for the simulator", fields, then)
