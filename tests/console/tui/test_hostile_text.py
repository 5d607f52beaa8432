"""Issue #18 item 4 (security suite, here for the demo console's fixtures): a welfare note or
follow-up holding Rich markup is shown as typed — no crash, no clickable action."""

from __future__ import annotations

from pathlib import Path

from domain.clock import FixedClock
from domain.meals import service as meals

from ..helpers import make_app, notified, open_newest_alert, wait_for

HOSTILE = "[/] [@click=app.quit]Call here[/] [b]bold?[/b] [link=http://x]x[/link]"


async def test_markup_in_a_follow_up_is_shown_as_typed(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    app = make_app(demo_store, role="ccas")
    newest = meals.alert_rows(app.store)[-1]["id"]
    aid = meals.find_alert(app.store, newest)
    meals.acknowledge_alert(app.store, aid, "[red]Mme Roy[/red]")
    meals.follow_up_alert(app.store, aid, "Mme Roy", HOSTILE)
    async with app.run_test(size=(150, 45)) as pilot:
        await open_newest_alert(app, pilot)
        screen = app.screen
        assert HOSTILE in screen.body_text and "[red]Mme Roy[/red]" in screen.body_text
        rendered = screen.query_one(".reading-body").visual
        spans = getattr(rendered, "spans", [])
        assert not any("@click" in str(getattr(s.style, "meta", "") or "") for s in spans)
        assert app.is_running and app.screen is screen


async def test_markup_in_a_persons_file_is_shown_as_typed_in_the_round_and_the_file(
    demo_store: Path, paris_clock: FixedClock
) -> None:
    """A name, an address and access notes holding markup — a round's stop list, the person's
    file, a refusal naming them, a notification: all shown as typed, the console still up."""
    from console.tui.screens.beneficiary import BeneficiaryScreen
    from console.tui.screens.round import RoundScreen
    from domain.meals.beneficiary import Beneficiary

    from .test_round_screen import a_loaded_round, open_round

    app = make_app(demo_store)
    rid = a_loaded_round(demo_store)
    rnd, _ = meals.round_with_people(app.store, rid)
    who = app.store.get(rnd.stops[0]["beneficiary"], Beneficiary)
    name = "[/]Mme [@click=app.quit]X"
    meals.correct_beneficiary(
        app.store,
        who.insee_code,
        who.file_number,
        personal={"name": name, "address": HOSTILE, "access_notes": HOSTILE},
    )
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await open_round(app, pilot, rid)
        assert isinstance(app.screen, RoundScreen)
        assert name[:22] in str(screen.query_one("#round-stops").get_option_at_index(0).prompt)
        await app.push_screen(BeneficiaryScreen(who.id))
        file = app.screen
        await wait_for(pilot, lambda: HOSTILE in file.body_text, "the person's file")
        app.notify(f"recorded for {name} at {HOSTILE}")
        await wait_for(pilot, lambda: notified(app, name), "the notification")
        assert app.is_running and app.screen is file


def test_a_progress_bar_names_a_file_holding_markup_as_typed() -> None:
    """The command line's progress bars describe the file being read: never parsed as markup."""
    from rich.console import Console

    from console.cli.output import progress_bar

    bar = progress_bar()
    bar.add_task(f"reading {HOSTILE}.csv", total=10, completed=3)
    out = Console(width=200, record=True, force_terminal=False)
    out.print(bar.make_tasks_table(bar.tasks))
    assert f"reading {HOSTILE}.csv" in out.export_text()
