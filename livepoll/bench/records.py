"""What a generator process keeps per connection and per phase (shared by `worker` and `storm`)."""

from __future__ import annotations

import array
import asyncio
from collections import Counter
from dataclasses import dataclass, field

from livepoll.bench.clients import WsClient


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    host_header: str


@dataclass
class WorkerConfig:
    index: int
    targets: list[Target]
    code: str
    host_key: str
    question: str
    load_options: list[str]
    probe_options: list[str]
    participant_ids: list[int]  # global indexes of this worker's load participants
    presenter_ids: list[int]
    local_addrs: list[str | None]
    http_pool_size: int = 16
    seed: int = 0
    kind: str = "choice"  # the question kind (livepoll.bench.kinds); load/probe_options are its tokens


class Participant:
    __slots__ = ("acked", "cookie", "gid", "k", "lost_at", "next_ok", "pending", "probe", "resynced_at",
                 "stalled", "target", "uncertain", "ws")

    def __init__(self, gid: int, target: Target) -> None:
        self.gid = gid
        self.target = target
        self.ws: WsClient | None = None
        self.cookie: str | None = None
        self.pending: tuple[str, ...] | None = None
        self.acked: tuple[str, ...] | None = None
        # Ballots answered "unavailable" since the last ack: a timeout cannot know whether they were stored.
        self.uncertain: list[tuple[str, ...]] = []
        self.k = gid  # ballot counter, offset so that participants spread over the load options
        self.next_ok = 0.0
        self.probe: Probe | None = None
        self.stalled = False
        self.lost_at = 0.0
        self.resynced_at = 0.0


class Presenter:
    __slots__ = ("frames", "gid", "last_seq", "lost_at", "resynced_at", "seq_back", "stalled", "target", "ws")

    def __init__(self, gid: int, target: Target) -> None:
        self.gid = gid
        self.target = target
        self.ws: WsClient | None = None
        self.frames = 0
        self.last_seq = -1
        self.seq_back = 0
        self.stalled = False
        self.lost_at = 0.0
        self.resynced_at = 0.0


class Probe:
    """A participant that owns one option nobody else chooses. It toggles its ballot between that option
    and a load option, one toggle at a time; the toggle is on a presenter's screen when a results frame
    shows the option's count at the new value (1 or 0). Latency = frame arrival - ballot send time, per
    healthy presenter. The next toggle waits until every healthy presenter saw it (or PROBE_TIMEOUT), then
    a random 50-250 ms, so toggles do not lock to the 10 Hz tick."""

    __slots__ = ("expect", "option", "participant", "seen", "sent_at", "timer", "waiting")

    def __init__(self, participant: Participant, option: str) -> None:
        self.participant = participant
        self.option = option
        self.expect = 0
        self.sent_at = 0.0
        self.seen: set[int] = set()
        self.waiting = False
        self.timer: asyncio.TimerHandle | None = None


@dataclass
class Phase:
    running: bool = False
    sent: int = 0
    sent_http: int = 0
    acks: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    error_messages: set[str] = field(default_factory=set)  # a few distinct error texts, for diagnosis
    lost: int = 0
    unsent: int = 0
    ack_latency: array.array[float] = field(default_factory=lambda: array.array("d"))
    screen_latency: array.array[float] = field(default_factory=lambda: array.array("d"))
    probe_timeouts: int = 0
    phone_frames: int = 0
    presenter_frames: int = 0
