"""The editor's question form (pages_edit.py): the create form's block (pages_create.QuestionForm) in the
session's default language, with the texts in the other languages beside it, read back from a post as one
`questions[]` item of the API (a text with translations becomes a map `{"pl": ..., "uk": ...}`) and filled
in from a stored question (`Question.to_request`: maps stay maps).

Options, statements and their translations are matched by position: the n-th line of a translation is the
n-th option's label in that language (an empty line leaves that one in the default language)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from livepoll.kinds import rules
from livepoll.languages import LANGUAGES
from livepoll.questions import QuestionKind
from livepoll.text import clean_text
from livepoll.web.pages_create import Problems, QuestionForm, Translate, read_question

# The texts of one question a translation holds (besides the question itself, which is `text`).
LIST_FIELDS = ("options", "statements")
LABEL_FIELDS = ("other_label", "min_label", "max_label")
# Settings that fall back to their kind's default when an edit leaves them empty (sent as null).
OPTIONAL_FIELDS = ("max_choices", "other_label", "points", "time_limit", "max_entries", "min", "max", "min_label",
                   "max_label", "allow_change")


@dataclass
class Translation:
    """One language's texts of a question, as typed: lists one item per line."""

    text: str = ""
    options: str = ""
    statements: str = ""
    other_label: str = ""
    min_label: str = ""
    max_label: str = ""

    def lines(self, name: str) -> list[str]:
        return [clean_text(line) for line in str(getattr(self, name)).splitlines()]


@dataclass
class EditorQuestion:
    """A question block of the editor: the default language's form and the other languages' texts."""

    form: QuestionForm
    translations: dict[str, Translation] = field(default_factory=dict)


def other_languages(default: str) -> list[str]:
    return [lang for lang in LANGUAGES if lang != default]


def blank_question(default: str) -> EditorQuestion:
    """A new question's block: the create form's blank one, no translations yet."""
    return EditorQuestion(QuestionForm(), {lang: Translation() for lang in other_languages(default)})


def read_editor_question(form: FormData, prefix: str, default: str) -> EditorQuestion:
    def text(name: str) -> str:
        value = form.get(prefix + name)
        return "" if value is None else str(value)

    translations = {
        lang: Translation(**{name: text(f"tr_{lang}_{name}") for name in ("text", *LIST_FIELDS, *LABEL_FIELDS)})
        for lang in other_languages(default)
    }
    return EditorQuestion(read_question(form, prefix), translations)


def _mapped(default_text: str, default: str, versions: Mapping[str, str]) -> str | dict[str, str]:
    extra = {lang: text for lang, text in versions.items() if text}
    if not extra:
        return default_text
    return {default: default_text, **extra} if default_text else extra


def item_of(question: EditorQuestion, default: str, n: int, _: Translate, problems: Problems) -> dict[str, Any]:
    """The block as one `questions[]` item with its translations; a translation with more lines than the
    default language has options (or statements) is a problem of that field."""
    item = question.form.request()
    tr = question.translations
    item["text"] = _mapped(question.form.text, default, {lang: clean_text(t.text) for lang, t in tr.items()})
    for name in LIST_FIELDS:
        if name not in item:
            continue
        labels: list[str] = list(item[name])
        for lang, t in tr.items():
            if any(line for line in t.lines(name)[len(labels):]):
                problems.add(f"q{n}_tr_{lang}_{name}", _("There are more lines here than in the default "
                                                          "language: one line per item, in the same order."))
        item[name] = [
            _mapped(label, default, {lang: _at(t.lines(name), i) for lang, t in tr.items()})
            for i, label in enumerate(labels)
        ]
    for name in LABEL_FIELDS:
        versions = {lang: clean_text(str(getattr(t, name))) for lang, t in tr.items()}
        if name in item or any(versions.values()):
            item[name] = _mapped(str(item.get(name) or ""), default, versions)
    return item


def _at(lines: Sequence[str], index: int) -> str:
    return lines[index] if index < len(lines) else ""


def patch_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """An edit that makes the question exactly `item`: settings of its kind it leaves out go back to their
    defaults."""
    kind = QuestionKind(str(item.get("kind", "choice")))
    fields = set(rules(kind).fields) | ({"other_label"} if kind is QuestionKind.CHOICE else set())
    if kind is QuestionKind.QUIZ:
        fields.discard("max_choices")  # a quiz's follows from its correct answers
    return {**{name: None for name in OPTIONAL_FIELDS if name in fields}, **item}


def _split(value: object, default: str) -> tuple[str, dict[str, str]]:
    """A stored text as (default language text, {other language: text})."""
    if isinstance(value, Mapping):
        texts = {str(k): str(v) for k, v in value.items()}
        # A text without the default language shows its first version there (what participants read then).
        main = texts.get(default) or next(iter(texts.values()), "")
        return main, {k: v for k, v in texts.items() if k != default}
    return ("" if value is None else str(value)), {}


def editor_question(item: Mapping[str, Any], default: str) -> EditorQuestion:
    """A stored question (`Question.to_request()`) as the editor's block, texts split by language."""
    kind = QuestionKind(str(item.get("kind", "choice")))
    translations = {lang: Translation() for lang in other_languages(default)}

    def put(name: str, lang: str, value: str) -> None:
        if lang in translations:
            setattr(translations[lang], name, value)

    text, versions = _split(item.get("text"), default)
    for lang, value in versions.items():
        put("text", lang, value)
    lists: dict[str, list[str]] = {}
    for name in LIST_FIELDS:
        labels: list[str] = []
        per_lang: dict[str, list[str]] = {lang: [] for lang in translations}
        for entry in item.get(name) or []:
            label, others = _split(entry, default)
            labels.append(label)
            for lang in per_lang:
                per_lang[lang].append(others.get(lang, ""))
        lists[name] = labels
        for lang, lines in per_lang.items():
            if any(lines):
                put(name, lang, "\n".join(lines).rstrip("\n"))
    labels_of: dict[str, str] = {}
    for name in LABEL_FIELDS:
        label, others = _split(item.get(name), default)
        labels_of[name] = label
        for lang, value in others.items():
            put(name, lang, value)
    blank = QuestionForm()

    def number(name: str, fallback: str) -> str:
        value = item.get(name)
        return fallback if value is None else str(value)

    form = QuestionForm(
        kind=kind, text=text, options=lists["options"], correct=set(item.get("correct") or ()),
        max_choices=number("max_choices", blank.max_choices), allow_change=bool(item.get("allow_change", True)),
        other=bool(item.get("other")), other_label=labels_of["other_label"], points=number("points", blank.points),
        speed_bonus=bool(item.get("speed_bonus")), time_limit=number("time_limit", ""),
        max_words=number("max_entries", blank.max_words) if kind is QuestionKind.WORDCLOUD else blank.max_words,
        max_entries=number("max_entries", blank.max_entries) if kind is QuestionKind.OPEN else blank.max_entries,
        moderated=bool(item.get("moderated")), statements="\n".join(lists["statements"]),
        scale_min=number("min", blank.scale_min), scale_max=number("max", blank.scale_max),
        min_label=labels_of["min_label"], max_label=labels_of["max_label"],
    )
    return EditorQuestion(form, translations)
