// Ranking: a bar per option by score (the server sorts them, best first), the bar's length the score's share
// of the most it could be (every voter putting it first), with the points and the average place.

import { renderRows } from "../chart.js";
import { fitChart } from "../presenter-fit.js";
import { secondTexts } from "./translation.js";
import { formatAverage } from "./scale.js";

export const containers = ["chart"];

export function show(parts, question, frame, texts) {
  const voters = question.voters || 0;
  const most = voters * question.options.length;
  parts.chart.classList.add("with-notes");
  const second = secondTexts(frame);
  const rows = question.options.map((option) => ({
    id: option.id,
    label: option.label,
    second: second.label(option.id, option.label),
    fraction: most > 0 ? option.score / most : 0,
    value: texts.n("points", option.score),
    note: option.average_rank === null ? "" : texts.t("average_rank", { rank: formatAverage(texts, option.average_rank) }),
    zero: option.score === 0,
  }));
  return renderRows(parts.chart, parts.barTemplate, question.id, rows);
}

export function fit(parts) {
  fitChart(parts.area, parts.chart, parts.more, parts.texts);
}

export function clear(parts) {
  parts.chart.classList.remove("with-notes");
}

export function summary(question, frame, texts) {
  return question.options.map((option, index) =>
    texts.t("summary_ranked", {
      place: texts.number(index + 1),
      label: option.label,
      points: texts.n("points", option.score),
      rank: option.average_rank === null ? "–" : formatAverage(texts, option.average_rank),
    }),
  );
}
