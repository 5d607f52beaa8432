"""An absent beneficiary nobody could reach: the watch raises an alert and the CCAS gets a
mail on its SMTP server (a real local aiosmtpd server) with a reference and nothing personal."""

from __future__ import annotations

import json
import re

import pytest

from ...helpers import Inbox, free_port, run


def test_absent_unreached_alerts_and_mails_the_ccas(
    store: str, smtp: tuple[Inbox, int], capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, port = smtp
    mail = ["--smtp", f"127.0.0.1:{port}", "--from", "maillage@depot.example"]
    assert run(store, "meals", "municipality", "ccas-mail", "37261", *mail,
               "--to", "ccas@tours.example") == 0  # fmt: skip
    capsys.readouterr()
    plan = ["meals", "rounds", "plan", "--municipality", "37261", "--day", "2026-03-09"]
    assert run(store, *plan, "--postman", "L. Petit", "--vehicle", "VAN-12", "--json") == 0
    rid = json.loads(capsys.readouterr().out)["round"][:8]
    assert run(store, "meals", "rounds", "load", rid, "--box", "box-1=probe-7:2.1") == 0
    stop = ["meals", "rounds", "stop", rid, "2026-002", "--municipality", "37261"]
    stop += ["--outcome", "absent", "--called", "both", "--result", "not_reached"]
    assert run(store, *stop) == 0
    out = capsys.readouterr().out
    raised = re.search(r"welfare alert (W-[0-9A-F]{8}) raised by the welfare watch", out)
    assert raised is not None, out
    reference = raised.group(1)
    assert f"CCAS of Tours mailed about welfare alert {reference}" in out

    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "maillage@depot.example"
    assert envelope.rcpt_tos == ["ccas@tours.example"]
    text = envelope.content.decode()
    assert reference in text and "Tours" in text
    for personal in ("Louis Girard", "2026-002", "absent", "self_care_safety", "reached"):
        assert personal not in text

    # Mailed once: nothing is due any more.
    assert run(store, "meals", "alerts", "notify") == 0
    assert "no alert mail due" in capsys.readouterr().out
    assert len(inbox.envelopes) == 1


def test_a_ccas_server_that_does_not_answer_leaves_the_mail_due(
    store: str, smtp: tuple[Inbox, int], capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, port = smtp
    closed = free_port()
    args = ["--from", "maillage@depot.example", "--to", "ccas@tours.example"]
    mail = ["meals", "municipality", "ccas-mail", "37261"]
    assert run(store, *mail, "--smtp", f"127.0.0.1:{closed}", *args) == 0
    raise_ = ["meals", "alerts", "raise", "2026-001", "--municipality", "37261"]
    raise_ += ["--category", "health", "--severity", "low", "--note", "cough", "--by", "L. Petit"]
    assert run(store, *raise_) == 0
    capsys.readouterr()
    assert run(store, "meals", "alerts", "notify") == 1
    assert "could not be mailed about W-" in capsys.readouterr().out
    assert run(store, *mail, "--smtp", f"127.0.0.1:{port}", *args) == 0
    assert run(store, "meals", "alerts", "notify") == 0
    assert len(inbox.envelopes) == 1
