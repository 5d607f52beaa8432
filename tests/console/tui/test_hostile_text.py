"""Issue #18 item 4 (security suite, here for the demo console's fixtures): a welfare note or
follow-up holding Rich markup is shown as typed — no crash, no clickable action."""

from __future__ import annotations

from pathlib import Path

from domain.clock import FixedClock
from domain.meals import service as meals

from ..helpers import make_app, open_newest_alert

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
