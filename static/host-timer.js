// The control panel's countdown: frames carry `remaining_ms` (counted from when the frame arrives) while a
// timer runs; at zero the server closes voting by itself and the next frame says so.

const TICK = 250;

function clock(milliseconds) {
  const seconds = Math.ceil(Math.max(0, milliseconds) / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

export class Countdown {
  constructor(element, texts) {
    this.element = element;
    this.texts = texts;
    this.endsAt = null;
    this.timer = null;
  }

  update(frame) {
    const running = frame.remaining_ms !== undefined && frame.remaining_ms !== null && frame.voting_open;
    if (running) {
      this.endsAt = performance.now() + frame.remaining_ms;
      if (this.timer === null) this.timer = setInterval(() => this.tick(), TICK);
      this.tick();
    } else {
      // The timer ran out (voting closed by itself) or the host stopped it: say which.
      const ranOut = this.endsAt !== null && performance.now() >= this.endsAt - 2 * TICK && !frame.voting_open;
      this.stop();
      if (ranOut) this.show(this.texts.t("time_up"));
      else if (frame.voting_open || this.element.textContent !== this.texts.t("time_up")) this.show("");
    }
  }

  tick() {
    const left = this.endsAt - performance.now();
    this.show(left > 0 ? this.texts.t("timer_running", { time: clock(left) }) : this.texts.t("time_up"));
  }

  stop() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.endsAt = null;
  }

  show(text) {
    if (this.element.textContent !== text) this.element.textContent = text;
    this.element.hidden = !text;
  }
}
