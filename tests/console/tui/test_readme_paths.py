"""Every command README.md lists has a path in the console, exercised by a named test: this
table maps each command to that test (a palette entry, a mode's key, a dialog). Commands the
console does not do yet are listed in ``GAPS`` and those that are not the console's to do in
``NOT_IN_CONSOLE``, each with why: a command added to the README with none of the three fails."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).parent

PATHS: dict[str, tuple[str, str]] = {
    # command path: (test file in tests/console/tui, the test that takes the console's path)
    "store info": ("test_app.py", "test_command_palette_offers_store_info"),
    "views update": ("test_app.py", "test_one_views_update_reaches_the_app_once"),
    "views rebuild": ("test_app.py", "test_rebuild_views_from_the_palette_shows_progress_and_keeps_rows"),  # noqa: E501
    "meals municipality add": ("test_palette_meals_files.py", "test_add_a_municipality"),
    "meals municipality configure": ("test_palette_meals_files.py", "test_configure_a_municipality_from_its_recorded_values"),  # noqa: E501
    "meals municipality welfare-rules": ("test_palette_meals_files.py", "test_set_welfare_rules"),
    "meals municipality ccas-mail": ("test_palette_meals_files.py", "test_set_the_ccas_mail"),
    "meals beneficiaries import": ("test_palette_meals.py", "test_beneficiaries_imported_from_the_palette"),  # noqa: E501
    "meals beneficiaries list": ("test_app.py", "test_meals_mode_lists_beneficiaries_and_opens_a_round_with_its_excursion"),  # noqa: E501
    "meals beneficiaries erase": ("test_keys_and_dialogs.py", "test_slash_filters_at_once_and_enter_opens_a_beneficiary_that_can_be_erased"),  # noqa: E501
    "meals beneficiaries add": ("test_palette_meals_files.py", "test_add_a_beneficiary"),
    "meals beneficiaries edit": ("test_palette_meals_files.py", "test_edit_a_beneficiary_from_the_palette"),  # noqa: E501
    "meals beneficiaries end": ("test_palette_meals_files.py", "test_end_a_beneficiary_s_service_after_confirming"),  # noqa: E501
    "meals rounds plan": ("test_palette_meals.py", "test_plan_a_round_from_the_palette"),
    "meals rounds pin": ("test_keys_and_dialogs.py", "test_a_round_pinned_and_optimised_from_its_palette"),  # noqa: E501
    "meals rounds optimise": ("test_round_screen.py", "test_pin_and_optimise_a_planned_round"),
    "meals day plan": ("test_day_planning.py", "test_plan_a_day_over_vans_from_the_meals_screen"),
    "meals rounds load": ("test_palette_meals.py", "test_a_rounds_day_from_its_palette"),
    "meals rounds probe": ("test_palette_meals.py", "test_a_rounds_day_from_its_palette"),
    "meals rounds release": ("test_palette_meals.py", "test_a_rounds_day_from_its_palette"),
    "meals rounds stop": ("test_palette_meals.py", "test_a_rounds_day_from_its_palette"),
    "meals rounds complete": ("test_palette_meals.py", "test_a_rounds_day_from_its_palette"),
    "meals rounds manifest": ("test_app.py", "test_meals_mode_lists_beneficiaries_and_opens_a_round_with_its_excursion"),  # noqa: E501
    "meals rounds amend": ("test_round_screen.py", "test_amend_a_recorded_outcome_from_the_round_screen"),  # noqa: E501
    "meals alerts raise": ("test_palette_meals.py", "test_an_alert_raised_acknowledged_followed_and_closed_from_the_palette"),  # noqa: E501
    "meals alerts list": ("test_app.py", "test_ccas_acknowledges_follows_up_and_closes_an_alert"),
    "meals alerts show": ("test_app.py", "test_ccas_acknowledges_follows_up_and_closes_an_alert"),
    "meals alerts ack": ("test_palette_meals.py", "test_an_alert_raised_acknowledged_followed_and_closed_from_the_palette"),  # noqa: E501
    "meals alerts follow-up": ("test_palette_meals.py", "test_an_alert_raised_acknowledged_followed_and_closed_from_the_palette"),  # noqa: E501
    "meals alerts close": ("test_palette_meals.py", "test_an_alert_raised_acknowledged_followed_and_closed_from_the_palette"),  # noqa: E501
    "meals statement": ("test_palette_meals.py", "test_a_statement_exported_from_the_palette"),
    "devices import manifest": ("test_palette_devices.py", "test_imports_with_progress_from_the_palette"),  # noqa: E501
    "devices import schools": ("test_palette_devices.py", "test_imports_with_progress_from_the_palette"),  # noqa: E501
    "devices orders": ("test_palette_devices.py", "test_enter_opens_shipments_kits_and_orders_with_their_actions"),  # noqa: E501
    "devices stage": ("test_palette_devices.py", "test_stage_allocate_prepare_seal_dispatch_deliver_and_hand_over"),  # noqa: E501
    "devices allocate": ("test_palette_devices.py", "test_stage_allocate_prepare_seal_dispatch_deliver_and_hand_over"),  # noqa: E501
    "devices shipments": ("test_palette_devices.py", "test_stage_allocate_prepare_seal_dispatch_deliver_and_hand_over"),  # noqa: E501
    "devices hand-over": ("test_palette_devices.py", "test_stage_allocate_prepare_seal_dispatch_deliver_and_hand_over"),  # noqa: E501
    "devices kits": ("test_palette_devices.py", "test_a_kit_reserved_checked_out_and_in"),
    "devices count": ("test_devices_mode.py", "test_tabs_load"),
    "devices list": ("test_app.py", "test_devices_filter_counts_matches_and_enter_opens_history"),
    "devices show": ("test_devices_mode.py", "test_custody_chain_of_a_serial_opens"),
    "sensors detect": ("test_sensors_mode.py", "test_a_recording_from_the_sensors_mode"),
    "record": ("test_sensors_mode.py", "test_a_recording_from_the_sensors_mode"),
    "sessions list": ("test_palette_sessions_audit.py", "test_sessions_listed_and_processed"),
    "sessions show": ("test_palette_sessions_audit.py", "test_sessions_listed_and_processed"),
    "sessions export": ("test_palette_bundles.py", "test_a_bundle_exported_then_imported_into_another_store"),  # noqa: E501
    "sessions import": ("test_palette_bundles.py", "test_a_bundle_exported_then_imported_into_another_store"),  # noqa: E501
    "sessions process": ("test_palette_sessions_audit.py", "test_sessions_listed_and_processed"),
    "territory import-network": ("test_palette_territory.py", "test_a_road_network_and_a_layer_imported_from_the_palette"),  # noqa: E501
    "territory import-layer": ("test_palette_territory.py", "test_a_road_network_and_a_layer_imported_from_the_palette"),  # noqa: E501
    "geo export": ("test_geo_map.py", "test_map_draws_pans_zooms_and_cycles_indicator"),
    "reports add": ("test_geo_map.py", "test_a_field_report_is_recorded_at_the_selected_segment"),
    "audit verify": ("test_audit_mode.py", "test_browse_filter_scrub_back_and_select_another_aggregate"),  # noqa: E501
    "audit state": ("test_audit_mode.py", "test_browse_filter_scrub_back_and_select_another_aggregate"),  # noqa: E501
    "audit events": ("test_audit_mode.py", "test_a_type_filter_and_an_aggregate_filter_from_the_bar"),  # noqa: E501
    "audit report service-fait": ("test_palette_sessions_audit.py", "test_an_audit_report_written_from_the_palette"),  # noqa: E501
    "audit report cold-chain": ("test_palette_sessions_audit.py", "test_an_audit_report_written_from_the_palette"),  # noqa: E501
    "audit report custody": ("test_palette_sessions_audit.py", "test_an_audit_report_written_from_the_palette"),  # noqa: E501
    "audit erase-beneficiary": ("test_keys_and_dialogs.py", "test_slash_filters_at_once_and_enter_opens_a_beneficiary_that_can_be_erased"),  # noqa: E501
    "people list": ("test_people.py", "test_an_admin_grants_and_revokes_from_the_console"),
    "people grant": ("test_people.py", "test_an_admin_grants_and_revokes_from_the_console"),
    "people revoke": ("test_people.py", "test_an_admin_grants_and_revokes_from_the_console"),
    "people password": ("test_people.py", "test_an_admin_sets_a_web_password_from_the_palette"),
    "meals orders": ("test_palette_readme_gaps.py", "test_a_day_s_orders_from_the_palette"),
    "meals alerts notify": ("test_palette_readme_gaps.py", "test_the_ccas_mails_due_sent_from_the_palette"),  # noqa: E501
    "audit checkpoint": ("test_palette_readme_gaps.py", "test_an_audit_checkpoint_written_from_the_palette"),  # noqa: E501
    "audit replay": ("test_palette_readme_gaps.py", "test_every_view_replayed_from_the_palette"),
    "sessions close": ("test_palette_readme_gaps.py", "test_an_interrupted_session_closed_from_the_palette"),  # noqa: E501
    "territory show": ("test_palette_readme_gaps.py", "test_the_territory_in_force_shown_from_the_palette"),  # noqa: E501
    "geo recommend": ("test_palette_readme_gaps.py", "test_ranked_recommendations_shown_from_the_palette"),  # noqa: E501
    "sessions keys create": ("test_palette_readme_gaps.py", "test_a_laptop_key_created_then_registered_from_the_palette"),  # noqa: E501
    "sessions keys register": ("test_palette_readme_gaps.py", "test_a_laptop_key_created_then_registered_from_the_palette"),  # noqa: E501
    "sessions calibrate": ("test_palette_readme_gaps.py", "test_a_session_calibrated_from_the_palette"),  # noqa: E501
    "territory route": ("test_palette_readme_gaps.py", "test_a_route_for_the_simulator_written_from_the_palette"),  # noqa: E501
}  # fmt: skip

NOT_IN_CONSOLE: dict[str, str] = {
    "demo": "builds the demo store, then opens the console on it",
    "store init": "creates the store the console then opens",
    "depot init": "the database owner sets up PostgreSQL roles, before any console connects",
    "simulate": "pseudo-terminals standing in for a van's sensors, for development and tests",
    "keys info": "the store's key-encryption key is outside the store, read before it opens",
    "keys rotate": "rewraps every data key: done with no console holding the old key",
    "serve": "serves the console itself to browsers (maillage serve)",
}
"""README commands that are not the console's to do, and why."""

GAPS: dict[str, str] = {}
"""README commands with no console path yet: what is left of issue 14, said plainly."""

_WORD = re.compile(r"[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*")


def cli_paths() -> set[str]:
    """Every group and command of the command line's tree, as typed (``meals rounds load``)."""
    from console.cli import build_parser

    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found.add(" ".join((*path, name)))
                    walk(sub, (*path, name))

    walk(build_parser(), ())
    return found


def readme_commands() -> set[str]:
    """Each command path the README's command blocks name (``a|b`` written once, counted
    twice): the longest run of words that is a group or command of the tree."""
    known = cli_paths()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found: set[str] = set()
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not (fenced and line.startswith("maillage ")):
            continue
        words: list[str] = []
        for token in line.split()[1:]:
            if not _WORD.fullmatch(token):
                break
            words.append(token)
        while words and " ".join([*words[:-1], words[-1].split("|")[0]]) not in known:
            words.pop()
        if not words:
            continue  # ``maillage --version``, ``maillage COMMAND --help``
        *head, last = words
        found |= {" ".join([*head, alternative]) for alternative in last.split("|")}
    return found


def test_every_readme_command_is_placed() -> None:
    commands = readme_commands()
    assert len(commands) > 60
    unplaced = commands - set(PATHS) - set(NOT_IN_CONSOLE) - set(GAPS)
    assert not unplaced, f"README commands with no console path, gap or reason: {unplaced}"
    stale = (set(PATHS) | set(NOT_IN_CONSOLE) | set(GAPS)) - commands
    assert not stale, f"listed here but not in the README: {stale}"
    assert not set(PATHS) & set(GAPS)


def test_each_console_path_names_a_test_that_exists() -> None:
    for command, (file, test) in PATHS.items():
        text = (HERE / file).read_text(encoding="utf-8")
        assert re.search(rf"^(async )?def {test}\(", text, re.M), f"{command}: {file}::{test}"
