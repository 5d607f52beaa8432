"""Login throttling: after a few failures, a login (and, separately, a client address) must
wait before trying again, the wait doubling with each further failure (capped)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Failures:
    count: int = 0
    locked_until_s: float = 0.0


class Throttle:
    """Counts failed logins per key (``login:…``, ``addr:…``); ``wait_s`` says how long a key
    must still wait. ``free`` failures are allowed, then ``base_s`` × 2^(n - free), at most
    ``cap_s``. A success clears the login's count (not the address's: one good account does
    not reopen guessing from that address). Held in memory, bounded to ``max_keys``."""

    def __init__(
        self,
        free: int = 3,
        base_s: float = 1.0,
        cap_s: float = 900.0,
        max_keys: int = 100_000,
        now_s: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.base_s, self.cap_s, self.max_keys = free, base_s, cap_s, max_keys
        self.now_s = now_s
        self._keys: OrderedDict[str, _Failures] = OrderedDict()

    def wait_s(self, *keys: str) -> float:
        """How long the longest-locked of ``keys`` must still wait (0: may try now)."""
        now = self.now_s()
        waits = [self._keys[k].locked_until_s - now for k in keys if k in self._keys]
        return max([0.0, *waits])

    def failed(self, *keys: str) -> None:
        now = self.now_s()
        for key in keys:
            record = self._keys.pop(key, None) or _Failures()
            record.count += 1
            over = record.count - self.free
            if over >= 0:
                record.locked_until_s = now + min(self.cap_s, self.base_s * 2**over)
            self._keys[key] = record
        while len(self._keys) > self.max_keys:
            self._keys.popitem(last=False)

    def succeeded(self, login_key: str) -> None:
        self._keys.pop(login_key, None)
