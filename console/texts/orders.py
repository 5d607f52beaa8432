"""A purchase order in lines of text, for the command line and the order screen alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.wording import local_time


def order_text(order: dict[str, Any], with_notes: bool = False) -> str:
    """The order (``OrderProgress.as_json()``), a line per model, and its delivery notes."""
    lines = [
        f"order {order['reference']} ({order['region']}, {order['buyer']}): "
        f"{order['status'].replace('_', ' ')}; {order['received']} of {order['ordered']} received, "
        f"delivered {order['delivered']} of {order['ordered']}"
    ]
    for x in order["lines"]:
        lines.append(
            f"  {x['model']} ({x['kind']}): {x['received']} of {x['ordered']} received, "
            f"delivered {x['delivered']} of {x['ordered']}"
        )
    if with_notes:
        lines += [
            f"  note {n['note']} {_paris(n['at'])}: {n['quantity']} {n['model']} by {n['by']}"
            for n in order["delivery_notes"]
        ]
    return "\n".join(lines)


def _paris(value: Any) -> str:
    """A stored time as Paris wall time, with its zone."""
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return local_time(stamp)
