// Word cloud and open-text ballots.
// Word cloud: up to max_entries short fields sent as `entries`; a new ballot replaces the previous one, and
// the page lists what the server counted (it merges forms of one word, so that may differ from what was typed).
// Open text: a textarea sent as `text`; each ballot adds an entry, up to max_entries per participant; the
// page lists one's own entries as the server stored them.

import { charCounter, el, hint } from "./ballot-parts.js";

function wordsOf(ballot) {
  return ballot && Array.isArray(ballot.entries) ? ballot.entries.filter((entry) => typeof entry === "string") : [];
}

function entriesOf(ballot) {
  return ballot && Array.isArray(ballot.entries) ? ballot.entries.filter((entry) => entry && typeof entry === "object") : [];
}

// Word cloud ------------------------------------------------------------------------------------------

function wordFields(form) {
  return [...form.querySelectorAll('input[name="entries"]')];
}

function buildWords(question, ctx) {
  const { texts, limits } = ctx;
  const counter = el("p", { className: "hint counter", id: "words-count" });
  const update = () => {
    const filled = wordFields(counter.closest("form") || document).filter((field) => field.value.trim()).length;
    counter.textContent = texts.n("words_count", question.max_entries).replace("%(count)s", texts.number(filled));
  };
  const list = el("ol", { className: "word-fields" });
  for (let n = 1; n <= question.max_entries; n += 1) {
    const field = el("input", {
      type: "text", id: `entry-${n}`, name: "entries", maxLength: limits.word, autocomplete: "off",
      attrs: { "aria-describedby": "words-count" },
    });
    field.addEventListener("input", update);
    list.append(el("li", {}, el("label", { htmlFor: field.id }, texts.t("word", { num: texts.number(n) })), field));
  }
  list.addEventListener("refresh-count", update);
  return [hint("words-hint", texts.n("words_hint", question.max_entries)), list, counter];
}

function readWords(form, question, ctx) {
  const entries = wordFields(form).map((field) => field.value.trim()).filter(Boolean);
  if (entries.length === 0) return { error: ctx.texts.t("error_invalid_ballot_wordcloud"), focus: "#entry-1" };
  if (entries.length > question.max_entries) return { error: ctx.texts.n("too_many_entries", question.max_entries) };
  return { fields: { entries } };
}

function showWords(form, question, ballot) {
  const words = wordsOf(ballot);
  wordFields(form).forEach((field, n) => {
    field.value = words[n] || "";
  });
  form.querySelector(".word-fields").dispatchEvent(new Event("refresh-count"));
}

function countedWords(question, ballot, ctx) {
  const words = wordsOf(ballot);
  if (words.length === 0) return null;
  return el("p", { className: "counted-words", id: "counted-view" },
    `${ctx.texts.t("counted_words")} `, el("span", { className: "user-text" }, words.join(", ")));
}

export const wordcloud = {
  wording: "answer",
  refresh: true,
  build: buildWords,
  read: readWords,
  show: showWords,
  countedView: countedWords,
  firstInput: "#entry-1",
};

// Open text -------------------------------------------------------------------------------------------

function buildOpen(question, ctx) {
  const { texts, limits } = ctx;
  const field = el("textarea", { id: "open-text", name: "text", rows: 4, attrs: { "aria-describedby": "open-hint" } });
  const { counter } = charCounter(field, "open-text-count", limits.entry, texts);
  return [
    hint("open-hint", texts.n("entries_hint", question.max_entries)),
    el("label", { htmlFor: "open-text" }, texts.t("open_label")),
    field,
    counter,
  ];
}

function readOpen(form, question, ctx) {
  const text = form.querySelector("#open-text").value.trim();
  if (!text) return { error: ctx.texts.t("error_invalid_ballot_open"), focus: "#open-text" };
  return { fields: { text } };
}

function countedEntries(question, ballot, ctx) {
  const entries = entriesOf(ballot);
  if (entries.length === 0) return null;
  const list = el("ol", {});
  for (const entry of entries) list.append(el("li", { className: "user-text" }, String(entry.text ?? "")));
  return el("section", { className: "own-entries", id: "counted-view", attrs: { "aria-labelledby": "own-entries-title" } },
    el("h2", { id: "own-entries-title" }, ctx.texts.t("own_entries")), list);
}

export const open = {
  wording: "entry",
  refresh: true,
  build: buildOpen,
  read: readOpen,
  show() {}, // the textarea is for the next entry; the counted ones are listed under it
  countedView: countedEntries,
  full: (question, ballot) => entriesOf(ballot).length >= question.max_entries,
  /** What the server holds after it acknowledged `fields`, until it says so itself. */
  stored: (fields, previous) => ({ entries: [...entriesOf(previous), { text: fields.text }] }),
  accepted(form) {
    const field = form.querySelector("#open-text");
    if (!field) return;
    field.value = "";
    field.dispatchEvent(new Event("input"));
  },
  firstInput: "#open-text",
};
