// Where the participant is on the page: "Question 2 / 5", the walk through a self-paced session (Back / Next,
// the thank-you page), the Poll / Questions tabs; the address (?step, ?tab, ?sort) and the language links
// follow, so a reload or another language keeps the place. Without JavaScript the same links reload the page
// (livepoll/web/pages_walk.py).

import { el } from "./ballot-parts.js";

const PLACE = ["tab", "sort", "step"];
// What a no-JavaScript round trip leaves in the address (a refusal, echoed picks, a nickname's or question's
// result): read once by the page, then dropped, so that a reload does not repeat an old message.
const FORM_ECHO = /^(error|c|voted|nick|nick_error|qa_error|asked|rating-.*|rank-.*)$/;

export class PhonePlace {
  /**
   * @param {object} config  the page's config (`walk`, `tab`, `qa`)
   * @param {{onStep: () => void, onTab: (tab: string) => void}} hooks
   */
  constructor(config, texts, hooks) {
    this.code = config.code;
    this.texts = texts;
    this.hooks = hooks;
    this.walk = config.walk ? { step: config.walk.step, questions: config.walk.questions } : null;
    this.tab = config.tab === "qa" && config.qa ? "qa" : "poll";
    this.sort = config.qa && config.qa.sort === "recent" ? "recent" : "popular";
    this.progress = document.getElementById("progress");
    this.progress.tabIndex = -1; // focused after Back / Next, so the new question is read from its number
    this.nav = document.getElementById("walk-nav");
    this.back = document.getElementById("walk-back");
    this.next = document.getElementById("walk-next");
    this.pollPanel = document.getElementById("poll-panel");
    this.qaPanel = document.getElementById("qa-panel");
    this.tabs = document.getElementById("phone-tabs");
    if (this.nav) {
      this.nav.addEventListener("click", (event) => {
        const link = event.target.closest("a");
        if (!link || link.hidden) return;
        event.preventDefault();
        this.go(this.walk.step + (link === this.back ? -1 : 1));
      });
    }
    if (this.tabs) {
      this.tabs.addEventListener("click", (event) => {
        const link = event.target.closest("a[data-tab]");
        if (!link) return;
        event.preventDefault();
        this.showTab(link.dataset.tab);
      });
    }
  }

  /** The question the walk is on (null on the thank-you page); undefined in a live session. */
  walkQuestion() {
    if (!this.walk) return undefined;
    return this.walk.questions[this.walk.step - 1] || null;
  }

  /** A self-paced session's questions as the server sends them now (edits included). */
  setQuestions(questions) {
    if (!this.walk || !Array.isArray(questions)) return;
    this.walk.questions = questions;
    this.walk.step = Math.min(this.walk.step, questions.length + 1);
  }

  go(step) {
    this.walk.step = Math.max(1, Math.min(step, this.walk.questions.length + 1));
    this.remember();
    this.hooks.onStep();
    const heading = document.getElementById("thanks-title");
    (heading && !this.walkQuestion() ? heading : this.progress).focus();
  }

  showTab(tab) {
    this.tab = tab === "qa" && this.qaPanel ? "qa" : "poll";
    this.pollPanel.hidden = this.tab !== "poll";
    if (this.qaPanel) this.qaPanel.hidden = this.tab !== "qa";
    for (const link of this.tabs ? this.tabs.querySelectorAll("a[data-tab]") : []) {
      if (link.dataset.tab === this.tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
      if (link.dataset.tab === this.tab) link.classList.remove("has-news");
    }
    this.remember();
    this.hooks.onTab(this.tab);
  }

  setSort(sort) {
    this.sort = sort;
    this.remember();
  }

  /** A new poll question while the participant is on the Questions tab: the Poll tab says so. */
  markNews() {
    const link = this.tabs && this.tabs.querySelector('a[data-tab="poll"]');
    if (link && this.tab !== "poll") link.classList.add("has-news");
  }

  dropFormEcho() {
    const params = new URLSearchParams(location.search);
    if (![...params.keys()].some((name) => FORM_ECHO.test(name))) return;
    const query = new URLSearchParams([...params].filter(([name]) => !FORM_ECHO.test(name))).toString();
    history.replaceState(null, "", location.pathname + (query ? `?${query}` : ""));
  }

  /** The place in the address and in the language links (a reload or another language keeps it). */
  remember() {
    const place = [];
    if (this.tab === "qa") place.push(["tab", "qa"]);
    if (this.tab === "qa" && this.sort === "recent") place.push(["sort", "recent"]);
    if (this.walk) place.push(["step", String(this.walk.step)]);
    const params = new URLSearchParams(location.search);
    const kept = [...params].filter(([name]) => !PLACE.includes(name));
    const query = new URLSearchParams([...kept, ...place]).toString();
    history.replaceState(null, "", location.pathname + (query ? `?${query}` : ""));
    for (const link of document.querySelectorAll("nav.languages a[hreflang]")) {
      link.href = `${location.pathname}?${new URLSearchParams([...place, ["lang", link.hreflang]])}`;
    }
    if (this.tabs) {
      const pollLink = this.tabs.querySelector('a[data-tab="poll"]');
      pollLink.href = `/${this.code}${this.walk ? `?step=${this.walk.step}` : ""}`;
    }
  }

  /** "Question 2 / 5" (a live session shows it from two questions on), and the walk's Back / Next. */
  render(state) {
    let number = null;
    let count = 0;
    if (this.walk) {
      count = this.walk.questions.length;
      number = this.walk.step <= count ? this.walk.step : null;
    } else if (state.question && state.count >= 2) {
      count = state.count;
      number = state.number;
    }
    const text = number ? this.texts.t("question_number", { num: number, count }) : "";
    if (this.progress.textContent !== text) this.progress.textContent = text;
    this.progress.hidden = !text;
    if (!this.walk || !this.nav) return;
    const { step } = this.walk;
    this.nav.hidden = count === 0;
    this.back.hidden = step <= 1;
    this.back.href = `/${this.code}?step=${step - 1}`;
    this.next.hidden = step > count;
    this.next.href = `/${this.code}?step=${step + 1}`;
    const label = this.texts.t(step === count ? "finish" : "next");
    if (this.next.textContent !== label) this.next.textContent = label;
  }

  /** The thank-you page at the end of the walk (or the note of a survey without questions). */
  endView(answered, open) {
    const count = this.walk.questions.length;
    if (count === 0) return [el("p", { className: "waiting", id: "waiting" }, this.texts.t("no_questions"))];
    return [el("section", { className: "thanks", id: "thanks", attrs: { "aria-labelledby": "thanks-title" } },
      el("h2", { id: "thanks-title", tabIndex: -1 }, this.texts.t("thanks_title")),
      el("p", {}, `${this.texts.t(answered ? "thanks_saved" : "thanks_none")} ${this.texts.t("thanks_answered", { answered, count })}`),
      el("p", {}, this.texts.t(open ? "thanks_change" : "survey_closed")))];
  }
}
