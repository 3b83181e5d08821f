// Choice and quiz: a bar per option with votes and percent. The option "other" without a label of its own
// is named in the page's language. A quiz after its reveal (`correct` in the question) marks each correct
// option with "✓" and words, not colour alone.

import { renderRows } from "../chart.js";
import { fitChart } from "../presenter-fit.js";
import { secondTexts } from "./translation.js";

const OTHER = "other";

export const containers = ["chart"];

const labelOf = (option, texts) => (option.id === OTHER && !option.label ? texts.t("other") : option.label);

export function show(parts, question, frame, texts) {
  const voters = frame.voters || 0;
  const revealed = Array.isArray(question.correct);
  const correct = new Set(question.correct || []);
  parts.chart.classList.toggle("revealed", revealed);
  const second = secondTexts(frame);
  const rows = question.options.map((option) => {
    const fraction = voters > 0 ? Math.min(option.votes / voters, 1) : 0;
    return {
      id: option.id,
      label: labelOf(option, texts),
      second: second.label(option.id, option.label),
      fraction,
      value: `${texts.number(option.votes)} · ${texts.percent(fraction)}`,
      zero: option.votes === 0,
      mark: correct.has(option.id) ? `✓ ${texts.t("correct_answer")}` : undefined,
    };
  });
  return renderRows(parts.chart, parts.barTemplate, question.id, rows);
}

export function fit(parts) {
  fitChart(parts.area, parts.chart, parts.more, parts.texts);
}

export function clear(parts) {
  parts.chart.classList.remove("revealed");
}

export function summary(question, frame, texts) {
  const voters = frame.voters || 0;
  const lines = question.options.map((option) =>
    texts.t("summary_option", {
      label: labelOf(option, texts),
      votes: texts.n("votes", option.votes),
      percent: texts.percent(voters > 0 ? option.votes / voters : 0),
    }),
  );
  if (Array.isArray(question.correct)) {
    const labels = question.options.filter((option) => question.correct.includes(option.id)).map((o) => labelOf(o, texts));
    lines.push(texts.t("summary_correct", { labels: labels.join(", ") }));
  }
  return lines;
}
