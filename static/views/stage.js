// The presenter's stage below the question: one view per question kind (and the leaderboard, which takes
// the stage while the host shows it). Each view module has `containers` (the parts of the page it draws in),
// `show(parts, question, frame, texts)` → whether it must be fitted again, `fit(parts)`, `clear(parts)` and
// `summary(question, frame, texts)` → sentences for screen readers.

import * as choice from "./choice.js";
import * as leaderboard from "./leaderboard.js";
import * as open from "./open.js";
import * as ranking from "./ranking.js";
import * as scale from "./scale.js";
import * as wordcloud from "./wordcloud.js";

const VIEWS = { choice, quiz: choice, wordcloud, open, scale, ranking };
const CONTAINERS = ["chart", "legend", "cloud", "wall", "board"];
const EMPTIED = ["chart", "legend", "cloud", "wall"]; // the board keeps its head: leaderboard.clear empties its body

export class Stage {
  /**
   * @param {{area: HTMLElement, chart: HTMLOListElement, legend: HTMLElement, cloud: HTMLElement,
   *          wall: HTMLElement, board: HTMLTableElement, more: HTMLElement, empty: HTMLElement,
   *          hiddenNote: HTMLElement, barTemplate: HTMLTemplateElement}} parts
   * @param {import("../common.js").Texts} texts
   */
  constructor(parts, texts) {
    this.parts = { ...parts, texts };
    this.texts = texts;
    this.name = null; // the view shown: a kind, "leaderboard", or null (nothing: no question, results hidden)
  }

  /** Draw a presenter frame; @returns {boolean} whether the stage must be fitted again. */
  render(frame) {
    const { parts } = this;
    const question = frame.question;
    const name = frame.leaderboard ? "leaderboard" : question && frame.results_visible ? question.kind : null;
    let changed = false;
    if (name !== this.name) {
      // Hidden results leave no numbers in the page at all: the screen is shared.
      const old = this.view();
      if (old) old.clear(parts);
      for (const container of EMPTIED) {
        parts[container].replaceChildren();
        parts[container].dataset.question = "";
      }
      parts.more.hidden = true;
      parts.more.textContent = "";
      parts.more.dataset.count = "0";
      parts.empty.hidden = true;
      parts.area.style.removeProperty("--chart-scale");
      this.name = name;
      parts.area.dataset.kind = name || "";
      changed = true;
    }
    const view = this.view();
    const used = new Set(view ? view.containers : []);
    for (const container of CONTAINERS) parts[container].hidden = !used.has(container);
    parts.hiddenNote.hidden = !(question && !frame.results_visible && !frame.leaderboard);
    if (name === "leaderboard") changed = leaderboard.show(parts, frame) || changed;
    else if (view) changed = view.show(parts, question, frame, this.texts) || changed;
    return changed;
  }

  fit() {
    const view = this.view();
    if (view) view.fit(this.parts);
  }

  /** Sentences about what the stage shows (the question and the footer's numbers aside). */
  summary(frame) {
    if (this.name === "leaderboard") return leaderboard.summary(frame, this.texts);
    if (!this.name || !frame.question) return [];
    return this.view().summary(frame.question, frame, this.texts);
  }

  view() {
    return this.name === "leaderboard" ? leaderboard : this.name ? VIEWS[this.name] : null;
  }
}
