// The participant page's Q&A tab: ask (a character counter, an optional name remembered per session), the
// audience's questions sorted popular or recent, one-tap upvotes (aria-pressed) that a second tap withdraws,
// own questions marked and own pending ones shown as waiting for approval. It follows the socket's `qa` and
// `qa_mine` frames, or the API's list while the page polls. Without JavaScript the same forms post to
// /{code}/qa and /{code}/qa/{id}/upvote (livepoll/web/pages_qa.py).

import { el } from "./ballot-parts.js";
import { getJSON, postJSON } from "./common.js";

const POPULAR = "popular";
const RECENT = "recent";

function nameKey(code) {
  return `livepoll:qa-name:${code}`;
}

function remembered(code) {
  try {
    return localStorage.getItem(nameKey(code));
  } catch {
    return null; // storage blocked: the server's prefill stays
  }
}

function remember(code, name) {
  try {
    if (name) localStorage.setItem(nameKey(code), name);
    else localStorage.removeItem(nameKey(code));
  } catch {
    /* storage blocked: nothing to remember */
  }
}

/** Pinned first, then by upvotes, then newest (the server's order); `recent`: newest first. */
function ordered(questions, sort) {
  const newer = (a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? -1 : 1);
  const list = [...questions];
  if (sort === RECENT) return list.sort(newer);
  return list.sort((a, b) => (b.status === "pinned") - (a.status === "pinned") || b.upvotes - a.upvotes || newer(a, b));
}

export class QaPhone {
  /**
   * @param {string} code  the session's join code
   * @param {object} config  the page's `qa` config (pages_qa.qa_config)
   * @param {import("./common.js").Texts} texts
   * @param {{announce: (text: string) => void, onSort: (sort: string) => void}} hooks
   */
  constructor(code, config, texts, hooks) {
    this.code = code;
    this.texts = texts;
    this.hooks = hooks;
    this.open = config.open;
    this.sort = config.sort === RECENT ? RECENT : POPULAR;
    this.limit = config.limit;
    this.maxText = config.max_text;
    this.questions = config.questions.map(({ mine, upvoted, ...q }) => q);
    this.mine = new Set(config.questions.filter((q) => q.mine).map((q) => q.id));
    this.upvoted = new Set(config.questions.filter((q) => q.upvoted).map((q) => q.id));
    /** own questions the audience does not see yet: id -> {id, text, name} */
    this.waiting = new Map(config.waiting.map((q) => [q.id, { id: q.id, text: q.text, name: q.name }]));
    for (const id of this.waiting.keys()) this.mine.add(id);
    /** question ids whose upvote is on its way */
    this.busy = new Set();
    this.asking = false;

    this.panel = document.getElementById("qa-panel");
    this.list = document.getElementById("qa-list");
    this.empty = document.getElementById("qa-empty");
    this.waitingSection = document.getElementById("qa-waiting-section");
    this.waitingList = document.getElementById("qa-waiting");
    this.form = document.getElementById("qa-form");
    this.fieldset = document.getElementById("qa-fieldset");
    this.textField = document.getElementById("qa-text");
    this.nameField = document.getElementById("qa-name");
    this.counter = document.getElementById("qa-text-count");
    this.status = document.getElementById("qa-status");
    this.askButton = document.getElementById("qa-ask");

    const name = remembered(code);
    if (name !== null) this.nameField.value = name;
    this.textField.addEventListener("input", () => this.count());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask();
    });
    this.list.addEventListener("submit", (event) => {
      const item = event.target.closest(".qa-item");
      if (!item) return;
      event.preventDefault();
      this.toggle(item.dataset.id);
    });
    document.getElementById("qa-sort").addEventListener("click", (event) => {
      const link = event.target.closest("a[data-sort]");
      if (!link) return;
      event.preventDefault();
      this.sort = link.dataset.sort === RECENT ? RECENT : POPULAR;
      this.form.querySelector('input[name="sort"]').value = this.sort;
      this.hooks.onSort(this.sort);
      this.render();
    });
    this.count();
    this.render();
  }

  count() {
    const count = this.textField.value.length;
    this.counter.textContent = this.texts.t("chars", { count: this.texts.number(count), max: this.texts.number(this.maxText) });
  }

  // Frames ----------------------------------------------------------------------------------------------

  /** The socket's `qa` frame: what the audience sees now. */
  applyFrame(frame) {
    this.opened(Boolean(frame.open));
    this.questions = frame.questions;
    for (const q of frame.questions) this.waiting.delete(q.id); // approved
    this.render();
  }

  /** The socket's `qa_mine` frame: the participant's own questions and upvotes, on connect. */
  applyMine(frame) {
    this.mine = new Set([...frame.asked, ...this.waiting.keys()]);
    this.upvoted = new Set(frame.upvoted);
    this.render();
  }

  /** `qa_open` of a `state` frame (or of the session while polling). */
  setOpen(open) {
    if (typeof open !== "boolean" || open === this.open) return;
    this.opened(open);
    this.render();
  }

  /** Asking opened or closed: the status line says so (closing replaces an older message). */
  opened(open) {
    if (open === this.open) return;
    this.open = open;
    if (!open) this.say("closed", this.texts.t("qa_closed_note"));
    else if (this.status.querySelector(".closed")) this.say(null, "");
  }

  /** While the socket is down: the API's list (with `mine` and `upvoted`). */
  async poll() {
    const reply = await getJSON(`/api/v1/sessions/${this.code}/qa`);
    if (!reply.ok || !Array.isArray(reply.data)) return;
    for (const q of reply.data) {
      if (q.mine) this.mine.add(q.id);
      if (q.upvoted) this.upvoted.add(q.id);
      else if (!this.busy.has(q.id)) this.upvoted.delete(q.id);
    }
    this.applyFrame({ open: this.open, questions: reply.data.map(({ mine, upvoted, ...q }) => q) });
  }

  // Asking and upvoting ---------------------------------------------------------------------------------

  say(className, text) {
    this.status.replaceChildren(...(text ? [el("p", { className }, text)] : []));
  }

  errorText(error) {
    if (error === "limit_reached") return this.texts.t("qa_error_limit_reached", { num: this.texts.number(this.limit) });
    const key = `qa_error_${error}`;
    return key in this.texts.strings ? this.texts.t(key) : this.texts.t("qa_error_generic");
  }

  async ask() {
    if (this.asking || !this.open) return;
    const text = this.textField.value.replace(/\s+/g, " ").trim();
    if (!text) {
      this.say("error", this.errorText("empty_entry"));
      this.textField.focus();
      return;
    }
    const name = this.nameField.value.trim();
    this.asking = true;
    this.askButton.disabled = true;
    this.say("pending", this.texts.t("qa_asking"));
    const body = name ? { text, name } : { text };
    let reply = await postJSON(`/api/v1/sessions/${this.code}/qa`, body);
    if (reply.status === 401) reply = await postJSON(`/api/v1/sessions/${this.code}/qa`, body); // a fresh cookie came with it
    this.asking = false;
    this.askButton.disabled = false;
    if (reply.ok && reply.data) {
      const { id, status } = reply.data;
      this.mine.add(id);
      if (status === "pending" && !this.questions.some((q) => q.id === id)) this.waiting.set(id, { id, text, name });
      remember(this.code, name);
      this.textField.value = "";
      this.count();
      const said = this.texts.t(status === "pending" ? "qa_asked_pending" : "qa_asked");
      this.say("success", said);
      this.hooks.announce(said);
      this.render();
      return;
    }
    const error = reply.network || reply.status >= 500 ? "unavailable" : (reply.data && reply.data.error) || "generic";
    this.say("error", this.errorText(error));
    if (error === "qa_closed") {
      this.open = false;
      this.render();
    }
  }

  async toggle(id) {
    if (this.busy.has(id)) return;
    const on = !this.upvoted.has(id);
    this.busy.add(id);
    if (on) this.upvoted.add(id); // the pressed state shows at once; the count comes from the server
    else this.upvoted.delete(id);
    this.render();
    let reply;
    try {
      const response = await fetch(`/api/v1/sessions/${this.code}/qa/${encodeURIComponent(id)}/upvote`, {
        method: on ? "POST" : "DELETE",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: on ? "{}" : undefined,
      });
      reply = { ok: response.ok, status: response.status, data: await response.json().catch(() => null) };
    } catch {
      reply = { ok: false, status: 0, data: null, network: true };
    }
    this.busy.delete(id);
    const question = this.questions.find((q) => q.id === id);
    if (reply.ok && reply.data && typeof reply.data.upvotes === "number") {
      if (question) question.upvotes = reply.data.upvotes;
      if (this.status.querySelector(".error")) this.say(null, "");
    } else {
      if (on) this.upvoted.delete(id);
      else this.upvoted.add(id);
      const error = reply.network || reply.status >= 500 ? "unavailable" : (reply.data && reply.data.error) || "generic";
      this.say("error", this.errorText(error));
    }
    this.render();
  }

  // Drawing ---------------------------------------------------------------------------------------------

  item(q) {
    const upvoted = this.upvoted.has(q.id);
    const meta = el("p", { className: "qa-meta" });
    if (q.name) meta.append(el("span", { className: "qa-name user-text" }, q.name));
    if (this.mine.has(q.id)) meta.append(el("span", { className: "badge qa-own" }, this.texts.t("qa_mine")));
    if (q.status === "pinned") meta.append(el("span", { className: "badge qa-pinned" }, this.texts.t("qa_pinned")));
    else if (q.status === "answered") meta.append(el("span", { className: "badge qa-answered" }, this.texts.t("qa_answered")));
    const button = el("button", {
      type: "submit",
      className: "button upvote",
      attrs: { "aria-pressed": String(upvoted), "aria-describedby": `qa-text-${q.id} qa-count-${q.id}` },
    }, el("span", { className: "upvote-mark", attrs: { "aria-hidden": "true" } }), this.texts.t("qa_upvote_button"));
    button.disabled = this.busy.has(q.id);
    const form = el("form", { className: "qa-upvote", method: "post", action: `/${this.code}/qa/${encodeURIComponent(q.id)}/upvote` },
      el("input", { type: "hidden", name: "sort", value: this.sort }),
      el("input", { type: "hidden", name: "on", value: upvoted ? "0" : "1" }),
      button,
      el("span", { className: "qa-count", id: `qa-count-${q.id}` }, this.texts.t("qa_upvotes", { num: this.texts.number(q.upvotes) })));
    return el("li", { className: `qa-item status-${q.status}${this.mine.has(q.id) ? " mine" : ""}`, id: `qa-${q.id}`, data: { id: q.id, key: JSON.stringify([q, upvoted, this.mine.has(q.id), this.busy.has(q.id), this.sort]) } },
      el("p", { className: "qa-text user-text", id: `qa-text-${q.id}` }, q.text), meta, form);
  }

  render() {
    this.fieldset.disabled = !this.open;

    // The list is updated item by item, so the upvote button in focus keeps the focus.
    const focused = this.list.contains(document.activeElement) ? document.activeElement.closest(".qa-item")?.dataset.id : null;
    const existing = new Map([...this.list.children].map((li) => [li.dataset.id, li]));
    const wanted = ordered(this.questions, this.sort).map((q) => {
      const key = JSON.stringify([q, this.upvoted.has(q.id), this.mine.has(q.id), this.busy.has(q.id), this.sort]);
      const old = existing.get(q.id);
      if (old && old.dataset.key === key) return old;
      const fresh = this.item(q);
      if (old) old.replaceWith(fresh);
      return fresh;
    });
    const same = wanted.length === this.list.children.length && wanted.every((li, n) => this.list.children[n] === li);
    if (!same) this.list.replaceChildren(...wanted);
    if (focused) document.getElementById(`qa-${focused}`)?.querySelector("button")?.focus();
    this.empty.hidden = wanted.length > 0;

    const waiting = [...this.waiting.values()];
    this.waitingSection.hidden = waiting.length === 0;
    this.waitingList.replaceChildren(...waiting.map((q) => el("li", { className: "qa-item status-pending mine", id: `qa-${q.id}`, data: { id: q.id } },
      el("p", { className: "qa-text user-text" }, q.text),
      el("p", { className: "qa-meta" }, ...(q.name ? [el("span", { className: "qa-name user-text" }, q.name)] : []),
        el("span", { className: "badge qa-wait" }, this.texts.t("qa_waiting"))))));

    for (const link of document.querySelectorAll("#qa-sort a[data-sort]")) {
      if (link.dataset.sort === this.sort) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
  }
}
