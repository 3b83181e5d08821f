"""Questions as they go out, per kind: the definition everyone may see (`PublicQuestion`) and the definition
with its results (`QuestionResults`: the presenter frame's `question`, phones' results and the API's results).

The kind's rules (livepoll.kinds) make the values; these models check and serialise them, and describe them
in the OpenAPI document, so what is documented is what is sent. Field order is key order on the wire: the
definition's fields in the order the question records them, then `voters` and the kind's result fields.
A new kind is one definition model, one results model, and a line in each union.
"""

from __future__ import annotations

import functools
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from livepoll.kinds import ResultsView, question_results
from livepoll.questions import Question

T_COUNT = Annotated[int, Field(ge=0)]
# Definitions kept ready (a few hundred bytes each): a live room's current question is encoded every tick.
PUBLIC_QUESTIONS_CACHED = 1024


def _is_none(value: object) -> bool:
    return value is None


class Shape(BaseModel):
    """An outgoing shape: every field always sent (also required in the schema) unless Omittable; unknown
    fields are an error, so a value the rules add without a model field cannot slip out undocumented."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


T = TypeVar("T")
# A field only some answers carry: left out while None (older answers keep their bytes), optional in the schema.
Omittable = Annotated[T | None, Field(exclude_if=_is_none)]


class Option(Shape):
    id: str
    label: Annotated[str, Field(description="Empty for the option `other` without a label of its own: the "
                                            "viewer's language names it (Inne / Інше / Other).")]


class OptionVotes(Option):
    votes: T_COUNT


class RankedOption(Option):
    score: Annotated[int, Field(ge=0, description="Borda points: first of n places earns n, last 1.")]
    average_rank: Annotated[float | None, Field(description="1-based, 2 decimals; null without ballots.")]


class Word(Shape):
    key: Annotated[str, Field(description="The normalised (lemmatised, case-folded) word it is counted under.")]
    text: Annotated[str, Field(description="Its most frequent written form (ties: the first seen).")]
    count: T_COUNT


class Entry(Shape):
    id: str
    text: str
    created_at: Annotated[str, Field(description="UTC, ISO 8601.")]
    status: Literal["visible", "pending", "hidden"]
    blocked: Annotated[Omittable[bool], Field(description="Host only: held by the blocklist.")] = None


class StatementResults(Option):
    counts: Annotated[list[int], Field(description="Ballots per value, from min to max.")]
    average: Annotated[float | None, Field(description="2 decimals; null without ratings.")]
    voters: T_COUNT


# Definitions ---------------------------------------------------------------------------------------------


class ChoiceQuestion(Shape):
    id: str
    kind: Literal["choice"]
    text: str
    max_choices: Annotated[int, Field(ge=1, description="1 = single choice.")]
    allow_change: bool
    options: list[Option]
    other: Annotated[Omittable[bool], Field(description="The last option, `other`, takes a text of one's own "
                                                        "(`other_text`).")] = None


class QuizQuestion(Shape):
    id: str
    kind: Literal["quiz"]
    text: str
    max_choices: Annotated[int, Field(ge=1, description="As many as there are correct answers.")]
    allow_change: bool
    options: list[Option]
    correct: Annotated[Omittable[list[str]], Field(description="Option ids: to the host always, to everyone "
                                                               "else only after `reveal`.")] = None
    points: Annotated[int, Field(ge=0)]
    speed_bonus: bool
    time_limit: Annotated[int | None, Field(description="Seconds; voting closes by itself.")]


class WordCloudQuestion(Shape):
    id: str
    kind: Literal["wordcloud"]
    text: str
    max_entries: Annotated[int, Field(ge=1, description="Words per ballot.")]
    allow_change: bool


class OpenQuestion(Shape):
    id: str
    kind: Literal["open"]
    text: str
    max_entries: Annotated[int, Field(ge=1, description="Entries per participant.")]
    moderated: Annotated[bool, Field(description="Entries wait for the host's approval.")]


class ScaleQuestion(Shape):
    id: str
    kind: Literal["scale"]
    text: str
    statements: list[Option]
    min: Literal[0, 1]
    max: int
    min_label: str | None
    max_label: str | None
    allow_change: bool


class RankingQuestion(Shape):
    id: str
    kind: Literal["ranking"]
    text: str
    options: list[Option]
    allow_change: bool


PublicQuestion = Annotated[
    ChoiceQuestion | QuizQuestion | WordCloudQuestion | OpenQuestion | ScaleQuestion | RankingQuestion,
    Field(discriminator="kind"),
]


# Definitions with results --------------------------------------------------------------------------------


class ChoiceResults(ChoiceQuestion):
    options: list[OptionVotes]  # type: ignore[assignment]
    voters: T_COUNT
    other_texts: Annotated[Omittable[list[str]], Field(description="Host only: what people wrote with "
                                                                   "`other`, oldest first.")] = None


class QuizResults(QuizQuestion):
    options: list[OptionVotes]  # type: ignore[assignment]
    voters: T_COUNT


class WordCloudResults(WordCloudQuestion):
    voters: T_COUNT
    words: Annotated[list[Word], Field(description="By count, then text; at most 200 on screens.")]
    hidden_words: Annotated[Omittable[list[Word]], Field(description="Host only: words taken off the "
                                                                     "screens.")] = None
    blocked_words: Annotated[Omittable[list[Word]], Field(description="Host only: words the blocklist "
                                                                      "holds back.")] = None


class OpenResults(OpenQuestion):
    voters: T_COUNT
    entries: Annotated[list[Entry], Field(description="Newest first; screens: the visible ones (200 at most).")]


class ScaleResults(ScaleQuestion):
    statements: list[StatementResults]  # type: ignore[assignment]
    voters: T_COUNT


class RankingResults(RankingQuestion):
    options: Annotated[list[RankedOption], Field(description="By score, best first.")]  # type: ignore[assignment]
    voters: T_COUNT


QuestionResults = Annotated[
    ChoiceResults | QuizResults | WordCloudResults | OpenResults | ScaleResults | RankingResults,
    Field(discriminator="kind"),
]

_PUBLIC: TypeAdapter[PublicQuestion] = TypeAdapter(PublicQuestion)
_RESULTS: TypeAdapter[QuestionResults] = TypeAdapter(QuestionResults)


def public_question(question: Question, *, host: bool = False, revealed: bool = False) -> PublicQuestion:
    """The definition everyone may see (a quiz's answers to the host, or once revealed)."""
    return _public_question(question, host or revealed)


@functools.lru_cache(maxsize=PUBLIC_QUESTIONS_CACHED)
def _public_question(question: Question, with_answers: bool) -> PublicQuestion:
    return _PUBLIC.validate_python(question.to_public(host=with_answers))


def results_of(question: Question, view: ResultsView) -> QuestionResults:
    """The definition with the kind's results, as the presenter, phones and the results API show them."""
    definition = question.to_public(host=view.host or view.revealed)
    return _RESULTS.validate_python({**definition, **question_results(question, view)})


def dump_public(question: PublicQuestion) -> dict[str, object]:
    dumped: dict[str, object] = _PUBLIC.dump_python(question, mode="json")
    return dumped


def dump_results(results: QuestionResults) -> dict[str, object]:
    dumped: dict[str, object] = _RESULTS.dump_python(results, mode="json")
    return dumped
