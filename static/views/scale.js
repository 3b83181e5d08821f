// The scale view: per statement a bar of stacked segments, one per value min..max (each segment's width its
// share of the statement's ratings, its value written in it when there is room), and the average with the
// number of ratings. A legend above names the values and the scale's end labels. The rows are .bar-rows, so
// presenter-fit.js fits them like choice bars.

import { setLabel } from "../chart.js";
import { fitChart } from "../presenter-fit.js";
import { secondTexts } from "./translation.js";

const PALETTE = 11; // .seg.p0 … .p10 in livepoll.css, low to high; a shorter scale spreads over them
const VALUE_IN_SEGMENT = 0.07; // share of the bar from which a segment has room for its value

export const containers = ["chart", "legend"];

const values = (question) => Array.from({ length: question.max - question.min + 1 }, (_, i) => question.min + i);
const shade = (index, count) => (count === 1 ? 0 : Math.round((index * (PALETTE - 1)) / (count - 1)));

export function show(parts, question, frame, texts) {
  const { chart, legend } = parts;
  let changed = false;
  const scaleKey = `${question.id}:${question.min}:${question.max}`;
  if (chart.dataset.question !== scaleKey) {
    chart.replaceChildren();
    chart.dataset.question = scaleKey;
    drawLegend(legend, question);
    changed = true;
  }
  chart.classList.add("with-notes");
  const points = values(question);
  const second = secondTexts(frame);
  const rows = new Map([...chart.querySelectorAll(":scope > .bar-row")].map((row) => [row.dataset.option, row]));
  const wanted = new Set(question.statements.map((statement) => statement.id));
  for (const [id, row] of rows) {
    if (!wanted.has(id)) {
      row.remove();
      changed = true;
    }
  }
  for (const statement of question.statements) {
    let row = rows.get(statement.id);
    if (!row) {
      row = newRow(statement.id, points);
      chart.append(row);
      changed = true;
    }
    setLabel(row, statement.label, undefined, second.label(statement.id, statement.label));
    const segments = row.querySelectorAll(".seg");
    let before = false; // a segment drawn left of this one: a sliver of background parts them
    points.forEach((value, index) => {
      const count = statement.counts[index] || 0;
      const share = statement.voters > 0 ? count / statement.voters : 0;
      const segment = segments[index];
      segment.style.width = `${(share * 100).toFixed(2)}%`;
      segment.textContent = share >= VALUE_IN_SEGMENT ? texts.number(value) : "";
      segment.title = `${texts.number(value)}: ${texts.n("ratings", count)}`;
      segment.classList.toggle("joined", before && count > 0);
      before = before || count > 0;
    });
    const main = row.querySelector(".value-main");
    main.textContent = statement.average === null ? "–" : formatAverage(texts, statement.average);
    row.querySelector(".value-note").textContent = texts.n("ratings", statement.voters);
    row.classList.toggle("zero", statement.voters === 0);
  }
  return changed;
}

export function fit(parts) {
  fitChart(parts.area, parts.chart, parts.more, parts.texts, "more_statements");
}

export function clear(parts) {
  parts.chart.classList.remove("with-notes");
  parts.legend.replaceChildren();
}

export function summary(question, frame, texts) {
  return question.statements.map((statement) =>
    texts.t("summary_statement", {
      label: statement.label,
      average: statement.average === null ? "–" : formatAverage(texts, statement.average),
      ratings: texts.n("ratings", statement.voters),
    }),
  );
}

export function formatAverage(texts, value) {
  return new Intl.NumberFormat(texts.lang, { minimumFractionDigits: 1, maximumFractionDigits: 2 }).format(value);
}

function newRow(id, points) {
  const row = document.createElement("li");
  row.className = "bar-row scale-row";
  row.dataset.option = id;
  const label = document.createElement("span");
  label.className = "bar-label";
  const track = document.createElement("span");
  track.className = "bar-track scale-track";
  track.setAttribute("aria-hidden", "true");
  points.forEach((value, index) => {
    const segment = document.createElement("span");
    segment.className = `seg p${shade(index, points.length)}`;
    segment.dataset.value = String(value);
    track.append(segment);
  });
  const value = document.createElement("span");
  value.className = "bar-value";
  const main = document.createElement("span");
  main.className = "value-main";
  const note = document.createElement("span");
  note.className = "value-note";
  value.append(main, note);
  row.append(label, track, value);
  return row;
}

function drawLegend(legend, question) {
  const points = values(question);
  const items = [];
  const end = (text, side) => {
    if (!text) return;
    const item = document.createElement("li");
    item.className = `legend-end ${side}`;
    item.textContent = text;
    items.push(item);
  };
  end(question.min_label, "low");
  points.forEach((value, index) => {
    const item = document.createElement("li");
    item.className = `seg-key p${shade(index, points.length)}`;
    item.textContent = String(value);
    items.push(item);
  });
  end(question.max_label, "high");
  legend.replaceChildren(...items);
}
