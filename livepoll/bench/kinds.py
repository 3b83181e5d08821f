"""What `livepoll bench --kind` changes per question kind: the question it creates, the ballot participant k
sends as its n-th vote, what one ballot adds to the tally, how to read the final tally from the results, and
what a latency probe sends and waits for on a presenter `results` frame.

A ballot is a tuple of strings (choice ids, words, "<statement>=<value>", an order, an open text) so the
generator's records stay kind-free. The expected tally is computed here in plain Python from the ballots the
server acknowledged, never with the server's own rules (the words are already their own lemma, so their key
is just their case-folded spelling). A tally is a flat {key: count}: an option's votes, a word's count, a
scale statement's count per value and its voters, a ranking option's score, an open text's occurrences.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Ballot = tuple[str, ...]
Tally = dict[str, int]

LOAD_SLOTS = 4  # options / statements that take the load; the rest belong to latency probes

# Polish nouns in the nominative singular: each is its own lemma (tests/test_bench_kinds.py checks it with
# the server's normaliser), none is on the blocklist. 170 load words + 26 probe words: every word fits on
# the screens (at most 200 shown), so a probe's word with count 1 is never cut off.
_LOAD_TEXT = """
    miasto dom las rzeka morze góra szkoła praca rodzina książka muzyka kawa herbata słońce woda ogień ziemia
    powietrze chleb mleko ser jabłko gruszka śliwka wiśnia malina truskawka cebula marchew ziemniak kapusta
    ogórek pomidor sałata zupa obiad kolacja śniadanie stół krzesło okno drzwi ściana dach podłoga lampa łóżko
    szafa półka lustro zegar telefon komputer ekran klawiatura papier ołówek długopis zeszyt tablica kreda
    plecak torba walizka bilet pociąg autobus tramwaj samochód rower statek samolot lotnisko dworzec ulica
    plac park ogród most wieża zamek kościół rynek sklep targ bank poczta apteka szpital teatr kino muzeum
    biblioteka stadion basen hotel restauracja kawiarnia pies kot koń krowa owca koza świnia kura kaczka gęś
    ryba ptak wróbel sowa orzeł lis wilk niedźwiedź zając sarna jeleń dzik mysz żaba wąż motyl pszczoła mrówka
    drzewo kwiat trawa liść korzeń gałąź dąb sosna brzoza lipa róża tulipan słonecznik wiatr deszcz śnieg
    burza chmura niebo gwiazda księżyc planeta wiosna lato jesień zima poranek wieczór noc tydzień miesiąc rok
    godzina minuta sekunda nadzieja radość smutek strach odwaga przyjaźń miłość spokój wolność
"""
_PROBE_TEXT = """
    prawda pokój zdrowie siła energia pomysł plan cel zadanie projekt spotkanie rozmowa pytanie odpowiedź
    decyzja zmiana rozwój wiedza nauka sztuka kultura historia geografia matematyka fizyka chemia
"""
LOAD_WORDS = _LOAD_TEXT.split()
PROBE_WORDS = _PROBE_TEXT.split()
OPEN_MAX_ENTRIES = 10
OPEN_PROBES = 26
SCALE_MIN, SCALE_MAX = 1, 5


@dataclass(frozen=True)
class Layout:
    """The created question as the bench uses it: load tokens (option ids, statement ids, words) and one
    token per latency probe."""

    question: str
    load: list[str]
    probes: list[str]


class Kind:
    name = ""
    cumulative = False  # each ballot adds to the participant's earlier ones (open text) instead of replacing
    limit: int | None = None  # ballots one participant may send (open text's max_entries)
    toggles = True  # a probe alternates between its own ballot and a load ballot

    def definition(self) -> dict[str, Any]:
        raise NotImplementedError

    def layout(self, created: dict[str, Any]) -> Layout:
        ids = [o["id"] for o in created["options"]]
        return Layout(created["id"], ids[:LOAD_SLOTS], ids[LOAD_SLOTS:])

    def ballot(self, load: Sequence[str], k: int, n: int) -> Ballot:
        """Participant k's n-th ballot (n counts from 1)."""
        return (load[(k + n) % len(load)],)

    def probe_ballot(self, token: str, on: bool, n: int, load: Sequence[str]) -> Ballot:
        return (token,) if on else (load[0],)

    def body(self, ballot: Ballot) -> dict[str, Any]:
        """The kind's fields of the vote message / POST body."""
        return {"choices": list(ballot)}

    def message(self, question: str, ballot: Ballot, ref: str) -> str:
        return json.dumps({"type": "vote", "question": question, **self.body(ballot), "ref": ref},
                          ensure_ascii=False, separators=(",", ":"))

    def counts(self, ballot: Ballot) -> Tally:
        """What one acknowledged ballot adds to the tally."""
        return {choice: 1 for choice in ballot}

    def tally(self, question: dict[str, Any]) -> Tally:
        """The tally a results question (`GET .../results`, host view) holds, in `counts`' keys."""
        return {o["id"]: int(o["votes"]) for o in question.get("options", ())}

    def probe_view(self, question: dict[str, Any]) -> Any:
        """Read once per presenter frame what the probes look at."""
        return self.tally(question)

    def probe_shows(self, view: Any, token: str, on: bool, n: int) -> bool:
        """Whether a frame (its `probe_view`) shows the probe's ballot in state `on` (its n-th ballot)."""
        return bool(view.get(token, 0) == (1 if on else 0))


class Choice(Kind):
    name = "choice"
    OPTIONS = 30

    def definition(self) -> dict[str, Any]:
        labels = [f"load {n}" for n in range(1, LOAD_SLOTS + 1)]
        labels += [f"probe {n}" for n in range(1, self.OPTIONS - LOAD_SLOTS + 1)]
        return {"kind": "choice", "text": "Benchmark", "options": labels}

    def message(self, question: str, ballot: Ballot, ref: str) -> str:
        chosen = '","'.join(ballot)  # ids are plain ASCII: skip json.dumps on the hot path
        return f'{{"type":"vote","question":"{question}","choices":["{chosen}"],"ref":"{ref}"}}'


class Quiz(Choice):
    name = "quiz"
    OPTIONS = 10

    def definition(self) -> dict[str, Any]:
        return {**super().definition(), "kind": "quiz", "correct": [0], "points": 100}


class WordCloud(Kind):
    name = "wordcloud"
    MAX_ENTRIES = 3

    def definition(self) -> dict[str, Any]:
        return {"kind": "wordcloud", "text": "Benchmark", "max_entries": self.MAX_ENTRIES}

    def layout(self, created: dict[str, Any]) -> Layout:
        return Layout(created["id"], list(LOAD_WORDS), list(PROBE_WORDS))

    def ballot(self, load: Sequence[str], k: int, n: int) -> Ballot:
        """1-3 words; every other ballot capitalised (the key is the case-folded word); the third word of a
        three-word ballot repeats the first in another case (counts once)."""
        size = 1 + (k + n) % self.MAX_ENTRIES
        words = [load[(k * 7 + n * 3 + j * 11) % len(load)] for j in range(min(size, 2))]
        if n % 2:
            words = [w.capitalize() for w in words]
        if size == 3:
            words.append(words[0].upper())
        return tuple(words)

    def probe_ballot(self, token: str, on: bool, n: int, load: Sequence[str]) -> Ballot:
        return (token,) if on else (load[0],)

    def body(self, ballot: Ballot) -> dict[str, Any]:
        return {"entries": list(ballot)}

    def counts(self, ballot: Ballot) -> Tally:
        return {word.casefold(): 1 for word in ballot}

    def tally(self, question: dict[str, Any]) -> Tally:
        words = [*question.get("words", ()), *question.get("hidden_words", ()), *question.get("blocked_words", ())]
        return {w["key"]: int(w["count"]) for w in words}


class OpenText(Kind):
    name = "open"
    cumulative = True
    limit = OPEN_MAX_ENTRIES
    toggles = False  # an entry cannot be taken back: every probe ballot is a new entry to wait for

    def definition(self) -> dict[str, Any]:
        return {"kind": "open", "text": "Benchmark", "max_entries": OPEN_MAX_ENTRIES}

    def layout(self, created: dict[str, Any]) -> Layout:
        return Layout(created["id"], ["wpis"], [f"sonda {n}" for n in range(1, OPEN_PROBES + 1)])

    def ballot(self, load: Sequence[str], k: int, n: int) -> Ballot:
        return (f"{load[0]} {k} nr {n}",)  # unique: a repeated text within 60 s would count once

    def probe_ballot(self, token: str, on: bool, n: int, load: Sequence[str]) -> Ballot:
        return (f"{token} nr {n}",)

    def body(self, ballot: Ballot) -> dict[str, Any]:
        return {"text": ballot[0]}

    def counts(self, ballot: Ballot) -> Tally:
        return {ballot[0]: 1}

    def tally(self, question: dict[str, Any]) -> Tally:
        return dict(Counter(str(e["text"]) for e in question.get("entries", ())))

    def probe_shows(self, view: Any, token: str, on: bool, n: int) -> bool:
        return bool(view.get(f"{token} nr {n}", 0) >= 1)


class Scale(Kind):
    name = "scale"
    STATEMENTS = 10

    def definition(self) -> dict[str, Any]:
        statements = [f"load {n}" for n in range(1, LOAD_SLOTS + 1)]
        statements += [f"probe {n}" for n in range(1, self.STATEMENTS - LOAD_SLOTS + 1)]
        return {"kind": "scale", "text": "Benchmark", "statements": statements, "min": SCALE_MIN, "max": SCALE_MAX}

    def layout(self, created: dict[str, Any]) -> Layout:
        ids = [s["id"] for s in created["statements"]]
        return Layout(created["id"], ids[:LOAD_SLOTS], ids[LOAD_SLOTS:])

    def ballot(self, load: Sequence[str], k: int, n: int) -> Ballot:
        """Rates 1-4 of the load statements, values cycling through min..max."""
        points = SCALE_MAX - SCALE_MIN + 1
        rated = 1 + (k + n) % len(load)
        return tuple(f"{load[(k + j) % len(load)]}={SCALE_MIN + (k * 3 + n + j) % points}" for j in range(rated))

    def probe_ballot(self, token: str, on: bool, n: int, load: Sequence[str]) -> Ballot:
        return (f"{token if on else load[0]}={SCALE_MIN}",)

    def body(self, ballot: Ballot) -> dict[str, Any]:
        ratings = {}
        for item in ballot:
            statement, _, value = item.partition("=")
            ratings[statement] = int(value)
        return {"ratings": ratings}

    def counts(self, ballot: Ballot) -> Tally:
        tally: Tally = {}
        for item in ballot:
            tally[item] = 1
            tally[item.partition("=")[0] + ":voters"] = 1
        return tally

    def tally(self, question: dict[str, Any]) -> Tally:
        tally: Tally = {}
        for s in question.get("statements", ()):
            for offset, count in enumerate(s["counts"]):
                tally[f"{s['id']}={SCALE_MIN + offset}"] = int(count)
            tally[f"{s['id']}:voters"] = int(s["voters"])
        return tally

    def probe_shows(self, view: Any, token: str, on: bool, n: int) -> bool:
        return bool(view.get(f"{token}:voters", 0) == (1 if on else 0))


class Ranking(Kind):
    """Load ballots permute the first LOAD_SLOTS options and keep the others in their given order, so each
    probe owns a pair (a, b) of adjacent options that every other ballot ranks a just before b: each of those
    adds 1 to score(a) - score(b). The probe's own ballot swaps its pair when on (-1) and keeps it when off
    (+1), so with V voters, V - (score(a) - score(b)) is 2 while the probe's swap is counted, else 0."""

    name = "ranking"
    OPTIONS = 10

    def definition(self) -> dict[str, Any]:
        labels = [f"load {n}" for n in range(1, LOAD_SLOTS + 1)]
        labels += [f"probe {n}" for n in range(1, self.OPTIONS - LOAD_SLOTS + 1)]
        return {"kind": "ranking", "text": "Benchmark", "options": labels}

    def layout(self, created: dict[str, Any]) -> Layout:
        ids = [o["id"] for o in created["options"]]
        rest = ids[LOAD_SLOTS:]
        pairs = [f"{rest[i]},{rest[i + 1]}" for i in range(0, len(rest) - 1, 2)]
        return Layout(created["id"], ids, pairs)

    def ballot(self, load: Sequence[str], k: int, n: int) -> Ballot:
        head = list(load[:LOAD_SLOTS])
        shift = (k + n) % len(head)
        head = head[shift:] + head[:shift]
        if (k + n) % 2:
            head.reverse()
        return (*head, *load[LOAD_SLOTS:])

    def probe_ballot(self, token: str, on: bool, n: int, load: Sequence[str]) -> Ballot:
        order = list(load)
        if on:
            a, b = token.split(",")
            i, j = order.index(a), order.index(b)
            order[i], order[j] = b, a
        return tuple(order)

    def body(self, ballot: Ballot) -> dict[str, Any]:
        return {"order": list(ballot)}

    def counts(self, ballot: Ballot) -> Tally:
        return {option: len(ballot) - position for position, option in enumerate(ballot)}

    def tally(self, question: dict[str, Any]) -> Tally:
        return {o["id"]: int(o["score"]) for o in question.get("options", ())}

    def probe_view(self, question: dict[str, Any]) -> Any:
        return self.tally(question), int(question.get("voters", 0))

    def probe_shows(self, view: Any, token: str, on: bool, n: int) -> bool:
        scores, voters = view
        a, b = token.split(",")
        if a not in scores or b not in scores:
            return False
        return bool(voters - (scores[a] - scores[b]) == (2 if on else 0))


KINDS: dict[str, Kind] = {k.name: k for k in (Choice(), WordCloud(), OpenText(), Scale(), Ranking(), Quiz())}


def get(name: str) -> Kind:
    return KINDS[name]


def candidates(kind: Kind, acked: Sequence[Ballot], maybe: Sequence[Ballot]) -> list[Tally | None]:
    """What one participant may have in the final tally: one candidate when its fate is known, more when
    some ballots got no answer or a timeout (`maybe`: each may or may not have been stored). None = nothing.

    Replacing kinds: the last acknowledged ballot, or any of the unknown ones. Cumulative kinds (open text):
    every acknowledged ballot, plus any of the unknown ones (their texts are distinct, so the per-key range
    is covered by "none of them" and "all of them")."""
    if kind.cumulative:
        base: Counter[str] = Counter()
        for ballot in acked:
            base.update(kind.counts(ballot))
        first: list[Tally | None] = [dict(base) if acked else None]
        if not maybe:
            return first
        every = Counter(base)
        for ballot in maybe:
            every.update(kind.counts(ballot))
        return [*first, dict(every)]
    last = kind.counts(acked[-1]) if acked else None
    return [last, *(kind.counts(ballot) for ballot in maybe)]


def expected(kind: Kind, participants: Iterable[tuple[Sequence[Ballot], Sequence[Ballot]]]) -> tuple[
        Counter[str], int, list[list[Tally | None]]]:
    """From every participant's (acknowledged ballots, ballots of unknown fate): the tally and voters of the
    participants whose fate is known, and the candidate lists of the others (see `report.exactness`)."""
    sure: Counter[str] = Counter()
    voters = 0
    ambiguous: list[list[Tally | None]] = []
    for acked, maybe in participants:
        options = candidates(kind, acked, maybe)
        if len(options) > 1:
            ambiguous.append(options)
        elif options[0] is not None:
            voters += 1
            sure.update(options[0])
    return sure, voters, ambiguous
