"""The participant page's ballots for every kind of question: the no-JavaScript form's fields mapped to a
`BallotInput` (through the API's own request model, so the same cleaning and limits apply), what the page
shows as counted, and every participant-facing text (refusals per API error code, the texts participant.js
and its ballot modules show).

Form fields: `question`; choice and quiz `choices` (+ `other_text` with the option `other`); word cloud one
`entries` field per word; open text `text`; scale one `rating-<statement id>` radio group per statement;
ranking one `rank-<position>` select per place (1-based).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.numbers import format_decimal
from pydantic import ValidationError
from starlette.datastructures import FormData, QueryParams

from livepoll.kinds import BallotInput
from livepoll.kinds.choice import MAX_OTHER_CHARS
from livepoll.kinds.entries import MAX_ENTRY_CHARS, MAX_WORD_CHARS
from livepoll.leaderboard import MAX_NAME_CHARS
from livepoll.questions import OTHER, Question, QuestionKind
from livepoll.web.pages_base import Page
from livepoll.web.schemas import VoteIn, ballot_refusal

RATING, RANK = "rating-", "rank-"
# Results on phones are kept light (cheap phones): the top words of a cloud, the newest entries of a wall.
MAX_PHONE_WORDS = 30
MAX_PHONE_ENTRIES = 50
# Ids in the address after a refused form (choices, ratings, places): only id-sized values are echoed back.
MAX_ECHOED_CHARS = 32

# A refused field of the request model that is not a text length (schemas.ballot_refusal names those), as the
# API error code the page explains: (too short, too long).
FIELD_ERRORS = {
    "ratings": ("invalid_rating", "invalid_rating"),
    "order": ("invalid_order", "invalid_order"),
    "choices": ("invalid_ballot", "too_many_choices"),
    "question": ("unknown_question", "unknown_question"),
}


def form_ballot(form: FormData) -> tuple[str, BallotInput] | str:
    """(question id, ballot) from the participant page's form, or the API error code that refuses it."""
    fields: dict[str, object] = {"question": str(form.get("question") or "")}
    choices = [str(v) for v in form.getlist("choices")]
    if choices:
        fields["choices"] = choices
        other_text = str(form.get("other_text") or "")
        if OTHER in choices and other_text.strip():
            fields["other_text"] = other_text  # without "other" a typed text is left out, as the page hides it
    entries = [str(v) for v in form.getlist("entries") if str(v).strip()]
    if entries or "entries" in form:
        fields["entries"] = entries
    if "text" in form:
        fields["text"] = str(form.get("text"))
    ratings: dict[str, int] = {}
    places: list[tuple[int, str]] = []
    for name, value in form.multi_items():
        if name.startswith(RATING):
            try:
                ratings[name[len(RATING):]] = int(str(value))
            except ValueError:
                return "invalid_rating"
        elif name.startswith(RANK) and name[len(RANK):].isdigit():
            places.append((int(name[len(RANK):]), str(value)))
    if ratings:
        fields["ratings"] = ratings
    if places:
        fields["order"] = [option for _place, option in sorted(places)]
    try:
        vote = VoteIn.model_validate(fields)
    except ValidationError as exc:
        return _refusal(exc)
    return vote.question, vote.ballot()


def _refusal(exc: ValidationError) -> str:
    precise = ballot_refusal(exc)
    if precise is not None:
        return precise.code
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    short, long = FIELD_ERRORS.get(field, ("invalid_body", "invalid_body"))
    return long if "too_long" in first["type"] else short


def echoed_fields(form: FormData) -> list[tuple[str, str]]:
    """What a refused form sends back through the address so the page keeps the participant's picks: ids
    only (choices, ratings, places). Free text is never put in an address (it would end up in logs)."""
    kept = []
    for name, value in form.multi_items():
        text = str(value)
        if len(text) > MAX_ECHOED_CHARS:
            continue
        if name == "choices":
            kept.append(("c", text))
        elif name.startswith((RATING, RANK)) and len(name) <= MAX_ECHOED_CHARS:
            kept.append((name, text))
    return kept


def form_view(question: Question, mine: Mapping[str, object] | None,
              typed: QueryParams | None) -> dict[str, Any]:
    """What the server-rendered form shows: the participant's picks sent back with a refusal (`typed`, the
    page's query), else their counted ballot (`mine`), else nothing picked."""
    counted = dict(mine or {})
    choices, ratings, order = counted.get("choices"), counted.get("ratings"), counted.get("order")
    entries = counted.get("entries")
    listed = entries if isinstance(entries, list) else []
    view: dict[str, Any] = {
        "chosen": {str(c) for c in choices} if isinstance(choices, list) else set(),
        "ratings": {str(k): str(v) for k, v in ratings.items()} if isinstance(ratings, dict) else {},
        "order": [str(o) for o in order] if isinstance(order, list) else [o.id for o in question.options],
        "other_text": str(counted.get("other_text") or ""),
        "words": [str(e) for e in listed if isinstance(e, str)],
        "own_entries": [str(e.get("text", "")) for e in listed if isinstance(e, dict)],
        "max_other": MAX_OTHER_CHARS,
        "max_word": MAX_WORD_CHARS,
        "max_entry": MAX_ENTRY_CHARS,
        "max_name": MAX_NAME_CHARS,
    }
    if typed is not None:
        view["chosen"] = set(typed.getlist("c"))
        view["ratings"] = {k[len(RATING):]: v for k, v in typed.items() if k.startswith(RATING)}
        if any(k.startswith(RANK) for k in typed):
            view["order"] = [typed.get(f"{RANK}{n}", "") for n in range(1, len(question.options) + 1)]
    return view


def results_for_page(results: Mapping[str, Any], lang: str, other: str) -> dict[str, Any]:
    """A question's results (as phones get them) ready for the template: choice and quiz bars with their
    percent, the option `other` named, the correct options marked only when the results carry them (after
    the reveal); averages as the page's language writes numbers."""
    ready = dict(results)
    voters = int(results["voters"])
    if results["kind"] in ("choice", "quiz"):
        correct = set(results.get("correct") or ())
        ready["rows"] = [{
            "id": o["id"], "votes": o["votes"], "correct": o["id"] in correct,
            "label": o["label"] or (other if o["id"] == OTHER else ""),
            "percent": 0.0 if voters == 0 else o["votes"] * 100.0 / voters,
        } for o in results["options"]]
    if results["kind"] == "ranking":
        ready["options"] = [{**o, "average_rank": _decimal(o["average_rank"], lang)} for o in results["options"]]
    if results["kind"] == "scale":
        ready["statements"] = [{**s, "average": _decimal(s["average"], lang)} for s in results["statements"]]
    return ready


def _decimal(value: float | None, lang: str) -> str:
    return "–" if value is None else format_decimal(value, locale=lang)


def participant_limits() -> dict[str, int]:
    """The limits participant.js enforces as it is typed (the server checks them again)."""
    return {"other": MAX_OTHER_CHARS, "word": MAX_WORD_CHARS, "entry": MAX_ENTRY_CHARS, "name": MAX_NAME_CHARS,
            "phone_words": MAX_PHONE_WORDS, "phone_entries": MAX_PHONE_ENTRIES}


def place_text(lang: str, rank: int) -> str:
    """A leaderboard place as the page says it: English ordinals (1st, 2nd, 3rd, 11th), else the number."""
    if lang != "en":
        return str(rank)
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


# Texts -----------------------------------------------------------------------------------------------------


def vote_error_message(page: Page, error: str, question: Question | None = None) -> str:
    """A participant-facing explanation of a refused ballot, by API error code (and the question's kind)."""
    _ = page.gettext
    kind = question.kind if question is not None else QuestionKind.CHOICE
    if error == "too_many_choices":
        limit = question.max_choices if question is not None else 1
        return page.ngettext(
            "You can choose at most %(num)d option.", "You can choose at most %(num)d options.", limit
        ) % {"num": limit}
    if error in ("too_many_entries", "limit_reached"):
        limit = question.max_entries if question is not None else 1
        if error == "too_many_entries":
            return page.ngettext("You can send at most %(num)d word.", "You can send at most %(num)d words.",
                                 limit) % {"num": limit}
        return page.ngettext(
            "You have sent %(num)d entry: the most this question takes.",
            "You have sent %(num)d entries: the most this question takes.", limit,
        ) % {"num": limit}
    if error == "entry_too_long":
        if kind is QuestionKind.WORDCLOUD:
            return _("A word or phrase has at most %(num)d characters.") % {"num": MAX_WORD_CHARS}
        return _("An entry has at most %(num)d characters.") % {"num": MAX_ENTRY_CHARS}
    if error == "invalid_ballot":
        return {
            QuestionKind.WORDCLOUD: _("Write at least one word."),
            QuestionKind.OPEN: _("Write your answer first."),
            QuestionKind.SCALE: _("Rate at least one statement."),
            QuestionKind.RANKING: _("Put every option in order, each in one place."),
        }.get(kind, _("Choose at least one option."))
    messages = {
        "unknown_option": _("This option is not part of the current question. Reload the page and try again."),
        "duplicate_option": _("The same option was chosen twice."),
        "voting_closed": _("Voting on this question is closed."),
        "not_current": _("The session has moved on to another question. Here is the current one."),
        "unknown_question": _("The session has moved on to another question. Here is the current one."),
        "change_not_allowed": _("Your vote is already counted and this question does not allow changes."),
        "unavailable": _("Your vote could not be saved just now. Nothing was recorded; please try again."),
        "no_cookie": _("Your browser did not send back our cookie, so the vote was not counted. We have set "
                       "it again: please vote once more. If this repeats, allow cookies for this site."),
        "not_found": _("There is no session with this code."),
        "other_text_required": _("Write your answer for “Other”, or choose another option."),
        "other_text_too_long": _("Your answer for “Other” has at most %(num)d characters.") % {
            "num": MAX_OTHER_CHARS},
        "empty_entry": _("The answer is empty. Write something first."),
        "unknown_statement": _("This statement is not part of the current question. Reload the page and try "
                               "again."),
        "invalid_rating": _("Choose a value on the scale."),
        "invalid_order": _("Put every option in order, each in one place: the same option was chosen for two "
                           "places."),
        "unexpected_field": _("This answer does not fit the current question. Reload the page and try again."),
        "name_not_allowed": _("Please choose another name."),
    }
    return messages.get(error, _("Your vote could not be counted. Please try again."))


def nickname_error_message(page: Page, error: str) -> str:
    _ = page.gettext
    if error == "name_not_allowed":
        return vote_error_message(page, error)
    if error == "invalid_body":
        return _("A name has 1 to %(num)d characters.") % {"num": MAX_NAME_CHARS}
    return _("The name could not be saved. Please try again.")


ERROR_CODES = ("invalid_ballot", "unknown_option", "duplicate_option", "voting_closed", "not_current",
               "unknown_question", "change_not_allowed", "unavailable", "not_found", "other_text_required",
               "other_text_too_long", "empty_entry", "unknown_statement", "invalid_rating", "invalid_order",
               "unexpected_field", "name_not_allowed", "generic")
# Refusals whose text depends on the question: participant.js gets one text per kind (or a plural).
KIND_ERRORS = ("invalid_ballot", "entry_too_long")


def participant_strings(page: Page) -> dict[str, Any]:
    """Every text participant.js and its modules show, in the page's language."""
    _ = page.gettext
    per_kind = {
        f"error_{code}_{kind.value}": vote_error_message(page, code, Question("", kind, ""))
        for code in KIND_ERRORS for kind in QuestionKind
    }
    return {
        "strings": {
            "vote": _("Vote"),
            "change_vote": _("Change my vote"),
            "send": _("Send"),
            "change_answer": _("Change my answer"),
            "sending": _("Sending your vote…"),
            "sending_answer": _("Sending your answer…"),
            "counted": _("Your vote is counted."),
            "counted_can_change": _("Your vote is counted. You can change it while voting is open."),
            "counted_final": _("Your vote is counted. This question does not allow changes."),
            "answer_counted": _("Your answer is counted."),
            "answer_counted_can_change": _("Your answer is counted. You can change it while voting is open."),
            "answer_counted_final": _("Your answer is counted. This question does not allow changes."),
            "entry_sent": _("Your entry was sent."),
            "entry_sent_moderated": _("Your entry was sent. It is shown once the host approves it."),
            "saved_offline": _("You are offline. Your vote will be sent when the connection is back."),
            "voting_closed": _("Voting on this question is closed."),
            "waiting": _("Waiting for the next question…"),
            "choose_one": _("Choose one option."),
            "reconnecting": _("Connection lost. Reconnecting…"),
            "polling": _("Live connection blocked by the network. Checking for updates every few seconds."),
            "reconnected": _("Connected again."),
            "session_gone": _("This session has ended."),
            "results_title": _("Results"),
            "votes_cleared": _("The host cleared the votes of this question: your earlier vote no longer counts."),
            "new_question": _("New question: %(text)s"),
            "other": _("Other"),
            "other_text": _("Your answer for “Other”"),
            "chars": _("%(count)s / %(max)s characters"),
            "word": _("Word %(num)s"),
            "counted_words": _("Counted:"),
            "open_label": _("Your answer"),
            "own_entries": _("Your entries"),
            "scale_hint": _("Rate at least one statement; you may skip the others."),
            "ranking_hint": _("Put the options in order, the one you prefer most first. Move an option with "
                              "its up and down buttons."),
            "move_up": _("Move up: %(label)s"),
            "move_down": _("Move down: %(label)s"),
            "moved": _("%(label)s: place %(place)s of %(count)s."),
            "time_left": _("Time left: %(time)s"),
            "time_up": _("Time's up."),
            "correct_answer": _("correct answer"),
            "quiz_right": _("Right!"),
            "quiz_wrong": _("Not right."),
            "quiz_no_answer": _("You did not answer this question."),
            "quiz_score": _("Your score: %(score)s"),
            "quiz_place": _("Place %(rank)s of %(of)s"),
            "nickname_label": _("Your name on the leaderboard (optional)"),
            "nickname_save": _("Save name"),
            "nickname_saved": _("You appear on the leaderboard as %(name)s."),
            "nickname_error_invalid_body": nickname_error_message(page, "invalid_body"),
            "nickname_error_name_not_allowed": nickname_error_message(page, "name_not_allowed"),
            "nickname_error_generic": nickname_error_message(page, "generic"),
            "average": _("Average: %(average)s"),
            "ranking_value": _("Score %(score)s · average place %(rank)s"),
            "no_answers": _("No answers yet."),
            **{f"error_{code}": vote_error_message(page, code) for code in ERROR_CODES},
            **per_kind,
        },
        "plurals": {
            "choose_up_to": page.plural_forms("Choose up to %(num)d option.", "Choose up to %(num)d options."),
            "too_many": page.plural_forms(
                "You can choose at most %(num)d option.", "You can choose at most %(num)d options."
            ),
            "voters": page.plural_forms("%(num)d person voted", "%(num)d people voted"),
            "words_hint": page.plural_forms("Write up to %(num)d word or short phrase.",
                                            "Write up to %(num)d words or short phrases."),
            "words_count": page.plural_forms("%(count)s / %(num)d word", "%(count)s / %(num)d words"),
            "too_many_entries": page.plural_forms("You can send at most %(num)d word.",
                                                  "You can send at most %(num)d words."),
            "entries_hint": page.plural_forms("You can send %(num)d entry.", "You can send up to %(num)d entries."),
            "limit_reached": page.plural_forms(
                "You have sent %(num)d entry: the most this question takes.",
                "You have sent %(num)d entries: the most this question takes.",
            ),
            "points_earned": page.plural_forms("You earned %(num)d point.", "You earned %(num)d points."),
            "ratings": page.plural_forms("%(num)d rating", "%(num)d ratings"),
        },
    }
