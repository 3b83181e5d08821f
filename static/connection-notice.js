// The participant page's connection banner: a problem shows after a short delay (a reconnect that finishes
// sooner shows nothing) or at once when it is sure; "connected again" shows briefly when it is over.

import { setNotice } from "./common.js";

const NOTICE_DELAY = 1500; // a reconnect that finishes sooner than this shows no banner
const AGAIN_FOR = 2500; // how long "connected again" stays

export class ConnectionNotice {
  constructor(element, texts) {
    this.element = element;
    this.texts = texts;
    this.timer = null;
    this.shown = false;
  }

  problem(text, { now = false } = {}) {
    clearTimeout(this.timer);
    const show = () => {
      this.shown = true;
      setNotice(this.element, text);
    };
    if (now || this.shown) show();
    else this.timer = setTimeout(show, NOTICE_DELAY);
  }

  fine() {
    clearTimeout(this.timer);
    if (!this.shown) return;
    this.shown = false;
    setNotice(this.element, this.texts.t("reconnected"));
    this.timer = setTimeout(() => setNotice(this.element, ""), AGAIN_FOR);
  }
}
