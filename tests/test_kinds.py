"""The rules of every question kind, without servers: building a question from a creation request, checking a
ballot into its one stored form (value + tally counts), reading results back from a tally, and the rows each
kind gives the CSV exports."""

from __future__ import annotations

import json

import pytest

from livepoll import kinds
from livepoll.kinds import BallotContext, BallotInput, ResultsView
from livepoll.kinds.base import Words
from livepoll.kinds.choice import points_earned
from livepoll.model import Answer, PollError, StoredBallot, Tally, ballot_fields, count_ballots
from livepoll.questions import OTHER, Draft, Question, QuestionKind

K = QuestionKind


def build(**fields: object) -> Question:
    return kinds.build_question(Draft(**fields), 1)  # type: ignore[arg-type]


def answer(question: Question, now: float = 1000.0, previous: str | None = None, **ballot: object) -> Answer:
    return kinds.answer(question, BallotInput(**ballot), BallotContext(now, previous=previous))  # type: ignore[arg-type]


class _Refusal:
    def __init__(self, code: str, status: int) -> None:
        self.code, self.status = code, status

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        assert isinstance(exc, PollError), f"expected PollError {self.code}, got {exc!r}"
        assert (exc.code, exc.status) == (self.code, self.status), (exc.code, exc.status, exc.message)
        return True


def results(question: Question, answers: list[Answer], **view: object) -> dict[str, object]:
    tally = count_ballots(question, answers)
    return kinds.question_results(question, ResultsView(tally, **view))  # type: ignore[arg-type]


# Choice with "other" ----------------------------------------------------------------------------------------


def test_other_is_one_more_option_that_needs_a_text() -> None:
    """`other: true` adds the option `other`; choosing it needs other_text (trimmed, ≤ 200), which is stored
    with the ballot and listed for the host only; other_text without `other` is refused."""
    q = build(kind=K.CHOICE, text="Z kim?", options=["miasto", "NGO"], other=True, max_choices=2)
    assert [o.id for o in q.options] == ["o1", "o2", OTHER] and q.options[-1].label == ""
    named = build(kind=K.CHOICE, text="Z kim?", options=["a", "b"], other=True, other_label="Ktoś inny")
    assert named.options[-1].label == "Ktoś inny"
    with _Refusal("other_text_required", 422):
        answer(q, choices=["o1", OTHER])
    with _Refusal("other_text_required", 422):
        answer(q, choices=[OTHER], other_text="   ")
    with _Refusal("other_text_too_long", 422):
        answer(q, choices=[OTHER], other_text="x" * 201)
    with _Refusal("unexpected_field", 422):
        answer(q, choices=["o1"], other_text="szkoła")
    a = answer(q, choices=[OTHER, "o1"], other_text="  rada   dzielnicy ")
    assert ballot_fields(a.value) == {"choices": ["o1", OTHER], "other_text": "rada dzielnicy"}
    assert a.counts == (("o1", 1), (OTHER, 1))
    stored = {"v1": StoredBallot(a.value, 5.0)}
    host = results(q, [a], ballots=stored, host=True)
    assert host["other_texts"] == ["rada dzielnicy"]
    assert "other_texts" not in results(q, [a], ballots=stored)
    rows = kinds.rules(q.kind).response_rows(q, ballot_fields(a.value))
    assert [(r.item_id, r.item) for r in rows] == [("o1", "miasto"), (OTHER, "rada dzielnicy")]


def test_choice_without_other_keeps_its_shape() -> None:
    """A choice question records exactly the fields it had before kinds existed, in that order."""
    q = build(kind=K.CHOICE, text="Q", options=["a", "b"])
    assert list(q.to_public()) == ["id", "kind", "text", "max_choices", "allow_change", "options"]


# Word cloud -------------------------------------------------------------------------------------------------


LEMMAS = {"miasta": "miasto", "miastem": "miasto", "miasto": "miasto", "rady": "rada", "rada": "rada"}
WORDS = Words(lambda text: LEMMAS.get(text.casefold(), text.casefold()), lambda text: text.casefold() == "brzydal")


def cloud_answer(question: Question, *entries: str) -> Answer:
    return kinds.answer(question, BallotInput(entries=entries), BallotContext(0.0, WORDS))


def test_word_cloud_counts_a_word_under_its_key_once_per_ballot() -> None:
    """Entries are normalised (the words rules give the key); the same key twice in one ballot counts once;
    the most frequent written form is shown; blocked words are counted apart, for the host only."""
    q = build(kind=K.WORDCLOUD, text="Jedno słowo", max_entries=3)
    assert q.max_entries == 3 and build(kind=K.WORDCLOUD, text="x").max_entries == 3
    a = cloud_answer(q, "Miasta", "miastem", "rady")
    assert ballot_fields(a.value) == {"entries": ["Miasta", "rady"]}
    assert ("w:miasto", 1) in a.counts and ("w:rada", 1) in a.counts
    b = cloud_answer(q, "miasto")
    c = cloud_answer(q, "miasto", "Brzydal")
    shown = results(q, [a, b, c])
    assert shown["words"] == [
        {"key": "miasto", "text": "miasto", "count": 3},
        {"key": "rada", "text": "rady", "count": 1},
    ]
    host = results(q, [a, b, c], host=True)
    assert host["blocked_words"] == [{"key": "brzydal", "text": "Brzydal", "count": 1}]
    hidden = results(q, [a, b, c], marks={"rada": "hidden"}, host=True)
    assert [w["key"] for w in hidden["words"]] == ["miasto"]  # type: ignore[index,union-attr]
    assert hidden["hidden_words"] == [{"key": "rada", "text": "rady", "count": 1}]
    assert [w["key"] for w in results(q, [a, b, c], marks={"rada": "hidden"})["words"]] == ["miasto"]  # type: ignore[index,union-attr]


def test_word_cloud_limits() -> None:
    q = build(kind=K.WORDCLOUD, text="x", max_entries=2)
    with _Refusal("too_many_entries", 422):
        cloud_answer(q, "a", "b", "c")
    with _Refusal("invalid_ballot", 422):
        cloud_answer(q)
    with _Refusal("entry_too_long", 422):
        cloud_answer(q, "x" * 41)
    with _Refusal("empty_entry", 422):
        cloud_answer(q, "   ")
    for bad in (0, 11):
        with _Refusal("invalid_question", 422):
            build(kind=K.WORDCLOUD, text="x", max_entries=bad)


def test_word_cloud_ties_between_written_forms_go_to_the_first_seen() -> None:
    """Two forms sent equally often: the one that appeared first is shown (its `~` count key's first time)."""
    q = build(kind=K.WORDCLOUD, text="x")
    late, early = cloud_answer(q, "MIASTO"), cloud_answer(q, "Miasto")
    tally = count_ballots(q, [late, early])
    first = {"~miasto\x1dMIASTO": 20.0, "~miasto\x1dMiasto": 10.0}
    view = ResultsView(Tally(q.id, tally.counts, tally.voters, first))
    assert kinds.question_results(q, view)["words"] == [{"key": "miasto", "text": "Miasto", "count": 2}]


# Open text --------------------------------------------------------------------------------------------------


def test_open_text_adds_entries_up_to_the_limit_and_recognises_resends() -> None:
    """Each ballot adds an entry to the participant's list; the same text within a minute, or the same
    ref, is the entry already stored; past max_entries: 409 limit_reached."""
    q = build(kind=K.OPEN, text="Uwagi", max_entries=2)
    first = answer(q, 1000.0, None, text="Więcej\n\n\nprzerw", ref="r1")
    entries = ballot_fields(first.value)["entries"]
    assert isinstance(entries, list) and entries[0]["text"] == "Więcej\n\n\nprzerw"
    assert answer(q, 1030.0, first.value, text="Więcej\n\n\nprzerw").value == first.value  # same text < 60 s
    assert answer(q, 1500.0, first.value, text="inne", ref="r1").value == first.value  # same ref
    second = answer(q, 1500.0, first.value, text="Więcej\n\n\nprzerw")  # the same text a while later is new
    assert len(ballot_fields(second.value)["entries"]) == 2  # type: ignore[arg-type]
    assert second.counts == (("entries", 2),)
    with _Refusal("limit_reached", 409):
        answer(q, 1600.0, second.value, text="trzecie")
    with _Refusal("entry_too_long", 422):
        answer(q, text="x" * 501)


def test_open_text_moderation_and_blocklist_decide_what_screens_see() -> None:
    """Unmoderated entries are visible, moderated ones pending until approved; a blocked one is held hidden
    (the host sees it, marked); the host's marks override; screens see visible entries only, newest first."""
    plain = build(kind=K.OPEN, text="x")
    moderated = build(kind=K.OPEN, text="x", moderated=True)
    context = BallotContext(100.0, WORDS)
    ok = kinds.answer(plain, BallotInput(text="dobre"), context)
    bad = kinds.answer(plain, BallotInput(text="brzydal"), BallotContext(200.0, WORDS))
    ballots = {"a": StoredBallot(ok.value, 100.0), "b": StoredBallot(bad.value, 200.0)}
    screens = results(plain, [ok, bad], ballots=ballots)
    assert [e["text"] for e in screens["entries"]] == ["dobre"]  # type: ignore[index,union-attr]
    host = results(plain, [ok, bad], ballots=ballots, host=True)
    assert [(e["text"], e["status"], e["blocked"]) for e in host["entries"]] == [  # type: ignore[union-attr]
        ("brzydal", "hidden", True), ("dobre", "visible", False)]
    waiting = results(moderated, [ok], ballots={"a": StoredBallot(ok.value, 100.0)})
    assert waiting["entries"] == []
    entry_id = ballot_fields(ok.value)["entries"][0]["id"]  # type: ignore[index]
    approved = results(moderated, [ok], ballots={"a": StoredBallot(ok.value, 100.0)}, marks={entry_id: "visible"})
    assert [e["status"] for e in approved["entries"]] == ["visible"]  # type: ignore[union-attr]


# Scale ------------------------------------------------------------------------------------------------------


def test_scale_ratings_count_per_statement_and_value() -> None:
    """Ratings per statement, values within min..max; counts per value and the average with 2 decimals."""
    q = build(kind=K.SCALE, text="Oceń", statements=["treść", "czas"], min=1, max=5, min_label="źle")
    assert [s.id for s in q.statements] == ["s1", "s2"] and q.min_label == "źle" and q.max_label is None
    a = answer(q, ratings={"s2": 4, "s1": 5})
    assert list(ballot_fields(a.value)["ratings"]) == ["s1", "s2"]  # type: ignore[arg-type]
    b = answer(q, ratings={"s1": 2})
    out = results(q, [a, b])
    assert out["statements"] == [
        {"id": "s1", "label": "treść", "counts": [0, 1, 0, 0, 1], "average": 3.5, "voters": 2},
        {"id": "s2", "label": "czas", "counts": [0, 0, 0, 1, 0], "average": 4.0, "voters": 1},
    ]
    with _Refusal("unknown_statement", 422):
        answer(q, ratings={"s9": 3})
    with _Refusal("invalid_rating", 422):
        answer(q, ratings={"s1": 6})
    with _Refusal("invalid_ballot", 422):
        answer(q, ratings={})
    with _Refusal("invalid_question", 422):
        build(kind=K.SCALE, text="x", statements=["a"], min=1, max=12)
    with _Refusal("invalid_question", 422):
        build(kind=K.SCALE, text="x", statements=["a"], min=2, max=5)
    zero = build(kind=K.SCALE, text="x", statements=["a"], min=0, max=10)
    assert len(results(zero, [])["statements"][0]["counts"]) == 11  # type: ignore[index]
    rows = kinds.rules(q.kind).response_rows(q, ballot_fields(a.value))
    assert [(r.item_id, r.item, r.value) for r in rows] == [("s1", "treść", "5"), ("s2", "czas", "4")]


# Ranking ----------------------------------------------------------------------------------------------------


def test_ranking_scores_are_borda_points_and_the_average_rank() -> None:
    """First of n places earns n points; results sorted by score; average rank 1-based with 2 decimals."""
    q = build(kind=K.RANKING, text="Ważne?", options=["a", "b", "c"])
    a = answer(q, order=["o2", "o1", "o3"])
    b = answer(q, order=["o2", "o3", "o1"])
    assert a.counts == (("o2", 3), ("o1", 2), ("o3", 1))
    out = results(q, [a, b])
    assert out["options"] == [
        {"id": "o2", "label": "b", "score": 6, "average_rank": 1.0},
        {"id": "o1", "label": "a", "score": 3, "average_rank": 2.5},
        {"id": "o3", "label": "c", "score": 3, "average_rank": 2.5},
    ]
    for bad in (["o1", "o2"], ["o1", "o1", "o2"], ["o1", "o2", "o9"]):
        with _Refusal("invalid_order", 422):
            answer(q, order=bad)
    assert [r.value for r in kinds.rules(q.kind).response_rows(q, ballot_fields(a.value))] == ["1", "2", "3"]


# Quiz -------------------------------------------------------------------------------------------------------


def test_quiz_points_for_the_exact_correct_set_with_the_speed_bonus() -> None:
    """All points for exactly the correct set, none otherwise; with the speed bonus
    round(points × (1 − 0.5 × elapsed / time_limit)); at most as many choices as correct answers."""
    q = build(kind=K.QUIZ, text="2+2?", options=["3", "4", "cztery"], correct=[1, 2], points=200,
              speed_bonus=True, time_limit=20)
    assert q.correct == ("o2", "o3") and q.max_choices == 2
    assert "correct" not in q.to_public() and q.to_public(host=True)["correct"] == ["o2", "o3"]
    right = ballot_fields(answer(q, choices=["o3", "o2"]).value)
    assert points_earned(q, right, cast_at=110.0, opened_at=100.0) == 150
    assert points_earned(q, right, cast_at=100.0, opened_at=100.0) == 200
    assert points_earned(q, right, cast_at=500.0, opened_at=100.0) == 100  # elapsed capped at the limit
    assert points_earned(q, ballot_fields(answer(q, choices=["o2"]).value), 101.0, 100.0) == 0
    with _Refusal("too_many_choices", 422):
        answer(q, choices=["o1", "o2", "o3"])
    plain = build(kind=K.QUIZ, text="x", options=["a", "b"], correct=[0])
    assert points_earned(plain, {"choices": ["o1"]}, 999.0, 0.0) == 100
    for bad in ({"correct": []}, {"correct": [5]}, {"correct": [0, 0]}, {"correct": [0], "points": 1001},
                {"correct": [0], "time_limit": 4}, {"correct": [0], "speed_bonus": True}):
        with _Refusal("invalid_question", 422):
            build(kind=K.QUIZ, text="x", options=["a", "b"], **bad)


def test_quiz_results_show_the_answers_only_once_revealed() -> None:
    q = build(kind=K.QUIZ, text="x", options=["a", "b"], correct=[0])
    a = answer(q, choices=["o1"])
    assert "correct" not in results(q, [a])
    assert results(q, [a], revealed=True)["correct"] == ["o1"]


# Every kind -------------------------------------------------------------------------------------------------


ONE_OF_EACH = [
    Draft(K.CHOICE, "c", ["a", "b"], other=True),
    Draft(K.QUIZ, "q", ["a", "b"], correct=[1], time_limit=30),
    Draft(K.WORDCLOUD, "w", max_entries=2),
    Draft(K.OPEN, "o", max_entries=3, moderated=True),
    Draft(K.SCALE, "s", statements=["x", "y"], min=0, max=3, max_label="bardzo"),
    Draft(K.RANKING, "r", ["a", "b", "c"]),
]


@pytest.mark.parametrize("draft", ONE_OF_EACH, ids=lambda d: d.kind.value)
def test_every_kind_survives_its_record(draft: Draft) -> None:
    """A question stored and read back is the same question (what the stores keep)."""
    q = kinds.build_question(draft, 3)
    again = Question.from_record(json.loads(json.dumps(q.to_record())))
    assert again == q and again.id == "q3"
