// Results on phones (the `state` frame's `results`, while the host shows them), per kind, kept light:
// bars for choice and quiz (the correct answer marked in words after the reveal), bars by score for ranking,
// one small chart and the average per scale statement, the top words of a word cloud, the newest entries
// of an open question.

import { el, optionLabel } from "./ballot-parts.js";
import { renderBars } from "./chart.js";

/**
 * @param {{section, voters, chart, extra, barTemplate}} parts  the page's results elements
 * @param {object|null} question  the current question (its definition)
 * @param {object|null} results   the frame's results (QuestionResults) or null
 */
export function renderPhoneResults(parts, question, results, texts, limits) {
  const { section, voters, chart, extra, barTemplate } = parts;
  if (!question || !results || results.id !== question.id) {
    section.hidden = true;
    return;
  }
  const bars = results.kind === "choice" || results.kind === "quiz" || results.kind === "ranking";
  chart.hidden = !bars;
  if (!bars) chart.replaceChildren();
  if (results.kind === "ranking") {
    const rows = results.options.map((option) => ({ id: option.id, label: option.label, votes: option.score }));
    renderBars(chart, barTemplate, question.id, rows, results.options.length * results.voters, texts);
    for (const option of results.options) {
      const value = chart.querySelector(`.bar-row[data-option="${CSS.escape(option.id)}"] .bar-value`);
      const rank = option.average_rank === null ? "–" : texts.number(option.average_rank);
      value.textContent = texts.t("ranking_value", { score: texts.number(option.score), rank });
    }
    extra.replaceChildren();
  } else if (bars) {
    const correct = new Set(results.correct || []);
    const rows = results.options.map((option) => {
      const label = optionLabel(option, texts);
      return { id: option.id, label: correct.has(option.id) ? `✓ ${label} (${texts.t("correct_answer")})` : label, votes: option.votes };
    });
    renderBars(chart, barTemplate, question.id, rows, results.voters, texts);
    extra.replaceChildren();
  } else if (results.kind === "scale") {
    scaleResults(extra, question, results, texts, barTemplate);
  } else if (results.kind === "wordcloud") {
    const list = el("ol", { className: "top-words" });
    for (const word of results.words.slice(0, limits.phone_words)) {
      list.append(el("li", {}, el("span", { className: "user-text" }, word.text), " ", el("span", { className: "count" }, texts.number(word.count))));
    }
    extra.replaceChildren(results.words.length ? list : el("p", { className: "hint" }, texts.t("no_answers")));
  } else if (results.kind === "open") {
    const list = el("ul", { className: "entry-wall" });
    for (const entry of results.entries.slice(0, limits.phone_entries)) list.append(el("li", { className: "user-text" }, entry.text));
    extra.replaceChildren(results.entries.length ? list : el("p", { className: "hint" }, texts.t("no_answers")));
  }
  voters.textContent = texts.n("voters", results.voters);
  section.hidden = false;
}

// One block per statement, updated in place so its bars can glide.
function scaleResults(extra, question, results, texts, barTemplate) {
  const blocks = new Map([...extra.querySelectorAll(":scope > .scale-result")].map((b) => [b.dataset.statement, b]));
  const wanted = [];
  for (const statement of results.statements) {
    let block = blocks.get(statement.id);
    if (!block || block.dataset.question !== question.id) {
      block = el("div", { className: "scale-result", data: { statement: statement.id, question: question.id } },
        el("h3", { className: "user-text" }), el("ol", { className: "chart compact" }), el("p", { className: "hint" }));
    }
    block.querySelector("h3").textContent = statement.label;
    const rows = statement.counts.map((count, n) => ({ id: String(results.min + n), label: String(results.min + n), votes: count }));
    renderBars(block.querySelector("ol"), barTemplate, `${question.id}/${statement.id}`, rows, statement.voters, texts);
    const average = statement.average === null ? "–" : texts.number(statement.average);
    block.querySelector("p").textContent = `${texts.t("average", { average })} · ${texts.n("ratings", statement.voters)}`;
    wanted.push(block);
  }
  extra.replaceChildren(...wanted);
}
