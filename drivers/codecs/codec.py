"""What every codec shares: a bounded buffer, the resynchronising scan loop and the counters.

A protocol module only says where a frame may start (``sync``), how long a frame can be
(``max_frame_len``) and what the bytes at a candidate start are (``_match``). The scan loop
here does the rest once for all protocols: skip garbage, wait for the rest of a frame, slide
past false starts and bad checksums, and keep the buffer shorter than one frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import fields
from enum import IntEnum
from typing import Any, ClassVar, Generic, TypeVar

FrameT = TypeVar("FrameT")


class Verdict(IntEnum):
    """What a codec's ``_match`` found at a candidate frame start."""

    NEED_MORE = 0
    """The bytes so far could begin a frame: wait for more."""
    NOT_A_FRAME = 1
    """No frame starts here (false sync, broken framing): drop ``length`` bytes and rescan."""
    BAD_CHECKSUM = 2
    """Framing fits but the check value does not: drop ``length`` bytes and rescan."""
    REJECTED = 3
    """Check value good but payload malformed: drop the ``length`` bytes of the frame."""
    FRAME = 4
    """A frame of ``length`` bytes."""
    SEPARATOR = 5
    """``length`` bytes between frames that are not garbage (an HDLC flag shared by two)."""


Match = tuple[Verdict, int, FrameT | None]
"""(verdict, length, frame): ``frame`` is set only with ``Verdict.FRAME``."""

FRAME = Verdict.FRAME
REJECTED = Verdict.REJECTED
NEED_MORE: Match[Any] = (Verdict.NEED_MORE, 0, None)
NOT_A_FRAME: Match[Any] = (Verdict.NOT_A_FRAME, 1, None)
BAD_CHECKSUM: Match[Any] = (Verdict.BAD_CHECKSUM, 1, None)
SEPARATOR = Verdict.SEPARATOR
_NEED_MORE = Verdict.NEED_MORE
_BAD_CHECKSUM = Verdict.BAD_CHECKSUM

WAIT_SLACK_S = 0.5
"""Time a frame may take beyond its transmission time (USB latency, reads every 50 ms)."""


class Codec(ABC, Generic[FrameT]):
    """Incremental decoder: ``feed(bytes) -> frames``; never raises, never grows without bound.

    Counters (cumulative): ``frames`` returned; ``checksum_errors``; ``frames_rejected``
    (check value good, payload malformed); ``bytes_dropped`` — every byte discarded without
    becoming part of a returned frame (garbage, false starts, bad or rejected frames);
    ``frames_abandoned`` — candidates still incomplete ``max_wait_s`` after they began.

    True times: ``frame_ends`` holds, for the frames the last ``feed`` returned, where each
    ends in the stream (bytes fed since creation), so a caller stamps a frame with the
    arrival time of its last byte even when it was released later. No stall: a candidate
    frame still incomplete ``max_wait_s`` after its first byte arrived (``feed``'s
    ``now_s``) is abandoned and the scan resumes right after its sync bytes;
    ``set_baudrate`` sets that budget from the longest frame's transmission time.
    """

    sync: ClassVar[bytes]
    """Bytes every frame starts with (the scan looks for them)."""
    max_frame_len: ClassVar[int]
    """Longest frame in bytes; ``_match`` never waits for more than that."""
    gaps_are_garbage: ClassVar[bool] = True
    """Whether bytes skipped between frames count as dropped (not for line separators)."""
    can_hold_frames: ClassVar[bool] = True
    """Whether a broken candidate can hide good frames behind it until its declared length
    arrives (a length or count field): only then does ``set_baudrate`` set a time budget."""

    def __init__(self) -> None:
        self._pending = b""
        custom = type(self)._find_start is not Codec._find_start
        self._custom_find_start = self._find_start if custom else None
        custom_gap = type(self)._gap_garbage is not Codec._gap_garbage
        self._custom_gap = self._gap_garbage if custom_gap else None
        self.frames = 0
        self.checksum_errors = 0
        self.frames_rejected = 0
        self.bytes_dropped = 0
        self.frames_abandoned = 0
        self.fed = 0
        """Bytes fed since creation (the stream offset after the last ``feed``)."""
        self.frame_ends: list[int] = []
        self.max_wait_s: float | None = None
        self._pending_since_s: float | None = None

    def set_baudrate(self, baudrate: int) -> None:
        """Budget a frame's bytes: the longest frame's time on the line (10 bits a byte)
        plus ``WAIT_SLACK_S`` (none for a protocol that cannot hold frames)."""
        if self.can_hold_frames:
            self.max_wait_s = self.max_frame_len * 10.0 / baudrate + WAIT_SLACK_S

    def reset(self) -> None:
        """Forget a partial frame (the port was closed: what follows is another stream).

        Its bytes are counted as dropped; counters and the stream offset carry on.
        """
        self.bytes_dropped += len(self._pending)
        self._pending = b""
        self._pending_since_s = None

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a frame (always less than ``max_frame_len``)."""
        return len(self._pending)

    def feed(self, data: bytes, now_s: float | None = None) -> list[FrameT]:
        """Decode what ``data`` completes; keep a partial frame for the next call.

        ``now_s``: when ``data`` arrived (any clock, seconds), for the time budget: a
        candidate that began more than ``max_wait_s`` before and is still incomplete with
        ``data`` is abandoned (judged after ``data``, so a reader that was late to read
        never loses a frame whose bytes were all there).
        """
        self.frame_ends = []
        waiting_since = self._pending_since_s if self._pending else None
        base = self.fed - len(self._pending)
        self.fed += len(data)
        out, pos = self._scan(self._pending + data if self._pending else bytes(data), base)
        same = pos == 0 and waiting_since is not None  # the old candidate still waits
        while (
            same
            and self._pending
            and now_s is not None
            and self.max_wait_s is not None
            and now_s - waiting_since > self.max_wait_s  # type: ignore[operator]
        ):
            self._abandon()
            view, self._pending = self._pending, b""
            more, _ = self._scan(view, self.fed - len(view))
            out += more
            same = False
        if not self._pending:
            self._pending_since_s = None
        elif not same:  # a candidate that began in ``data``
            self._pending_since_s = now_s
        return out

    def _scan(self, view: bytes, base: int) -> tuple[list[FrameT], int]:
        """The scan loop over ``view`` (stream offset ``base``): frames out, counters and
        ``frame_ends`` updated, the unfinished tail left in ``_pending``; returns the frames
        and where the tail starts."""
        self._prepare(view)
        match = self._match
        sync = self.sync
        find_start = self._custom_find_start
        gap = self._custom_gap
        count_gaps = self.gaps_are_garbage
        ends = self.frame_ends
        out: list[FrameT] = []
        end = len(view)
        pos = 0
        dropped = 0
        while pos < end:
            start = view.find(sync, pos) if find_start is None else find_start(view, pos)
            if start < 0:
                keep = self._partial_sync(view, pos)
                if count_gaps:
                    dropped += end - keep - pos if gap is None else gap(view, pos, end - keep)
                pos = end - keep
                break
            if count_gaps:
                dropped += start - pos if gap is None else gap(view, pos, start)
            verdict, length, frame = match(view, start)
            if verdict is FRAME:
                out.append(frame)  # type: ignore[arg-type]
                pos = start + length
                ends.append(base + pos)
            elif verdict is _NEED_MORE:
                pos = start
                break
            elif verdict is SEPARATOR:
                pos = start + length
            else:
                if verdict is _BAD_CHECKSUM:
                    self.checksum_errors += 1
                elif verdict is REJECTED:
                    self.frames_rejected += 1
                dropped += length
                pos = start + length
        self._pending = view[pos:]
        self.bytes_dropped += dropped
        self.frames += len(out)
        return out, pos

    def _abandon(self) -> None:
        """Drop the pending candidate's sync bytes: it took longer than a frame can."""
        skip = min(len(self.sync), len(self._pending))
        self.frames_abandoned += 1
        self.bytes_dropped += skip
        self._pending = self._pending[skip:]
        self._pending_since_s = None

    def _prepare(self, view: bytes) -> None:
        """Hook run once per ``feed`` on the whole buffer before the scan (nothing by default)."""

    def _gap_garbage(self, view: bytes, pos: int, end: int) -> int:
        """How many bytes of the gap ``view[pos:end]`` between frames are garbage (all)."""
        return end - pos

    def _find_start(self, view: bytes, pos: int) -> int:
        """Index of the next candidate frame start at or after ``pos``, or -1."""
        return view.find(self.sync, pos)

    def _partial_sync(self, view: bytes, pos: int) -> int:
        """How many trailing bytes (after ``pos``) could begin ``sync``: they are kept."""
        sync = self.sync
        for keep in range(min(len(sync) - 1, len(view) - pos), 0, -1):
            if view.endswith(sync[:keep]):
                return keep
        return 0

    @abstractmethod
    def _match(self, view: bytes, start: int) -> Match[FrameT]:
        """Judge the bytes at ``start`` (a candidate frame start); must never raise."""


def fast_constructor(cls: type[FrameT]) -> Callable[..., FrameT]:
    """A positional constructor for a frozen slots dataclass, for hot decoding paths.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, which
    costs more than decoding a sentence. This builds the instance as a plain mutable twin
    with the same ``__slots__`` and then retags it with ``cls`` (CPython allows ``__class__``
    assignment between classes of identical slot layout). The result is a genuine frozen
    ``cls`` instance equal to ``cls(*values)`` (positional only; no ``__post_init__``).
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if tuple(names) != getattr(cls, "__slots__", None):
        raise TypeError(f"{cls.__name__} is not a slots dataclass")
    params = ", ".join(names)
    source = (
        f"def __init__(self, {params}):\n"
        + "".join(f"    self.{name} = {name}\n" for name in names)
        + f"def new({params}, *, _twin=None, _cls=cls):\n"
        + f"    frame = _twin({params})\n"
        + "    frame.__class__ = _cls\n"
        + "    return frame\n"
    )
    namespace: dict[str, Any] = {"cls": cls}
    exec(source, namespace)
    twin = type(f"_{cls.__name__}Twin", (), {"__slots__": cls.__slots__})
    twin.__init__ = namespace["__init__"]  # type: ignore[misc]
    constructor: Callable[..., FrameT] = namespace["new"]
    constructor.__kwdefaults__ = {"_twin": twin, "_cls": cls}
    constructor.__doc__ = f"Build a {cls.__name__} from its fields in order (fast path)."
    return constructor
