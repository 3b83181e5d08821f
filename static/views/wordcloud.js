// The word cloud view: words laid out by ../wordcloud.js as absolutely placed list items, sized by count.
// Between frames a word keeps its place (the layout is seeded with where each word was); the whole cloud is
// laid out afresh when the stage changes size, when many words would have to move or find no room, or when
// the number of words grew by half since the last fresh layout, at most every REFIT_EVERY ms. A word that
// grew and no longer fits where it was moves to the nearest free spot; only it moves.

import { arrange, fitCloud } from "../wordcloud.js";

const PROBE_PX = 100; // words are measured once, in the page's real font, at this size
const REFIT_EVERY = 5000; // ms
const MOVED_SHARE = 0.5; // of the words already shown: more moving than this calls for a fresh layout
const MOVED_ALWAYS_FINE = 4; // words that may move without a fresh layout, however few are shown
const GROWTH = 1.5; // words now / words at the last fresh layout
const SHRINK = 0.93; // a step smaller for every word, when some no longer fit where they are
const COLOURS = 6; // .cloud-word.c0 … .c5 (livepoll.css: each meets AA contrast on the stage)
const MEASURED_KEPT = 2000;

const widths = new Map(); // text -> width at a 1 px font size
let cloud = null; // the layout of the question shown: see show()

export const containers = ["cloud"];

/** @returns {boolean} whether the view needs fitting (a new question: its first layout is a fresh one) */
export function show(parts, question) {
  if (!cloud || cloud.question !== question.id) {
    clear(parts);
    cloud = { question: question.id, words: question.words, width: 0, height: 0, scale: 1, centres: new Map(),
      fittedAt: 0, fittedCount: 0, fittedDropped: 0, reserved: null, timer: 0 };
    return true;
  }
  cloud.words = question.words;
  if (cloud.width === 0) return true;
  layout(parts, false);
  return false;
}

export function fit(parts) {
  if (cloud) layout(parts, true);
}

export function clear(parts) {
  if (cloud) clearTimeout(cloud.timer);
  cloud = null;
  parts.cloud.replaceChildren();
  parts.empty.hidden = true;
}

export function summary(question, frame, texts) {
  if (!question.words.length) return [texts.t("no_answers")];
  const top = question.words.slice(0, 10).map((word) => `${word.text} (${texts.number(word.count)})`);
  return [texts.t("summary_words", { words: top.join(", ") })];
}

function layout(parts, fresh) {
  const { more, empty, texts } = parts;
  const element = parts.cloud;
  const words = cloud.words;
  empty.hidden = words.length > 0;
  const width = element.clientWidth;
  const height = element.clientHeight;
  if (width !== cloud.width || height !== cloud.height) {
    fresh = true;
    cloud.reserved = null;
  }
  cloud.width = width;
  cloud.height = height;
  measure(element, words);
  const stage = { width, height, em: Number.parseFloat(getComputedStyle(element).fontSize), widthOf: (text) => widths.get(text) };
  const now = performance.now();
  const run = () => {
    const reserved = cloud.reserved ? [cloud.reserved] : [];
    if (!fresh) {
      // Words keep their places; if some no longer fit, every word shrinks a step, still in place.
      for (const scale of [cloud.scale, cloud.scale * SHRINK]) {
        const result = arrange(words, { ...stage, scale, seeds: cloud.centres, reserved });
        const seeded = words.filter((word) => cloud.centres.has(word.key)).length;
        const settled = result.moved <= Math.max(MOVED_ALWAYS_FINE, MOVED_SHARE * seeded) &&
          result.dropped.length <= cloud.fittedDropped && words.length <= cloud.fittedCount * GROWTH;
        if (settled) {
          cloud.scale = scale;
          return result;
        }
      }
      // Not settled: a fresh layout, at most every REFIT_EVERY ms (one is due until it has run).
      const wait = cloud.fittedAt + REFIT_EVERY - now;
      if (wait > 0) {
        if (!cloud.timer) cloud.timer = setTimeout(() => cloud && layout(parts, true), wait);
        return arrange(words, { ...stage, scale: cloud.scale, seeds: cloud.centres, reserved });
      }
    }
    clearTimeout(cloud.timer);
    cloud.timer = 0;
    const result = fitCloud(words, { ...stage, reserved });
    Object.assign(cloud, { scale: result.scale, fittedAt: now, fittedCount: words.length, fittedDropped: result.dropped.length });
    return result;
  };
  let result = run();
  if (result.dropped.length && !cloud.reserved) {
    // "+N more" takes the bottom right corner: keep it free and lay out again.
    showMore(more, texts, result.dropped.length);
    const box = more.getBoundingClientRect();
    const stageBox = element.getBoundingClientRect();
    const slack = box.height; // room for another digit
    cloud.reserved = { x: box.left - stageBox.left - slack, y: box.top - stageBox.top, w: box.width + slack, h: box.height };
    result = run();
  } else if (!result.dropped.length) {
    cloud.reserved = null;
  }
  showMore(more, texts, result.dropped.length);
  cloud.centres = new Map([...result.placed].map(([key, box]) => [key, { x: box.x + box.w / 2, y: box.y + box.h / 2 }]));
  draw(element, words, result.placed);
}

function showMore(more, texts, count) {
  more.hidden = count === 0;
  more.textContent = count ? texts.n("more_words", count) : "";
  more.dataset.count = String(count);
}

/** Widths of words not measured yet, all in one layout pass, in the font the cloud shows them in. */
function measure(element, words) {
  const missing = [...new Set(words.map((word) => word.text).filter((text) => !widths.has(text)))];
  if (!missing.length) return;
  if (widths.size + missing.length > MEASURED_KEPT) widths.clear();
  const probe = document.createElement("div");
  probe.className = "cloud-probe";
  probe.setAttribute("aria-hidden", "true");
  const spans = missing.map((text) => {
    const span = document.createElement("span");
    span.className = "cloud-word";
    span.textContent = text;
    return span;
  });
  probe.append(...spans);
  element.append(probe);
  spans.forEach((span, index) => widths.set(missing[index], span.getBoundingClientRect().width / PROBE_PX));
  probe.remove();
}

function draw(element, words, placed) {
  const existing = new Map();
  for (const item of element.querySelectorAll(":scope > .cloud-word")) existing.set(item.dataset.key, item);
  for (const word of words) {
    const box = placed.get(word.key);
    let item = existing.get(word.key);
    existing.delete(word.key);
    if (!box) {
      if (item) item.remove();
      continue;
    }
    if (!item) {
      item = document.createElement("li");
      item.className = `cloud-word c${colourOf(word.key)}`;
      item.dataset.key = word.key;
      element.append(item); // a word keeps its node (and its glide) when its rank changes
    }
    if (item.textContent !== word.text) item.textContent = word.text;
    item.dataset.count = String(word.count);
    const place = `${box.x.toFixed(1)} ${box.y.toFixed(1)} ${box.w} ${box.h} ${box.size.toFixed(1)}`;
    if (item.dataset.place === place) continue; // most words, on most frames
    item.dataset.place = place;
    const style = item.style;
    style.left = `${box.x.toFixed(1)}px`;
    style.top = `${box.y.toFixed(1)}px`;
    style.width = `${box.w}px`;
    style.height = `${box.h}px`;
    style.fontSize = `${box.size.toFixed(1)}px`;
  }
  for (const item of existing.values()) item.remove();
}

function colourOf(key) {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % COLOURS;
}
