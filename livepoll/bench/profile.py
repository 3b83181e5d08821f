"""Where a ballot's CPU goes, from a py-spy profile of the server under `livepoll bench`:

    py-spy record -p <server pid> -r 100 --nonblocking -f raw -o ingest.folded -d 30
    python -m livepoll.bench.profile ingest.folded 163     # 163: the run's server µs per ballot

Each sample (a folded stack) goes to the first step below whose marker is on its stack, so the steps add
up to 100 %; with the run's measured CPU per ballot they become µs per ballot (docs/performance.md).
"""

from __future__ import annotations

import sys
from collections import Counter

STEPS: list[tuple[str, tuple[str, ...]]] = [
    ("SQLite writer thread (commit)", ("Thread._bootstrap",)),
    ("ack/error: encode", ("encode_ack", "encode_error")),
    ("ack/error: send (Starlette, uvicorn, websockets, socket write)", ("WebSocket.send_text", "WebSocket.send (")),
    ("validation: VoteMessage (pydantic)", ("model_validate_json", "BallotFields.ballot")),
    ("rules: kinds.answer (canonical value, counts)", ("answer (livepoll/kinds/__init__.py", "Ballot.of")),
    ("Redis: writer task (pipeline, replies)", ("BallotWriter._run", "BallotWriter._write", "BallotWriter._store")),
    ("Redis: queueing a ballot and waiting", ("BallotWriter.cast",)),
    ("store: backend.cast_ballot", ("cast_ballot",)),
    ("embedded: writer task (event-loop side)", ("_write_loop", "_commit_batch")),
    ("Polls.vote_as (rest)", ("Polls.vote_as", "Polls._vote")),
    ("socket loop (rest)", ("_participant_loop", "_handle_vote")),
    ("receive: uvicorn/websockets parse, ASGI queue", ("data_received", "WebSocketsSansIOProtocol.receive")),
    ("live: hub, ticks, fan-out", ("livepoll/live.py", "livepoll/live_frames.py")),
    ("Redis: notices", ("redis_notices",)),
    ("joins (HTTP, handshakes)", ("RequestResponseCycle", "HttpToolsProtocol", "handshake")),
    ("redis-py (other)", ("redis/",)),
    ("event loop (epoll, callbacks, task wake-ups)", ("Runner.run",)),
]


def step_of(frames: list[str]) -> str:
    for name, markers in STEPS:
        if any(marker in frame for frame in frames for marker in markers):
            return name
    return "other"


def breakdown(path: str) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    total = 0
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            stack, _, n = line.rstrip().rpartition(" ")
            if not n.isdigit():
                continue
            counts[step_of(stack.split(";"))] += int(n)
            total += int(n)
    return counts, total


def main(argv: list[str]) -> None:
    counts, total = breakdown(argv[0])
    per_ballot = float(argv[1]) if len(argv) > 1 else None
    print("| step | share of samples |" + (" µs per ballot |" if per_ballot else ""))
    print("| --- | --- |" + (" --- |" if per_ballot else ""))
    for name, n in counts.most_common():
        share = n / max(1, total)
        extra = f" {share * per_ballot:.0f} |" if per_ballot else ""
        print(f"| {name} | {share:.1%} |{extra}")
    print(f"\n{total} samples")


if __name__ == "__main__":
    main(sys.argv[1:])
