// The control panel's view of the current question, per kind, from the host's presenter frames: bars for
// choice, quiz, ranking and scale; the "other" texts; word-cloud words to hide and show again; open-text
// entries to approve and hide. Rows come from the <template>s of templates/_host_kinds.html.

import { fromTemplate, setControl, setText, shorten, syncList } from "./host-lists.js";

const $ = (id) => document.getElementById(id);

export class Preview {
  constructor(texts, maxListed) {
    this.texts = texts;
    this.maxListed = maxListed;
    this.card = $("current");
    this.question = $("preview-question");
    this.voters = $("preview-voters");
    this.chart = $("preview-chart");
    this.revealed = new Set();
  }

  render(frame) {
    const question = frame.question;
    const kind = question ? question.kind : "";
    this.card.dataset.kind = kind;
    for (const part of this.card.querySelectorAll("[data-kinds]")) {
      part.hidden = !part.dataset.kinds.split(" ").includes(kind);
    }
    setText(this.question, question ? question.text : this.texts.t("no_question"));
    setText(this.voters, this.texts.n("voters", frame.voters || 0));
    if (!question) return;
    if (this.chart.dataset.question !== question.id) {
      this.chart.replaceChildren();
      this.chart.dataset.question = question.id;
    }
    const bars = { choice: choiceBars, quiz: choiceBars, ranking: rankingBars, scale: scaleBars }[kind];
    if (bars) this.bars(bars(question, frame.voters || 0, this.texts));
    if (kind === "quiz") this.quiz(question);
    if (kind === "choice") this.otherTexts(question);
    if (kind === "wordcloud") this.words(question);
    if (kind === "open") this.entries(question);
  }

  bars(rows) {
    syncList(this.chart, rows, {
      id: (row) => row.id,
      create: () => fromTemplate("tpl-bar"),
      update: (element, row) => {
        element.dataset.option = row.id;
        setText(element.querySelector(".bar-label"), row.label);
        element.querySelector(".bar-fill").style.width = `${(Math.max(0, Math.min(row.fraction, 1)) * 100).toFixed(2)}%`;
        setText(element.querySelector(".bar-value"), row.value);
        const detail = element.querySelector(".bar-detail");
        setText(detail, row.detail || "");
        detail.hidden = !row.detail;
        element.classList.toggle("zero", row.fraction === 0);
        element.classList.toggle("correct", Boolean(row.correct));
      },
    });
  }

  quiz(question) {
    const correct = new Set(question.correct || []);
    const labels = question.options.filter((option) => correct.has(option.id)).map((option) => option.label);
    setText($("quiz-correct"), this.texts.t("correct_answers", { answers: labels.join(", ") }));
    const revealed = this.revealed.has(question.id);
    $("quiz-revealed").hidden = !revealed;
    const reveal = document.querySelector('form.control-form[data-action="reveal"]');
    setControl(reveal, { question: question.id });
    reveal.hidden = revealed;
  }

  otherTexts(question) {
    $("pane-other").hidden = !question.other;
    const texts = (question.other_texts || []).slice().reverse();
    setText($("other-count"), this.texts.number(texts.length));
    const list = $("other-texts");
    const shown = texts.slice(0, this.maxListed);
    // Texts are never edited, only added: rebuild only when the list changed.
    if (list.dataset.count !== String(texts.length) || list.dataset.question !== question.id) {
      list.replaceChildren(...shown.map((text) => {
        const item = document.createElement("li");
        item.className = "user-text";
        item.textContent = text;
        return item;
      }));
      list.dataset.count = String(texts.length);
      list.dataset.question = question.id;
    }
  }

  words(question) {
    const lists = [
      ["words-shown", question.words || [], "hide_entry", this.texts.t("hide")],
      ["words-hidden", question.hidden_words || [], "show_entry", this.texts.t("show_again")],
      ["words-blocked", question.blocked_words || [], "show_entry", this.texts.t("show")],
    ];
    for (const [id, words, action, label] of lists) {
      setText($(`${id}-count`), this.texts.number(words.length));
      syncList($(id), words.slice(0, this.maxListed), {
        id: (word) => word.key,
        create: () => fromTemplate("tpl-word"),
        update: (row, word) => {
          row.dataset.key = word.key;
          setText(row.querySelector(".mod-text"), word.text);
          setText(row.querySelector(".mod-count"), this.texts.number(word.count));
          setControl(row.querySelector("form"), { action, question: question.id, key: word.key }, label, word.text);
        },
      });
    }
  }

  entries(question) {
    const all = question.entries || [];
    const count = (status) => all.filter((entry) => entry.status === status).length;
    setText($("entry-counts"), [
      this.texts.n("pending", count("pending")),
      this.texts.n("visible", count("visible")),
      this.texts.n("hidden", count("hidden")),
    ].join(" · "));
    $("entries-pending-part").hidden = !question.moderated;
    const pending = all.filter((entry) => entry.status === "pending");
    const listed = all.filter((entry) => entry.status !== "pending");
    for (const [id, entries] of [["entries-pending", pending], ["entries-listed", listed]]) {
      syncList($(id), entries.slice(0, this.maxListed), {
        id: (entry) => entry.id,
        create: () => fromTemplate("tpl-entry"),
        update: (row, entry) => this.entry(row, entry, question.id),
      });
    }
  }

  entry(row, entry, questionId) {
    row.dataset.entry = entry.id;
    row.dataset.status = entry.status;
    setText(row.querySelector(".mod-text"), entry.text);
    setText(row.querySelector(".entry-status"), this.texts.t(`status_${entry.status}`));
    row.querySelector(".entry-blocked").hidden = !entry.blocked;
    const target = shorten(entry.text);
    for (const form of row.querySelectorAll("form.control-form")) {
      const action = form.querySelector('input[name="action"]').value;
      setControl(form, { question: questionId, entry: entry.id }, undefined, target);
      form.hidden = action === "approve_entry" ? entry.status !== "pending"
        : action === "hide_entry" ? entry.status === "hidden" : entry.status !== "hidden";
    }
  }
}

function choiceBars(question, voters, texts) {
  const correct = new Set(question.correct || []);
  return question.options.map((option) => {
    const fraction = voters > 0 ? option.votes / voters : 0;
    return {
      id: option.id,
      label: option.label || texts.t("other"),
      fraction,
      value: `${texts.number(option.votes)} · ${texts.percent(Math.min(fraction, 1))}`,
      correct: question.kind === "quiz" && correct.has(option.id),
    };
  });
}

function rankingBars(question, voters, texts) {
  const best = Math.max(1, ...question.options.map((option) => option.score));
  return question.options.map((option) => ({
    id: option.id,
    label: option.label,
    fraction: option.score / best,
    value: texts.n("points", option.score),
    detail: option.average_rank === null ? "" : texts.t("average_rank", { rank: texts.number(option.average_rank) }),
  }));
}

function scaleBars(question, voters, texts) {
  const span = Math.max(1, question.max - question.min);
  return question.statements.map((statement) => ({
    id: statement.id,
    label: statement.label,
    fraction: statement.average === null ? 0 : (statement.average - question.min) / span,
    value: statement.average === null ? texts.t("no_ratings") : texts.t("average", { value: texts.number(statement.average) }),
    detail: statement.counts.map((count, index) => `${question.min + index}: ${texts.number(count)}`).join(" · "),
  }));
}
