// The control panel's Q&A column with JavaScript: the lists follow the host socket's `qa` frames (pending
// first, then the popular order), each moderation button is sent to the JSON API instead of posting the
// page, and a selected question takes keys: A approves, P pins or unpins, D marks it answered, H hides,
// R restores (↑ and ↓ move between items: host-keys.js). Rows come from the server's own <template>.

import { postJSON, setNotice } from "./common.js";
import { fromTemplate, setText, shorten, syncList } from "./host-lists.js";
import { localClock } from "./host-time.js";

const KEYS = { a: ["approve"], p: ["pin", "unpin"], d: ["answered"], h: ["hide"], r: ["restore"] };
const PUBLIC = new Set(["visible", "pinned", "answered"]);

const $ = (id) => document.getElementById(id);

function groupOf(question) {
  if (question.status === "pending") return "pending";
  if (PUBLIC.has(question.status)) return "listed";
  return question.blocked ? "blocked" : "hidden";
}

export class QaColumn {
  constructor(code, texts, showStatus) {
    this.code = code;
    this.texts = texts;
    this.showStatus = showStatus;
    this.card = $("qa");
    if (!this.card) return;
    this.card.addEventListener("submit", (event) => this.submit(event));
    this.card.addEventListener("keydown", (event) => this.key(event));
  }

  /** A `qa` frame of the host socket: every question, pending first. */
  render(frame) {
    if (!this.card) return;
    const groups = { pending: [], listed: [], hidden: [], blocked: [] };
    for (const question of frame.questions) groups[groupOf(question)].push(question);
    const focus = this.focusPlan();
    for (const [name, items] of Object.entries(groups)) {
      syncList($(`qa-${name}`), items, {
        id: (q) => q.id,
        create: () => fromTemplate("tpl-qa"),
        update: (row, q) => this.update(row, q),
      });
    }
    focus();
    const pending = frame.pending ?? groups.pending.length;
    setText($("qa-counts"), `${this.texts.n("qa_pending", pending)} · ${this.texts.n("qa_visible", groups.listed.length)}`);
    this.showOpen(frame.open);
  }

  /**
   * Where focus goes when the focused question leaves its list (approved, hidden): to its neighbour in the
   * list it left, so the host can go on down the pending questions; else to the question in its new list.
   */
  focusPlan() {
    const item = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".qa-item") : null;
    if (!item || !this.card.contains(item)) return () => {};
    const id = item.dataset.item;
    const neighbours = [item.nextElementSibling, item.previousElementSibling].filter(Boolean).map((row) => row.dataset.item);
    const list = item.parentElement;
    return () => {
      if (item.isConnected && item.parentElement === list) return;
      const stayed = neighbours.map((other) => list.querySelector(`.qa-item[data-item="${CSS.escape(other)}"]`)).find(Boolean);
      const moved = this.card.querySelector(`.qa-item[data-item="${CSS.escape(id)}"]`);
      const target = stayed || moved;
      if (target) target.focus();
    };
  }

  update(row, q) {
    row.dataset.status = q.status;
    setText(row.querySelector(".qa-text"), q.text);
    setText(row.querySelector(".qa-name"), q.name || this.texts.t("qa_anonymous"));
    setText(row.querySelector(".qa-upvotes"), this.texts.n("qa_upvotes", q.upvotes));
    const time = row.querySelector(".qa-time");
    if (time.getAttribute("datetime") !== q.created_at || !time.dataset.local) {
      time.setAttribute("datetime", q.created_at);
      time.textContent = localClock(this.texts.lang, q.created_at);
      time.dataset.local = "1";
    }
    setText(row.querySelector(".qa-status"), this.texts.t(`qa_status_${q.status}`));
    row.querySelector(".qa-blocked").hidden = !q.blocked;
    setText(row.querySelector(".qa-participant"), q.participant || "");
    for (const form of row.querySelectorAll("form.qa-form")) {
      const action = `/host/${this.code}/qa/${encodeURIComponent(q.id)}`;
      if (form.getAttribute("action") !== action) form.setAttribute("action", action);
      form.hidden = !form.dataset.when.split(" ").includes(q.status);
      setText(form.querySelector(".qa-target"), ` – ${shorten(q.text)}`);
    }
  }

  showOpen(open) {
    setText($("qa-state-open"), open ? this.texts.t("qa_open") : this.texts.t("qa_closed"));
    for (const form of this.card.querySelectorAll('form.control-form[data-action="qa_close"]')) form.hidden = !open;
    for (const form of this.card.querySelectorAll('form.control-form[data-action="qa_open"]')) form.hidden = open;
  }

  /** A results frame: whether the presenter shows the Q&A (`qa_visible`). */
  showScreen(frame) {
    if (!this.card || frame.qa_visible === null || frame.qa_visible === undefined) return;
    setText($("qa-state-screen"), frame.qa_visible ? this.texts.t("qa_on_screen") : this.texts.t("qa_off_screen"));
    for (const form of this.card.querySelectorAll('form.control-form[data-action="show_qa"]')) form.hidden = frame.qa_visible;
    for (const form of this.card.querySelectorAll('form.control-form[data-action="hide_qa"]')) form.hidden = !frame.qa_visible;
  }

  async submit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("qa-form")) return;
    event.preventDefault();
    const item = form.closest(".qa-item");
    const hadFocus = item.contains(document.activeElement);
    const button = form.querySelector("button");
    button.disabled = true;
    const reply = await postJSON(`/api/v1/sessions/${this.code}/qa/${encodeURIComponent(item.dataset.item)}/control`,
      { action: form.dataset.qa });
    button.disabled = false;
    if (reply.ok) {
      setNotice($("panel-status"), "");
      // The socket's next frame moves the row; focus stays on the question, wherever it goes.
      if (hadFocus) item.focus();
    } else {
      const reason = reply.network ? this.texts.t("network_error") : (reply.data && reply.data.message) || String(reply.status);
      this.showStatus(this.texts.t("qa_failed", { reason }), "error");
    }
  }

  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const item = event.target instanceof Element ? event.target.closest(".qa-item") : null;
    if (!item || event.target !== item) return;
    const actions = KEYS[event.key.toLowerCase()];
    if (!actions) return;
    const form = [...item.querySelectorAll("form.qa-form")].find((f) => actions.includes(f.dataset.qa) && !f.hidden);
    if (!form) return;
    event.preventDefault();
    form.requestSubmit();
  }
}
