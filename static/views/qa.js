// The presenter's Q&A view (issue 9): the pinned question large ("now answering"), then the audience's top
// questions by upvotes with their counts, from the presenter socket's `qa` frames. Presenters get what the
// audience may see (visible, pinned, answered; never pending or hidden ones), in the server's order: pinned
// first, then by upvotes, then newest, so ties do not jump between frames. Answered questions leave the list.
// Items are kept by id and moved, so a question climbing the list keeps its element.

import { fitItems } from "../presenter-fit.js";

// More questions than could ever fit on a screen are not put in the page.
const ITEMS_IN_PAGE = 12;
// Larger type before more questions: the scale shrinks only while fewer than this many fit.
const MIN_SHOWN = 4;
const SHOWN = new Set(["visible"]);
const PINNED = "pinned";

export class QaView {
  /**
   * @param {{section: HTMLElement, now: HTMLElement, area: HTMLElement, list: HTMLOListElement,
   *          more: HTMLElement, empty: HTMLElement, closed: HTMLElement}} parts
   * @param {import("../common.js").Texts} texts
   */
  constructor(parts, texts) {
    this.parts = parts;
    this.texts = texts;
    this.frame = null;
    this.total = 0;
  }

  /** Draw a `qa` frame; @returns {boolean} whether the view must be fitted again. */
  render(frame) {
    this.frame = frame;
    const { now, list, empty, closed } = this.parts;
    const questions = frame.questions || [];
    const pinned = questions.find((question) => question.status === PINNED) || null;
    const listed = questions.filter((question) => SHOWN.has(question.status));
    this.total = listed.length;
    let changed = false;

    const nowKey = pinned ? `${pinned.id}\n${pinned.text}\n${pinned.name}` : "";
    if (now.dataset.key !== nowKey) {
      now.dataset.key = nowKey;
      now.hidden = !pinned;
      changed = true;
    }
    if (pinned) {
      now.dataset.id = pinned.id;
      fillItem(now, pinned, this.texts, ".qa-now-text");
    }

    const existing = new Map([...list.children].map((item) => [item.dataset.id, item]));
    const wanted = listed.slice(0, ITEMS_IN_PAGE);
    const ids = new Set(wanted.map((question) => question.id));
    for (const [id, item] of existing) {
      if (!ids.has(id)) {
        item.remove();
        changed = true;
      }
    }
    let previous = null;
    for (const question of wanted) {
      let item = existing.get(question.id);
      if (!item) {
        item = newItem(question.id);
        changed = true;
      }
      const expected = previous ? previous.nextElementSibling : list.firstElementChild;
      if (expected !== item) {
        list.insertBefore(item, expected);
        changed = true;
      }
      if (fillItem(item, question, this.texts, ".qa-text")) changed = true;
      previous = item;
    }
    const isEmpty = !pinned && listed.length === 0 && Boolean(frame.open); // closed: "asking is closed" says it
    if (empty.hidden !== !isEmpty) {
      empty.hidden = !isEmpty;
      changed = true;
    }
    if (closed.hidden !== Boolean(frame.open)) {
      closed.hidden = Boolean(frame.open);
      changed = true;
    }
    return changed;
  }

  fit() {
    const { area, list, more } = this.parts;
    const clamped = this.parts.section.querySelectorAll(".qa-body, .qa-now-text");
    for (const text of clamped) text.removeAttribute("title");
    fitItems({ area, list, more, texts: this.texts, moreKey: "more_questions", total: this.total, minShown: MIN_SHOWN });
    // A question cut short by its line clamp keeps its whole text in a tooltip.
    for (const text of clamped) {
      if (text.scrollHeight > text.clientHeight + 1) text.title = text.textContent;
    }
  }

  /** Sentences for screen readers. */
  summary() {
    const { texts } = this;
    const questions = (this.frame && this.frame.questions) || [];
    const parts = [texts.t("qa_heading") + "."];
    const pinned = questions.find((question) => question.status === PINNED);
    if (pinned) parts.push(texts.t("summary_qa_now", { text: pinned.text, upvotes: texts.n("upvotes", pinned.upvotes) }));
    const listed = questions.filter((question) => SHOWN.has(question.status));
    if (!pinned && !listed.length) parts.push(texts.t("qa_empty"));
    listed.slice(0, 3).forEach((question, index) =>
      parts.push(texts.t("summary_qa_item", { place: texts.number(index + 1), text: question.text, upvotes: texts.n("upvotes", question.upvotes) })),
    );
    if (this.frame && !this.frame.open) parts.push(texts.t("qa_closed"));
    return parts.join(" ");
  }
}

function newItem(id) {
  const item = document.createElement("li");
  item.className = "qa-item";
  item.dataset.id = id;
  const votes = document.createElement("span");
  votes.className = "qa-votes";
  const body = document.createElement("span");
  body.className = "qa-body";
  const text = document.createElement("span");
  text.className = "qa-text";
  const name = document.createElement("span");
  name.className = "qa-name";
  body.append(text, name);
  item.append(votes, body);
  return item;
}

/** Put a question's texts and count in an item (or the pinned figure); @returns {boolean} whether its text changed. */
function fillItem(element, question, texts, textSelector) {
  const votes = element.querySelector(".qa-votes");
  const count = String(question.upvotes);
  if (votes.dataset.count !== count) {
    votes.dataset.count = count;
    votes.textContent = texts.n("upvotes", question.upvotes);
  }
  element.classList.toggle("zero", question.upvotes === 0);
  const text = element.querySelector(textSelector);
  const name = element.querySelector(".qa-name");
  let changed = false;
  if (text.textContent !== question.text) {
    text.textContent = question.text;
    changed = true;
  }
  const said = question.name ? `— ${question.name}` : "";
  if (name.textContent !== said) {
    name.textContent = said;
    name.hidden = !said;
    changed = true;
  }
  return changed;
}
