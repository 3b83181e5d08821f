// The countdown of a timed question (any kind): "Time left: 0:27", counted down locally from when the frame
// arrived (`remaining_ms`, so a phone's wrong clock does not matter), then "Time's up." once, politely.
// The element has role="timer" (not read out every second).

export class Countdown {
  /**
   * @param {HTMLElement} element
   * @param {import("./common.js").Texts} texts
   * @param {{announce: (text: string) => void, onTimeUp: () => void}} hooks
   */
  constructor(element, texts, hooks) {
    this.element = element;
    this.texts = texts;
    this.hooks = hooks;
    this.questionId = null;
    this.endAt = null; // performance.now() when time is up; null: no timer for this question
    this.deadline = null;
    this.announced = null; // the deadline whose "time's up" was said
    this.ended = false;
    this.ticker = null;
  }

  /** Time ran out on this page (the form is locked even before the server's frame says so). */
  get timeUp() {
    return this.ended;
  }

  /** Follow a frame: {question id, voting_open, deadline?, remaining_ms?}. */
  sync(questionId, votingOpen, deadline, remainingMs) {
    if (questionId !== this.questionId) this.reset(questionId);
    if (votingOpen && typeof remainingMs === "number") {
      this.endAt = performance.now() + remainingMs;
      if (deadline !== this.deadline) this.ended = false;
      this.deadline = deadline ?? null;
      if (this.ticker === null) this.ticker = setInterval(() => this.tick(), 250);
      this.tick();
    } else if (!votingOpen && this.endAt !== null && performance.now() >= this.endAt - 1500) {
      this.finish(); // the server closed voting at the deadline we were counting to
    } else if (!this.ended || votingOpen) {
      this.reset(questionId); // no timer (or the host closed voting early, or opened it again)
    }
  }

  reset(questionId) {
    clearInterval(this.ticker);
    this.ticker = null;
    this.questionId = questionId;
    this.endAt = null;
    this.deadline = null;
    this.ended = false;
    this.element.hidden = true;
    this.element.textContent = "";
  }

  tick() {
    const left = this.endAt - performance.now();
    if (left <= 0) {
      this.finish();
      return;
    }
    const seconds = Math.ceil(left / 1000);
    const time = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    this.show(this.texts.t("time_left", { time }));
  }

  finish() {
    clearInterval(this.ticker);
    this.ticker = null;
    this.show(this.texts.t("time_up"));
    const first = !this.ended;
    this.ended = true;
    if (this.announced !== this.deadline || this.deadline === null) {
      if (first) this.hooks.announce(this.texts.t("time_up"));
      this.announced = this.deadline;
    }
    if (first) this.hooks.onTimeUp();
  }

  show(text) {
    if (this.element.textContent !== text) this.element.textContent = text;
    this.element.hidden = false;
  }
}
