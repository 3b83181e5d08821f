// The quiz leaderboard card: whether the presenter shows it (frames carry `leaderboard` while it does) and
// the whole standings from GET .../leaderboard (host cookie), loaded again after a reveal or a reset, when
// the top of it on the screen changes, and on "Refresh".

import { getJSON } from "./common.js";
import { fromTemplate } from "./host-lists.js";

const $ = (id) => document.getElementById(id);

export class Leaderboard {
  constructor(code, texts, onError) {
    this.card = $("leaderboard-card");
    this.url = `/api/v1/sessions/${code}/leaderboard?lang=${encodeURIComponent(texts.lang)}`;
    this.texts = texts;
    this.onError = onError;
    this.top = null;
    this.loading = null;
    if (!this.card) return;
    const refresh = $("leaderboard-refresh");
    refresh.hidden = false;
    refresh.addEventListener("click", () => this.refresh());
  }

  /** The frame says whether the screen shows the leaderboard (and its top 10, which changes with a reveal). */
  update(frame) {
    if (!this.card) return;
    const shown = Array.isArray(frame.leaderboard);
    $("leaderboard-state").textContent = this.texts.t(shown ? "leaderboard_shown" : "leaderboard_hidden");
    for (const form of this.card.querySelectorAll("form.control-form")) {
      form.hidden = form.dataset.action === "show_leaderboard" ? shown : !shown;
    }
    const top = shown ? JSON.stringify(frame.leaderboard) : this.top;
    if (top !== this.top) {
      this.top = top;
      this.refresh();
    }
  }

  async refresh() {
    if (!this.card) return;
    if (this.loading) return this.loading;
    this.loading = (async () => {
      const reply = await getJSON(this.url);
      if (reply.ok && reply.data) this.render(reply.data.entries);
      else this.onError(this.texts.t("leaderboard_failed", {
        reason: reply.network ? this.texts.t("network_error") : (reply.data && reply.data.message) || String(reply.status),
      }));
    })();
    try {
      await this.loading;
    } finally {
      this.loading = null;
    }
  }

  render(entries) {
    const rows = entries.map((place) => {
      const row = fromTemplate("tpl-standing");
      const cells = row.querySelectorAll("td, th");
      [place.rank, place.name, place.score, place.correct].forEach((value, index) => {
        cells[index].textContent = typeof value === "number" ? this.texts.number(value) : value;
      });
      return row;
    });
    $("leaderboard-rows").replaceChildren(...rows);
    this.card.querySelector("table").hidden = rows.length === 0;
    $("leaderboard-empty").hidden = rows.length > 0;
  }
}
