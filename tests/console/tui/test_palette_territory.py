"""The territory from the command palette: a real extract and a real layer file imported
through forms, recorded as the command line records them."""

from __future__ import annotations

from pathlib import Path

from domain.clock import FixedClock
from domain.territory import service
from drivers.simulator.town import EXTRACT

from ..helpers import fill_form, make_app, notified, run_palette, wait_for

LAYERS = Path(__file__).resolve().parents[1] / "cli" / "data"


async def test_a_road_network_and_a_layer_imported_from_the_palette(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        assert service.current_network(app.store) is None
        await run_palette(app, pilot, "Territory: import a road network")
        await fill_form(app, pilot, file=str(EXTRACT))
        await wait_for(pilot, lambda: notified(app, "road network imported"), "the import")
        record = service.network_record(app.store)
        assert record is not None and record["source_name"] == EXTRACT.name

        grid = next(LAYERS.glob("*200m*.csv"))
        await run_palette(app, pilot, "Territory: import an open-data layer")
        await fill_form(app, pilot, file=str(grid), kind="population", name="population")
        await wait_for(pilot, lambda: notified(app, "layer population imported"), "the layer")
        assert [layer.name for layer in service.current_layers(app.store)] == ["population"]


async def test_a_bad_extract_is_refused_and_nothing_recorded(
    demo_store: Path, paris_clock: FixedClock, tmp_path: Path
) -> None:
    bad = tmp_path / "not.osm.pbf"
    bad.write_bytes(b"not an extract")
    app = make_app(demo_store)
    async with app.run_test(size=(100, 30)) as pilot:
        last = app.store.last_position()
        await run_palette(app, pilot, "Territory: import a road network")
        await fill_form(app, pilot, file=str(bad))
        await wait_for(
            pilot,
            lambda: any(n.title == "Not recorded" for n in app._notifications),
            "the refusal",
        )
        assert app.store.last_position() == last
