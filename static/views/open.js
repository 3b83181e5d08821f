// The open-text view: a wall of cards, newest first (the frame holds only the visible entries), in as many
// columns as the stage's width takes; line breaks kept; what does not fit is counted in "+N more".

import { fitItems } from "../presenter-fit.js";

// More cards than could ever fit on a screen are not put in the page (the frame may carry 200).
const CARDS_IN_PAGE = 60;

export const containers = ["wall"];

export function show(parts, question) {
  const wall = parts.wall;
  let changed = wall.dataset.question !== question.id;
  if (changed) {
    wall.replaceChildren();
    wall.dataset.question = question.id;
  }
  const entries = question.entries.slice(0, CARDS_IN_PAGE);
  const existing = new Map();
  for (const card of wall.children) existing.set(card.dataset.entry, card);
  const wanted = new Set(entries.map((entry) => entry.id));
  for (const [id, card] of existing) {
    if (!wanted.has(id)) {
      card.remove();
      changed = true;
    }
  }
  let previous = null;
  for (const entry of entries) {
    let card = existing.get(entry.id);
    if (!card) {
      card = document.createElement("li");
      card.className = "entry-card";
      card.dataset.entry = entry.id;
      const text = document.createElement("p");
      text.className = "entry-text";
      text.textContent = entry.text;
      card.append(text);
      changed = true;
    }
    const expected = previous ? previous.nextElementSibling : wall.firstElementChild;
    if (expected !== card) {
      wall.insertBefore(card, expected);
      changed = true;
    }
    previous = card;
  }
  parts.wall.dataset.total = String(question.entries.length);
  parts.empty.hidden = question.entries.length > 0;
  return changed;
}

export function fit(parts) {
  const { area, wall, more, texts } = parts;
  fitItems({ area, list: wall, more, texts, moreKey: "more_entries", total: Number(wall.dataset.total || 0) });
  // A card cut short by its line clamp keeps its whole text in a tooltip.
  for (const text of wall.querySelectorAll(".entry-text")) {
    if (text.scrollHeight > text.clientHeight + 1) text.title = text.textContent;
    else text.removeAttribute("title");
  }
}

export function clear(parts) {
  parts.wall.replaceChildren();
  parts.wall.dataset.question = "";
  parts.empty.hidden = true;
}

export function summary(question, frame, texts) {
  const entries = question.entries;
  if (!entries.length) return [texts.t("no_answers")];
  const parts = [texts.n("entries", entries.length) + "."];
  for (const entry of entries.slice(0, 3)) parts.push(texts.t("summary_entry", { text: entry.text }));
  return parts;
}
