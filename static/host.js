// The host control panel: the control buttons call the JSON API (the forms also work without
// JavaScript), a live results preview comes from the presenter WebSocket, and links can be copied.

import { postJSON, readConfig, setNotice, Texts } from "./common.js";
import { renderBars } from "./chart.js";
import { CLOSE_FORBIDDEN, CLOSE_GONE, CLOSE_NOT_FOUND, LiveSocket, newestFrames } from "./live-socket.js";

const config = readConfig();
const texts = new Texts(config);
const code = config.code;

const $ = (id) => document.getElementById(id);
const status = $("panel-status");
const previewQuestion = $("preview-question");
const previewVoters = $("preview-voters");
const previewChart = $("preview-chart");
const barTemplate = $("tpl-bar");

let current = config.initial;

function showStatus(text, kind = "") {
  status.className = `notice ${kind}`.trim();
  setNotice(status, text);
}

function showForms(action, visible) {
  for (const form of document.querySelectorAll(`form.control-form[data-action="${action}"]`)) form.hidden = !visible;
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
  const currentId = state.current ?? (state.question ? state.question.id : null);
  for (const item of document.querySelectorAll(".question-item")) {
    const isCurrent = item.dataset.question === currentId;
    item.classList.toggle("current", isCurrent);
    item.querySelector(".current-mark").hidden = !isCurrent;
    const goto = item.querySelector('form[data-action="goto"] button');
    if (isCurrent) goto.setAttribute("aria-current", "true");
    else goto.removeAttribute("aria-current");
  }
}

function renderResults(message) {
  const question = message.question;
  previewQuestion.textContent = question ? question.text : texts.t("no_question");
  previewVoters.textContent = texts.n("voters", message.voters || 0);
  if (question) renderBars(previewChart, barTemplate, question.id, question.options, message.voters, texts);
  else previewChart.replaceChildren();
  $("state-connection").textContent =
    message.participants === null || message.participants === undefined
      ? texts.t("participants_unknown")
      : texts.n("participants", message.participants);
  renderState(message);
}

// Controls ---------------------------------------------------------------------------------------------

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("control-form")) return;
  event.preventDefault();
  const body = { action: form.dataset.action };
  if (form.dataset.question) body.question = form.dataset.question;
  const button = form.querySelector("button");
  button.disabled = true;
  const reply = await postJSON(`/api/v1/sessions/${code}/control`, body);
  button.disabled = false;
  if (reply.ok && reply.data) {
    showStatus("");
    if (reply.data.links) {
      // A new host key: the old links no longer work; show the new ones (the cookie already changed).
      const hostLink = document.getElementById("host-link");
      const presentLink = document.getElementById("present-link");
      if (hostLink) hostLink.value = reply.data.links.host;
      if (presentLink) presentLink.value = reply.data.links.present;
      showStatus(texts.t("key_rotated"), "success");
    }
    const { links, host_key: _key, ...state } = reply.data;
    current = { ...current, ...state };
    renderState(current);
    const details = form.closest("details");
    if (details) details.open = false;
  } else {
    const reason = reply.network ? texts.t("network_error") : (reply.data && reply.data.message) || String(reply.status);
    showStatus(texts.t("control_failed", { reason }), "error");
  }
});

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

// Live preview -----------------------------------------------------------------------------------------

const socket = new LiveSocket(`/ws/v1/sessions/${code}/presenter`, {
  onMessage: newestFrames("results", (message) => {
    current = message;
    renderResults(message);
  }),
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

renderResults(current);
socket.start();
