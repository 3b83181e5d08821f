"""The rules of a poll, without servers: questions, ballots, tallies, join codes, host controls."""

from __future__ import annotations

import pytest

from livepoll.model import (
    ControlAction,
    LiveState,
    PollError,
    Session,
    apply_control,
    count_ballots,
    group_join_code,
    hash_host_key,
    host_key_matches,
    make_question,
    new_join_code,
    normalize_join_code,
    voter_pseudonym,
)

LABELS = ["miasto", "biznes lokalny", "NGO", "instytucje edukacyjne"]


def test_join_codes_are_eight_random_digits_never_starting_with_zero() -> None:
    """Codes keep all 8 digits in spreadsheets and are not sequential."""
    codes = {new_join_code() for _ in range(2000)}
    assert len(codes) > 1990
    assert all(len(c) == 8 and c.isdigit() and c[0] != "0" for c in codes)


@pytest.mark.parametrize("typed", ["72815366", "7281 5366", "7281-5366", " 7281 - 5366 ", "7281\u00a05366"])
def test_typed_codes_tolerate_spaces_and_dashes(typed: str) -> None:
    """What people type from a projector or a spoken code resolves to the code."""
    assert normalize_join_code(typed) == "72815366"


@pytest.mark.parametrize("typed", ["", "7281536", "728153661", "7281a366", "٧٢٨١٥٣٦٦", "72815366x"])
def test_anything_else_is_not_a_code(typed: str) -> None:
    """Wrong lengths, letters and non-ASCII digits are refused."""
    assert normalize_join_code(typed) is None


def test_codes_are_shown_grouped() -> None:
    """The projector shows the code as two groups of four."""
    assert group_join_code("72815366") == "7281 5366"


def test_question_ids_and_limits() -> None:
    """Questions get stable ids, options in order, max_choices defaulting to single choice."""
    question = make_question(2, " Z kim? ", LABELS, None, None)
    assert question.id == "q2"
    assert [o.id for o in question.options] == ["o1", "o2", "o3", "o4"]
    assert question.text == "Z kim?"
    assert question.max_choices == 1 and question.allow_change


@pytest.mark.parametrize(
    ("labels", "max_choices"),
    [(["only one"], None), ([str(n) for n in range(31)], None), (["a", "a"], None), (["a", " "], None),
     (["a", "b"], 3), (["a", "b"], 0)],
)
def test_bad_questions_are_refused(labels: list[str], max_choices: int | None) -> None:
    """Too few/many options, duplicates, blanks and impossible max_choices are 422s."""
    with pytest.raises(PollError) as refused:
        make_question(1, "Q", labels, max_choices, None)
    assert refused.value.status == 422


def test_choices_are_checked_and_made_canonical() -> None:
    """The same set of choices is always stored in option order, whatever order it was sent in."""
    question = make_question(1, "Q", LABELS, 3, None)
    assert question.canonical_choices(["o3", "o1"]) == ("o1", "o3")
    for bad, code in [([], "invalid_ballot"), (["o9"], "unknown_option"), (["o1", "o1"], "duplicate_option"),
                      (["o1", "o2", "o3", "o4"], "too_many_choices")]:
        with pytest.raises(PollError) as refused:
            question.canonical_choices(bad)
        assert refused.value.code == code and refused.value.status == 422


def test_tally_counts_voters_and_votes() -> None:
    """Votes per option and voters per question; percent is of voters, 0.0 without any."""
    question = make_question(1, "Q", LABELS, 4, None)
    tally = count_ballots(question, [("o1", "o2"), ("o1",), ("o4",)])
    assert tally.voters == 3
    assert tally.votes == {"o1": 2, "o2": 1, "o3": 0, "o4": 1}
    assert round(tally.percent("o1"), 1) == 66.7
    assert count_ballots(question, []).percent("o1") == 0.0


def test_controls_change_the_live_state() -> None:
    """Each host action changes exactly what it says; goto opens voting on the new question."""
    questions = (make_question(1, "A", LABELS, None, None), make_question(2, "B", LABELS, None, None))
    state = LiveState(current="q1")
    closed = apply_control(state, questions, ControlAction.CLOSE, None)
    assert not closed.voting_open and closed.current == "q1"
    moved = apply_control(closed, questions, ControlAction.GOTO, "q2")
    assert moved.current == "q2" and moved.voting_open
    hidden = apply_control(moved, questions, ControlAction.HIDE_RESULTS, None)
    assert not hidden.results_visible
    assert apply_control(hidden, questions, ControlAction.SHOW_RESULTS, None).results_visible
    with pytest.raises(PollError) as refused:
        apply_control(state, questions, ControlAction.GOTO, "q9")
    assert refused.value.status == 422
    with pytest.raises(PollError):
        apply_control(state, questions, ControlAction.RESET, None)


def test_pseudonyms_are_per_session_and_not_the_participant_id() -> None:
    """Exports can follow one participant within a session but not across sessions, and nobody without the
    server's secret can tell which cookie a pseudonym belongs to."""
    participant = "Jq3vX0bQ9kL2mN7pR4sT1w"  # what the participant cookie carries (token_urlsafe(16))
    first = voter_pseudonym("secret", "72815366", participant)
    assert first == voter_pseudonym("secret", "72815366", participant)
    assert first != voter_pseudonym("secret", "11111111", participant)
    assert first != voter_pseudonym("secret", "72815366", "Jq3vX0bQ9kL2mN7pR4sT1x")
    # Keyed by the secret: the participant id and the code alone do not give the pseudonym.
    assert first != voter_pseudonym("another-secret", "72815366", participant)


def test_sessions_keep_a_hash_of_the_host_key_that_only_the_key_matches() -> None:
    """A stored session never holds the host key itself, yet the key (and only the key) opens it."""
    key = "pN3x8Zr0-hQ5sVb2LwY7cT1eKj4uFm9a"  # what new_host_key() makes (token_urlsafe(24))
    questions = (make_question(1, "A", LABELS, None, None),)
    session = Session("72815366", "T", hash_host_key(key), questions, LiveState(current="q1"), 0.0)
    assert host_key_matches(session, key)
    for wrong in ("", key[:-1], key + "x", key.upper(), session.host_key_hash):
        assert not host_key_matches(session, wrong), wrong
