"""`livepoll bench --kind`: the per-kind rules of livepoll/bench/kinds.py (pure), and short bench runs against a
real server that must report the final tally exact."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.server import ADMIN_TOKEN, ServerProcess, run_cli

from livepoll.bench import kinds
from livepoll.bench.report import exactness

# Each backend runs a short bench for a few kinds: a replacing one with free words, the cumulative one and a
# scored one (the others share their code paths: choice/quiz are the existing bench, scale like ranking).
# Open text first: its run waits for the process to load the dictionaries (seconds, see docs/performance.md),
# so that the word cloud's 1-s phase sees frames and probe samples.
BENCHED = {"embedded": ["open", "wordcloud"], "redis": ["ranking", "scale"]}


def _bench(server: ServerProcess, kind: str, out: Path) -> dict[str, Any]:
    done = run_cli([
        "bench", "--url", server.base_url, "--admin-token", ADMIN_TOKEN, "--kind", kind,
        "--participants", "20", "--presenters", "1", "--processes", "1", "--rate", "max", "--duration", "1",
        "--time-limit", "60", "--quiet", "--json", str(out),
    ], timeout=90.0)
    assert done.returncode == 0, f"bench --kind {kind} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    report: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return report


def test_bench_reports_every_kind_exact(server: ServerProcess, backend_name: str, tmp_path: Path) -> None:
    for kind in BENCHED[backend_name]:
        report = _bench(server, kind, tmp_path / f"{kind}.json")
        assert report["config"]["kind"] == kind
        phase = report["phases"][0]
        assert phase["acks"] > 0 and not phase["errors"], phase["errors"]
        assert report["exactness"]["exact"] is True, report["exactness"]["mismatches"]
        assert report["exactness"]["tally_voters"] >= 20
        if kind != "open":  # open text's phase ends as soon as everyone sent its 10 entries (well under 1 s)
            assert phase["presenter_frame_max_bytes"] > 0
            assert phase["screen_latency_ms"]["n"] > 0  # the probes saw their ballots on the presenter


# Pure rules --------------------------------------------------------------------------------------------


def test_replacing_kinds_expect_each_participant_s_last_acknowledged_ballot() -> None:
    choice = kinds.get("choice")
    sure, voters, ambiguous = kinds.expected(choice, [
        ([("o1",)], []),  # known
        ([("o2",)], [("o3",)]),  # last ballot unanswered: either
        ([], []),  # never voted
        ([], [("o4",)]),  # first ballot unanswered: nothing or it
    ])
    assert (sure, voters) == (Counter({"o1": 1}), 1)
    assert ambiguous == [[{"o2": 1}, {"o3": 1}], [None, {"o4": 1}]]
    result = exactness(sure, voters, ambiguous, {"o1": 1, "o3": 1}, 2)
    assert result["verdict"].startswith("consistent")
    assert exactness(sure, voters, ambiguous, {"o1": 2, "o3": 1}, 2)["verdict"] == "MISMATCH"


def test_open_text_expects_every_acknowledged_entry() -> None:
    open_text = kinds.get("open")
    sure, voters, ambiguous = kinds.expected(open_text, [
        ([("a",), ("b",)], []),
        ([("c",)], [("d",), ("e",)]),
        ([], [("f",)]),
    ])
    assert (sure, voters) == (Counter({"a": 1, "b": 1}), 1)
    assert ambiguous == [[{"c": 1}, {"c": 1, "d": 1, "e": 1}], [None, {"f": 1}]]
    # The server's view: the texts of its entries, host view.
    assert open_text.tally({"entries": [{"text": "a"}, {"text": "b"}, {"text": "a"}]}) == {"a": 2, "b": 1}
    ballots = [open_text.ballot(["wpis"], k, n) for k in range(3) for n in range(1, kinds.OPEN_MAX_ENTRIES + 1)]
    assert len(set(ballots)) == len(ballots)  # distinct texts: a repeat within 60 s would count once


def test_word_cloud_counts_each_word_once_by_its_case_folded_key() -> None:
    cloud = kinds.get("wordcloud")
    assert cloud.counts(("Miasto", "kot", "MIASTO")) == {"miasto": 1, "kot": 1}
    keys = set(kinds.LOAD_WORDS)
    for k in range(50):
        for n in range(1, 7):
            ballot = cloud.ballot(kinds.LOAD_WORDS, k, n)
            assert 1 <= len(ballot) <= 3 and set(cloud.counts(ballot)) <= keys
    question = {"words": [{"key": "miasto", "text": "Miasto", "count": 3}],
                "hidden_words": [{"key": "kot", "text": "kot", "count": 1}], "blocked_words": []}
    assert cloud.tally(question) == {"miasto": 3, "kot": 1}
    assert cloud.probe_shows(cloud.probe_view(question), "miasto", True, 1) is False  # count 3, not 1
    assert len(kinds.LOAD_WORDS) + len(kinds.PROBE_WORDS) <= 200  # every word stays on the screens


def test_bench_words_are_their_own_lemma_and_not_blocked() -> None:
    from livepoll.blocklist import Blocklist
    from livepoll.words import normalize_entry

    blocklist = Blocklist.load()
    words = [*kinds.LOAD_WORDS, *kinds.PROBE_WORDS]
    assert len(set(words)) == len(words)
    for word in words:
        for spelling in (word, word.capitalize(), word.upper()):
            entry = normalize_entry(spelling)
            assert entry is not None and entry.key == word, (spelling, entry)
        assert not blocklist.blocks(word), word


def test_scale_ballots_and_tally_agree() -> None:
    scale = kinds.get("scale")
    load = ["s1", "s2", "s3", "s4"]
    assert scale.body(("s1=3", "s2=5")) == {"ratings": {"s1": 3, "s2": 5}}
    ballots = [scale.ballot(load, k, n) for k in range(7) for n in range(1, 4)]
    totals: Counter[str] = Counter()
    for ballot in ballots:
        assert set(scale.body(ballot)["ratings"]) <= set(load)
        assert all(kinds.SCALE_MIN <= v <= kinds.SCALE_MAX for v in scale.body(ballot)["ratings"].values())
        totals.update(scale.counts(ballot))
    # What the server would answer for these ballots, built from the expected counts.
    points = range(kinds.SCALE_MIN, kinds.SCALE_MAX + 1)
    question = {"statements": [{"id": s, "counts": [totals[f"{s}={v}"] for v in points],
                                "voters": totals[f"{s}:voters"]} for s in load]}
    assert {k: v for k, v in scale.tally(question).items() if v} == dict(totals)
    assert scale.probe_shows(scale.probe_view(question), "s1", True, 1) is (totals["s1:voters"] == 1)


def _ranking_frame(ranking: kinds.Kind, ballots: list[kinds.Ballot]) -> dict[str, Any]:
    scores: Counter[str] = Counter()
    for ballot in ballots:
        scores.update(ranking.counts(ballot))
    return {"voters": len(ballots), "options": [{"id": o, "score": s} for o, s in scores.items()]}


def test_ranking_scores_and_the_probe_reading() -> None:
    ranking = kinds.get("ranking")
    assert ranking.counts(("o2", "o1", "o3")) == {"o2": 3, "o1": 2, "o3": 1}
    created = {"id": "q1", "options": [{"id": f"o{i}"} for i in range(1, 11)]}
    layout = ranking.layout(created)
    assert layout.probes == ["o5,o6", "o7,o8", "o9,o10"]
    loads = [ranking.ballot(layout.load, k, n) for k in range(5) for n in range(1, 4)]
    assert all(sorted(b) == sorted(layout.load) for b in loads)  # every option once
    probe, other = layout.probes[0], layout.probes[1]
    other_on = ranking.probe_ballot(other, True, 1, layout.load)
    for on in (False, True):
        mine = ranking.probe_ballot(probe, on, 1, layout.load)
        view = ranking.probe_view(_ranking_frame(ranking, [*loads, other_on, mine]))
        assert ranking.probe_shows(view, probe, on, 1) is True
        assert ranking.probe_shows(view, probe, not on, 1) is False
    # Before the probe's first ballot the frame reads "off": its first ("on") ballot is not seen early.
    view = ranking.probe_view(_ranking_frame(ranking, [*loads, other_on]))
    assert ranking.probe_shows(view, probe, True, 1) is False


@pytest.mark.parametrize("name", sorted(kinds.KINDS))
def test_every_kind_defines_a_question_and_json_ballots(name: str) -> None:
    kind = kinds.get(name)
    definition = kind.definition()
    assert definition["kind"] == name
    message = json.loads(kind.message("q1", kind.ballot(["o1", "o2", "o3", "o4"], 3, 1), "7:1.5"))
    assert message["type"] == "vote" and message["question"] == "q1" and message["ref"] == "7:1.5"
    assert set(message) - {"type", "question", "ref"} == set(kind.body(kind.ballot(["o1"], 0, 1)))
