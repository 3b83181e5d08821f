"""The rules of a poll, without servers: questions, ballots, tallies, join codes, host controls."""

from __future__ import annotations

import pytest

from livepoll.kinds import choices_answer, make_question
from livepoll.model import (
    ControlAction,
    LiveState,
    PollError,
    Session,
    apply_change,
    ballot_fields,
    count_ballots,
    decide_control,
    group_join_code,
    hash_host_key,
    host_key_matches,
    new_join_code,
    normalize_join_code,
    voter_pseudonym,
)

LABELS = ["miasto", "biznes lokalny", "NGO", "instytucje edukacyjne"]


def test_join_codes_are_eight_random_digits_never_starting_with_zero() -> None:
    """B11: codes keep all 8 digits in spreadsheets (a code space of 9 x 10^7) and are not sequential."""
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
    assert choices_answer(question, ["o3", "o1"]).counts == (("o1", 1), ("o3", 1))
    for bad, code in [([], "invalid_ballot"), (["o9"], "unknown_option"), (["o1", "o1"], "duplicate_option"),
                      (["o1", "o2", "o3", "o4"], "too_many_choices")]:
        with pytest.raises(PollError) as refused:
            choices_answer(question, bad)
        assert refused.value.code == code and refused.value.status == 422


def test_a_checked_ballot_is_one_canonical_value_and_its_counts() -> None:
    """The same choices in any order give the same stored value (so a resend is recognised), and count one
    vote per chosen option; the value gives back the fields the participant sent."""
    question = make_question(1, "Q", LABELS, 3, None)
    answer = choices_answer(question, ["o3", "o1"])
    assert answer == choices_answer(question, ["o1", "o3"])
    assert answer.counts == (("o1", 1), ("o3", 1))
    assert ballot_fields(answer.value) == {"choices": ["o1", "o3"]}
    assert answer.value != choices_answer(question, ["o1"]).value


def test_tally_counts_voters_and_votes() -> None:
    """Votes per option and voters per question; percent is of voters, 0.0 without any."""
    question = make_question(1, "Q", LABELS, 4, None)
    tally = count_ballots(question, [choices_answer(question, c) for c in (["o1", "o2"], ["o1"], ["o4"])])
    assert tally.voters == 3
    assert tally.votes == {"o1": 2, "o2": 1, "o3": 0, "o4": 1}
    assert round(tally.percent("o1"), 1) == 66.7
    assert count_ballots(question, []).percent("o1") == 0.0


def _session(state: LiveState) -> Session:
    questions = (make_question(1, "A", LABELS, None, None), make_question(2, "B", LABELS, None, None))
    return Session("72815366", "T", hash_host_key("k"), questions, state, 0.0)


def test_controls_change_the_live_state() -> None:
    """Each host action changes exactly what it says; goto opens voting on the new question."""
    session = _session(LiveState(current="q1"))

    def act(s: Session, action: ControlAction, question: str | None = None) -> Session:
        return apply_change(s, decide_control(s, action, question))

    closed = act(session, ControlAction.CLOSE)
    assert not closed.state.voting_open and closed.state.current == "q1"
    moved = act(closed, ControlAction.GOTO, "q2")
    assert moved.state.current == "q2" and moved.state.voting_open
    hidden = act(moved, ControlAction.HIDE_RESULTS)
    assert not hidden.state.results_visible
    assert act(hidden, ControlAction.SHOW_RESULTS).state.results_visible
    assert act(hidden, ControlAction.SHOW_ON_PHONES).state.results_on_phones
    assert act(closed, ControlAction.OPEN).state.voting_open
    assert moved.definition == session.definition  # the live state is not the definition
    with pytest.raises(PollError) as refused:
        decide_control(session, ControlAction.GOTO, "q9")
    assert refused.value.status == 422
    with pytest.raises(PollError):
        decide_control(session, ControlAction.RESET, None)


def test_reset_discards_one_question_and_counts_itself() -> None:
    """A reset names the question whose ballots go, in the same change that counts the reset."""
    session = _session(LiveState(current="q2", resets=3))
    change = decide_control(session, ControlAction.RESET, "q1")
    assert change.clear == ("q1",)
    assert change.state == LiveState(current="q2", resets=4)


def test_a_rotated_key_replaces_the_old_one_and_is_a_new_definition() -> None:
    """After rotate_key the old key's hash is gone; the definition version grows, the live state stays."""
    session = _session(LiveState(current="q1", voting_open=False))
    rotated = apply_change(session, decide_control(session, ControlAction.ROTATE_KEY, None, hash_host_key("new")))
    assert rotated.host_key_hash == hash_host_key("new") != session.host_key_hash
    assert rotated.definition == session.definition + 1
    assert rotated.state == session.state


def test_pseudonyms_are_per_session_and_not_the_participant_id() -> None:
    """P3: exports can follow one participant within a session but not across sessions, and nobody without the
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
