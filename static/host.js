// The host control panel: every button is a form that also works without JavaScript; here each one is
// sent to the JSON API instead. The live state and the current question's view come from the presenter
// WebSocket's host audience (`?view=host`: the frame with what only the host may see); links can be copied.

import { postJSON, readConfig, setNotice, Texts } from "./common.js";
import { moderationKeys, planFocus } from "./host-keys.js";
import { setControl } from "./host-lists.js";
import { Preview } from "./host-preview.js";
import { QaColumn } from "./host-qa.js";
import { Leaderboard } from "./host-quiz.js";
import { Countdown } from "./host-timer.js";
import { CLOSE_FORBIDDEN, CLOSE_GONE, CLOSE_NOT_FOUND, LiveSocket, newestFrames } from "./live-socket.js";

const config = readConfig();
const texts = new Texts(config);
const code = config.code;
const questionIds = config.questions.map((question) => question.id);

const $ = (id) => document.getElementById(id);
const status = $("panel-status");
const preview = new Preview(texts, config.max_listed);
const countdown = new Countdown($("timer"), texts);
const leaderboard = new Leaderboard(code, texts, (text) => showStatus(text, "error"));
const qaColumn = new QaColumn(code, texts, (text, kind) => showStatus(text, kind));
for (const id of config.revealed || []) preview.revealed.add(id);

let current = config.initial;

function showStatus(text, kind = "") {
  status.className = `notice ${kind}`.trim();
  setNotice(status, text);
}

function showForms(hook, visible) {
  for (const form of document.querySelectorAll(`form.control-form[data-action="${hook}"]`)) form.hidden = !visible;
}

function currentId(state) {
  if (state.current !== undefined) return state.current;
  return state.question ? state.question.id : null;
}

function renderNavigation(id) {
  const index = questionIds.indexOf(id);
  const previous = index > 0 ? questionIds[index - 1] : null;
  const next = index < 0 ? questionIds[0] ?? null : questionIds[index + 1] ?? null;
  for (const [hook, target] of [["previous", previous], ["next", next]]) {
    const form = document.querySelector(`form.control-form[data-action="${hook}"]`);
    if (target) setControl(form, { question: target });
    form.hidden = !target;
  }
  $("question-position").textContent = index < 0
    ? texts.t("no_question")
    : texts.t("position", { num: index + 1, total: questionIds.length });
  for (const item of document.querySelectorAll(".question-item")) {
    const isCurrent = item.dataset.question === id;
    item.classList.toggle("current", isCurrent);
    item.querySelector(".current-mark").hidden = !isCurrent;
    item.querySelector('form[data-action="goto"]').hidden = isCurrent;
  }
}

function renderState(state) {
  $("state-voting").textContent = state.voting_open ? texts.t("voting_open") : texts.t("voting_closed");
  $("state-results").textContent = state.results_visible ? texts.t("results_shown") : texts.t("results_hidden_screen");
  $("state-phones").textContent = state.results_on_phones ? texts.t("phones_shown") : texts.t("phones_hidden");
  showForms("close", state.voting_open);
  showForms("open", !state.voting_open);
  showForms("hide_results", state.results_visible);
  showForms("show_results", !state.results_visible);
  showForms("hide_on_phones", state.results_on_phones);
  showForms("show_on_phones", !state.results_on_phones);
  if (state.clean_screen !== undefined) {
    showForms("clean_screen", !state.clean_screen);
    showForms("full_screen", state.clean_screen);
  }
  $("phones-warning").hidden = !(state.results_on_phones && !state.results_visible);
  renderNavigation(currentId(state));
}

function renderFrame(frame) {
  preview.render(frame);
  // The questions were edited meanwhile (the editor, the API): the lists of this page need a reload.
  const count = frame.question_count;
  const known = !frame.question || questionIds.includes(frame.question.id);
  if ((count !== undefined && count !== null && count !== questionIds.length) || !known) {
    showStatus(texts.t("questions_changed"), "warning");
  }
  $("state-connection").textContent =
    frame.participants === null || frame.participants === undefined
      ? texts.t("participants_unknown")
      : texts.n("participants", frame.participants);
  showForms("stop_timer", frame.remaining_ms !== undefined && frame.remaining_ms !== null && frame.voting_open);
  countdown.update(frame);
  leaderboard.update(frame);
  qaColumn.showScreen(frame);
  renderState(frame);
}

// Controls ---------------------------------------------------------------------------------------------

function bodyOf(form) {
  const fields = new FormData(form);
  const body = { action: fields.get("action") };
  for (const name of ["question", "key", "entry"]) if (fields.get(name)) body[name] = fields.get(name);
  if (fields.get("seconds")) body.seconds = Number(fields.get("seconds"));
  return body;
}

// What a control changes that its answer does not carry (the socket's next frame says it too).
const SCREEN_ACTIONS = {
  clean_screen: { clean_screen: true },
  full_screen: { clean_screen: false },
  show_qa: { qa_visible: true },
  hide_qa: { qa_visible: false },
};

function afterControl(form, body, data) {
  if (data.links) {
    // A new host key: the old links no longer work; show the new ones (the cookie already changed).
    const hostLink = $("host-link");
    const presentLink = $("present-link");
    if (hostLink) hostLink.value = data.links.host;
    if (presentLink) presentLink.value = data.links.present;
    showStatus(texts.t("key_rotated"), "success");
  }
  if (body.action === "reveal") preview.revealed.add(body.question);
  if (["reveal", "reset", "show_leaderboard"].includes(body.action)) leaderboard.refresh();
  if (body.action === "show_leaderboard" || body.action === "hide_leaderboard") {
    current = { ...current, leaderboard: body.action === "show_leaderboard" ? current.leaderboard || [] : undefined };
  }
  const { links, host_key: _key, code: _code, ...state } = data;
  current = { ...current, ...state, ...(SCREEN_ACTIONS[body.action] || {}) };
  if (body.action === "qa_open" || body.action === "qa_close") qaColumn.showOpen(body.action === "qa_open");
  renderFrame(current);
  const details = form.closest("details");
  if (details) details.open = false;
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("control-form")) return;
  event.preventDefault();
  const body = bodyOf(form);
  const button = form.querySelector("button");
  const hadFocus = form.contains(document.activeElement);
  const refocus = planFocus(form);
  button.disabled = true;
  const reply = await postJSON(`/api/v1/sessions/${code}/control`, body);
  button.disabled = false;
  if (reply.ok && reply.data) {
    showStatus("");
    afterControl(form, body, reply.data);
    refocus();
    // A button that hid itself (Close voting → Open voting) hands focus to the one that took its place.
    if (hadFocus && form.hidden && !form.closest(".mod-item")) {
      const group = form.parentElement;
      const next = group && [...group.querySelectorAll("form.control-form")].find((other) => !other.hidden);
      if (next) next.querySelector("button").focus();
    }
  } else {
    const reason = reply.network ? texts.t("network_error") : (reply.data && reply.data.message) || String(reply.status);
    showStatus(texts.t("control_failed", { reason }), "error");
  }
});

moderationKeys();

// Copy buttons: the async clipboard needs a secure context (HTTPS or localhost); elsewhere select the text
// and use the older execCommand, and if that fails too, leave it selected for Ctrl+C.
async function copyFrom(input) {
  const text = input.value;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the selection-based copy
    }
  }
  input.focus();
  input.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", async () => {
    const input = $(button.dataset.copy);
    const ok = await copyFrom(input);
    if (!ok) {
      input.focus();
      input.select();
    }
    showStatus(ok ? texts.t("copied") : texts.t("copy_failed"), ok ? "success" : "error");
  });
}

// Live -------------------------------------------------------------------------------------------------

const results = newestFrames("results", (frame) => {
  current = frame;
  renderFrame(frame);
});
const socket = new LiveSocket(`/ws/v1/sessions/${code}/presenter?view=host`, {
  onMessage(message) {
    if (message.type === "qa") qaColumn.render(message);
    else results(message);
  },
  onStatus(state, detail) {
    if (state === "open") {
      if (status.textContent === texts.t("reconnecting")) showStatus("");
    } else if (state === "reconnecting" && socket.everOpened) {
      showStatus(texts.t("reconnecting"), "warning");
    } else if (state === "stopped") {
      const key = detail.code === CLOSE_FORBIDDEN ? "forbidden" : detail.code === CLOSE_NOT_FOUND || detail.code === CLOSE_GONE ? "session_gone" : "reconnecting";
      showStatus(texts.t(key), "error");
    }
  },
});

renderFrame(current);
socket.start();
