// The voting timer, for any kind: while a frame carries `remaining_ms` the presenter counts down locally from
// the frame's arrival (frames re-sync it), then shows "Time's up" until the question changes or voting opens
// again. A timer stopped early (the host closed voting) just disappears.

const TICK = 250; // ms
const URGENT = 10_000; // ms: the last seconds are shown as urgent
const LATE = 2000; // ms: a frame without a deadline this close to the end means the timer ran out

export class Countdown {
  /** @param {HTMLElement} element  holds .countdown-time; @param {import("../common.js").Texts} texts */
  constructor(element, texts) {
    this.element = element;
    this.time = element.querySelector(".countdown-time");
    this.texts = texts;
    this.question = null;
    this.endsAt = null; // performance.now() when the time is up
    this.over = false;
    this.timer = 0;
    this.synced = ""; // the frame the time left was last taken from
  }

  /** @returns {boolean} whether the countdown appeared or disappeared (the question's width changed) */
  update(frame) {
    const wasShown = !this.element.hidden;
    const question = frame.question ? frame.question.id : null;
    const now = performance.now();
    if (question !== this.question) {
      this.question = question;
      this.endsAt = null;
      this.over = false;
    }
    if (typeof frame.remaining_ms === "number" && frame.deadline) {
      // Only a frame that just arrived knows the time left (the page redraws an old one after a key press).
      const arrival = `${frame.epoch}:${frame.seq}:${frame.deadline}:${frame.remaining_ms}`;
      if (arrival !== this.synced) {
        this.synced = arrival;
        this.endsAt = now + frame.remaining_ms;
        this.over = false;
      }
    } else if (this.endsAt !== null) {
      this.over = !frame.voting_open && this.endsAt - now < LATE;
      this.endsAt = null;
    } else if (frame.voting_open) {
      this.over = false;
    }
    this.draw();
    return wasShown !== !this.element.hidden;
  }

  draw() {
    clearTimeout(this.timer);
    const left = this.endsAt === null ? null : this.endsAt - performance.now();
    if (left !== null && left <= 0) {
      this.endsAt = null;
      this.over = true;
    }
    const running = this.endsAt !== null;
    this.element.hidden = !running && !this.over;
    this.element.classList.toggle("over", this.over);
    this.element.classList.toggle("urgent", running && left <= URGENT);
    if (running) {
      const seconds = Math.ceil(left / 1000);
      const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
      if (this.time.textContent !== text) this.time.textContent = text;
      this.element.setAttribute("aria-label", this.texts.t("time_left", { time: text }));
      this.timer = setTimeout(() => this.draw(), Math.min(TICK, left % 1000 || TICK));
    } else if (this.over) {
      this.time.textContent = this.texts.t("times_up");
      this.element.removeAttribute("aria-label");
    }
  }
}
