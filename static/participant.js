// The participant page: follows the host live, votes over the WebSocket (or HTTP when it is down) and
// keeps a ballot until the server acknowledged it. Without JavaScript the same form posts to /{code}/vote.

import { getJSON, postJSON, randomRef, readConfig, setNotice, Texts } from "./common.js";
import { renderBars } from "./chart.js";
import { CLOSE_GONE, CLOSE_NOT_FOUND, LiveSocket } from "./live-socket.js";

const config = readConfig();
const texts = new Texts(config);
const code = config.code;

const area = document.getElementById("question-area");
const connection = document.getElementById("connection");
const announcer = document.getElementById("announcer");
const resultsSection = document.getElementById("phone-results");
const resultsVoters = document.getElementById("phone-voters");
const resultsChart = document.getElementById("phone-chart");
const optionTemplate = document.getElementById("tpl-option");
const barTemplate = document.getElementById("tpl-bar");

const ACK_TIMEOUT = 5000; // no ack over the socket in this time: send the same ballot over HTTP as well
const POLL_EVERY = 4000; // polling fallback period (plus up to 2 s of jitter)
const NOTICE_DELAY = 1500; // a reconnect that finishes sooner than this shows no banner
const FALLBACK_AFTER = 2; // handshakes that never opened before polling starts

let state = config.state; // {question, voting_open, results}
let epoch = config.epoch;
let seq = -1;
/** how many resets the host has made; a change means remembered ballots were discarded */
let resets = typeof config.resets === "number" ? config.resets : null;
let sessionOver = false;
/** question id -> {phase: "sending" | "offline" | "error" | "cleared", message?: string}: what this page is doing */
const local = new Map();
/**
 * question id -> this participant's ballot as the server stored it ({choices: [...]}), or null for none.
 * Only the server's word says "counted": an acknowledgement of our own ballot, the `ballot` frame the
 * server sends when we join or the question changes, or the `ballot` field of the session (polling).
 */
const counted = new Map();
/** the ballot not yet acknowledged: {question, choices, ref, timer, http, retries} */
let pending = null;

function learnBallot(questionId, ballot) {
  const before = counted.get(questionId);
  counted.set(questionId, ballot || null);
  const form = document.getElementById("vote-form");
  const busy = pending && pending.question === questionId;
  if (!form || form.dataset.question !== questionId || busy) return;
  const mine = local.get(questionId);
  if (mine && mine.phase === "error") return; // keep what the participant was correcting
  if (JSON.stringify(before ?? null) !== JSON.stringify(ballot ?? null)) showChoices(form, ballot);
}
function showChoices(form, ballot) {
  const chosen = ballot && Array.isArray(ballot.choices) ? ballot.choices : [];
  for (const input of form.querySelectorAll('input[name="choices"]')) input.checked = chosen.includes(input.value);
}
if (config.ballot) counted.set(config.ballot.question, config.ballot.ballot || null);

function announce(text) {
  if (!announcer) return;
  announcer.textContent = "";
  // a fresh text node after clearing makes screen readers read a repeated message again
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

// Rendering --------------------------------------------------------------------------------------------

function buildForm(question) {
  const form = document.createElement("form");
  form.id = "vote-form";
  form.className = "vote-form";
  form.method = "post";
  form.action = `/${code}/vote`;
  form.noValidate = true;
  form.dataset.question = question.id;

  const hidden = document.createElement("input");
  hidden.type = "hidden";
  hidden.name = "question";
  hidden.value = question.id;

  const fieldset = document.createElement("fieldset");
  const legend = document.createElement("legend");
  const legendText = document.createElement("span");
  legendText.className = "question-text";
  legendText.textContent = question.text;
  legend.append(legendText);
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.id = "choice-hint";
  hint.textContent = question.max_choices === 1 ? texts.t("choose_one") : texts.n("choose_up_to", question.max_choices);
  const list = document.createElement("ul");
  list.className = "options";
  const kind = question.max_choices === 1 ? "radio" : "checkbox";
  for (const option of question.options) {
    const item = optionTemplate.content.querySelector(".option").cloneNode(true);
    const input = item.querySelector("input");
    const label = item.querySelector("label");
    input.type = kind;
    input.value = option.id;
    input.id = `opt-${option.id}`;
    label.htmlFor = input.id;
    label.querySelector(".option-label").textContent = option.label;
    list.append(item);
  }
  fieldset.append(legend, hint, list);

  const status = document.createElement("div");
  status.id = "vote-status";
  status.className = "vote-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  const button = document.createElement("button");
  button.type = "submit";
  button.id = "vote-button";
  button.className = "button primary vote-button";

  form.append(hidden, fieldset, status, button);
  showChoices(form, counted.get(question.id));
  return form;
}

function statusLine(question) {
  const mine = local.get(question.id);
  const isCounted = Boolean(counted.get(question.id));
  if (sessionOver) return ["error", texts.t("session_gone")];
  if (mine && mine.phase === "error") return ["error", mine.message];
  if (mine && mine.phase === "sending") return ["pending", texts.t("sending")];
  if (mine && mine.phase === "offline") return ["pending", texts.t("saved_offline")];
  if (mine && mine.phase === "cleared" && !isCounted) {
    return ["cleared", state.voting_open ? texts.t("votes_cleared") : `${texts.t("votes_cleared")} ${texts.t("voting_closed")}`];
  }
  if (!state.voting_open) {
    return isCounted ? ["closed", `${texts.t("counted")} ${texts.t("voting_closed")}`] : ["closed", texts.t("voting_closed")];
  }
  if (isCounted) {
    return ["success", question.allow_change ? texts.t("counted_can_change") : texts.t("counted_final")];
  }
  return [null, ""];
}

function render({ announceQuestion = false } = {}) {
  const question = state.question;
  let form = document.getElementById("vote-form");
  if (!question) {
    if (form || !document.getElementById("waiting")) {
      const waiting = document.createElement("p");
      waiting.className = "waiting";
      waiting.id = "waiting";
      waiting.textContent = sessionOver ? texts.t("session_gone") : texts.t("waiting");
      area.replaceChildren(waiting);
    }
  } else {
    const hadFocus = form !== null && form.contains(document.activeElement);
    if (!form || form.dataset.question !== question.id) {
      form = buildForm(question);
      area.replaceChildren(form);
      if (announceQuestion) announce(texts.t("new_question", { text: question.text }));
      if (hadFocus) {
        const first = form.querySelector('input[name="choices"]');
        if (first) first.focus();
      }
    }
    const mine = local.get(question.id);
    const isCounted = Boolean(counted.get(question.id));
    const locked = sessionOver || !state.voting_open || (isCounted && !question.allow_change);
    form.querySelector("fieldset").disabled = locked;
    const button = form.querySelector("#vote-button");
    button.hidden = locked;
    button.disabled = Boolean(mine && (mine.phase === "sending" || mine.phase === "offline"));
    button.textContent = isCounted ? texts.t("change_vote") : texts.t("vote");
    const [kind, text] = statusLine(question);
    const status = form.querySelector("#vote-status");
    const line = status.firstElementChild;
    if (!text) {
      status.replaceChildren();
    } else if (!line || line.textContent !== text || line.className !== kind) {
      const paragraph = document.createElement("p");
      paragraph.className = kind;
      paragraph.textContent = text;
      status.replaceChildren(paragraph);
    }
  }
  renderResults();
}

function renderResults() {
  const question = state.question;
  const results = state.results;
  if (!question || !results) {
    resultsSection.hidden = true;
    return;
  }
  const labels = new Map(question.options.map((option) => [option.id, option.label]));
  const rows = results.options.map((option) => ({ id: option.id, label: labels.get(option.id) ?? option.id, votes: option.votes }));
  renderBars(resultsChart, barTemplate, question.id, rows, results.voters, texts);
  resultsVoters.textContent = texts.n("voters", results.voters);
  resultsSection.hidden = false;
}

// Voting -----------------------------------------------------------------------------------------------

function chosenOptions(form) {
  return [...form.querySelectorAll('input[name="choices"]:checked')].map((input) => input.value);
}

function errorMessage(error, question) {
  if (error === "too_many_choices") return texts.n("too_many", question ? question.max_choices : 1);
  const key = `error_${error}`;
  return key in texts.strings ? texts.t(key) : texts.t("error_generic");
}

function castVote(form) {
  const question = state.question;
  if (!question || form.dataset.question !== question.id) return;
  const choices = chosenOptions(form);
  if (choices.length === 0) {
    local.set(question.id, { phase: "error", message: texts.t("error_invalid_ballot") });
    render();
    return;
  }
  if (pending) clearTimeout(pending.timer);
  pending = { question: question.id, choices, ref: randomRef(), timer: null, http: false, retries: 0 };
  local.set(question.id, { phase: "sending" });
  render();
  sendPending();
}

function sendPending() {
  const ballot = pending;
  if (!ballot) return;
  clearTimeout(ballot.timer);
  const sent = socket.send({ type: "vote", question: ballot.question, choices: ballot.choices, ref: ballot.ref });
  if (sent) {
    ballot.timer = setTimeout(() => sendOverHttp(ballot), ACK_TIMEOUT);
  } else {
    sendOverHttp(ballot);
  }
}

// The same ballot may travel both ways; the server counts an identical ballot once.
async function sendOverHttp(ballot) {
  if (pending !== ballot || ballot.http) return;
  ballot.http = true;
  const reply = await postJSON(`/api/v1/sessions/${code}/votes`, { question: ballot.question, choices: ballot.choices });
  ballot.http = false;
  if (pending !== ballot) return;
  if (reply.ok) {
    accepted(ballot);
  } else if (reply.network || reply.status >= 500 || reply.status === 401 || reply.status === 429) {
    // Not stored: keep it and try again (401 means our cookie was just (re)issued).
    local.set(ballot.question, { phase: reply.network ? "offline" : "sending" });
    render();
    ballot.retries += 1;
    const delay = Math.min(10000, 1000 * 2 ** Math.min(ballot.retries, 4)) * (0.5 + Math.random() / 2);
    ballot.timer = setTimeout(sendPending, delay);
  } else {
    refused(ballot, (reply.data && reply.data.error) || "generic");
  }
}

function accepted(ballot) {
  if (pending !== ballot) return;
  clearTimeout(ballot.timer);
  pending = null;
  counted.set(ballot.question, { choices: ballot.choices });
  local.delete(ballot.question);
  render();
}

function refused(ballot, error) {
  if (pending !== ballot) return;
  clearTimeout(ballot.timer);
  if (error === "unavailable") {
    ballot.retries += 1;
    ballot.timer = setTimeout(sendPending, Math.min(10000, 1000 * 2 ** Math.min(ballot.retries, 4)));
    return;
  }
  pending = null;
  const question = state.question && state.question.id === ballot.question ? state.question : null;
  local.set(ballot.question, { phase: "error", message: errorMessage(error, question) });
  render();
}

area.addEventListener("submit", (event) => {
  const form = event.target.closest("#vote-form");
  if (!form) return;
  event.preventDefault();
  castVote(form);
});

// At most `max_choices` boxes: a box checked past the limit is unchecked again and the limit is said.
area.addEventListener("change", (event) => {
  const input = event.target;
  const question = state.question;
  if (!question || input.name !== "choices") return;
  const form = input.form;
  if (input.type === "checkbox" && input.checked && chosenOptions(form).length > question.max_choices) {
    input.checked = false;
    local.set(question.id, { phase: "error", message: texts.n("too_many", question.max_choices) });
    render();
  } else if ((local.get(question.id) || {}).phase === "error") {
    local.delete(question.id);
    render();
  }
});

// Live state -------------------------------------------------------------------------------------------

function applyState(next, { fromSocket }) {
  if (fromSocket) {
    if (next.epoch === epoch && typeof next.seq === "number" && next.seq < seq) return; // stale frame
    epoch = next.epoch;
    seq = next.seq;
  }
  if (typeof next.resets === "number") {
    if (resets !== null && next.resets !== resets) {
      // The host cleared the votes of a question: what we knew as counted may be gone. The server's
      // `ballot` frame says what still counts; meanwhile a question we had voted on says it was cleared.
      for (const [id, ballot] of counted) {
        if (!ballot) continue;
        counted.delete(id);
        local.set(id, { phase: "cleared" });
        const form = document.getElementById("vote-form");
        if (form && form.dataset.question === id) showChoices(form, null);
      }
    }
    resets = next.resets;
  }
  const previous = state.question ? state.question.id : null;
  state = {
    question: next.question || null,
    voting_open: Boolean(next.voting_open),
    results: fromSocket ? next.results || null : state.question && next.question && state.question.id === next.question.id ? state.results : null,
  };
  render({ announceQuestion: (state.question ? state.question.id : null) !== previous });
}

// The server's word on our own ballot: sent when we join, and when the question, epoch or resets change.
function applyBallot(message) {
  if (message.epoch !== undefined && message.epoch !== epoch) return;
  if (typeof message.resets === "number" && resets !== null && message.resets !== resets) return;
  if (message.question === null || message.question === undefined) return;
  if (message.ballot) {
    const mine = local.get(message.question);
    if (mine && mine.phase === "cleared") local.delete(message.question);
  }
  learnBallot(message.question, message.ballot);
  render();
}

let noticeTimer = null;
let noticeShown = false;
function showConnectionProblem(text, { now = false } = {}) {
  clearTimeout(noticeTimer);
  const show = () => {
    noticeShown = true;
    setNotice(connection, text);
  };
  if (now || noticeShown) show();
  else noticeTimer = setTimeout(show, NOTICE_DELAY);
}
function connectionFine() {
  clearTimeout(noticeTimer);
  if (noticeShown) {
    noticeShown = false;
    setNotice(connection, texts.t("reconnected"));
    noticeTimer = setTimeout(() => setNotice(connection, ""), 2500);
  }
}

let pollTimer = null;
function startPolling() {
  if (pollTimer === null) pollTimer = setTimeout(poll, 0);
}
function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
}
async function poll() {
  const reply = await getJSON(`/api/v1/sessions/${code}`);
  if (pollTimer === null) return; // the socket came back meanwhile
  if (reply.ok && reply.data) {
    // HTTP works while the socket does not: a proxy in the way, not a server that is down.
    if (!socket.isOpen) showConnectionProblem(texts.t("polling"), { now: true });
    applyState(reply.data, { fromSocket: false });
    if (reply.data.question) applyBallot({ question: reply.data.question.id, ballot: reply.data.ballot, epoch: reply.data.epoch, resets: reply.data.resets });
  } else if (reply.network || reply.status >= 500) {
    showConnectionProblem(texts.t("reconnecting"));
  } else if (reply.status === 404) {
    endSession();
    return;
  }
  pollTimer = setTimeout(poll, POLL_EVERY + Math.random() * 2000);
}

function endSession() {
  sessionOver = true;
  stopPolling();
  socket.stop();
  showConnectionProblem(texts.t("session_gone"), { now: true });
  render();
}

const socket = new LiveSocket(`/ws/v1/sessions/${code}`, {
  onMessage(message) {
    if (message.type === "state") {
      applyState(message, { fromSocket: true });
    } else if (message.type === "ballot") {
      applyBallot(message);
    } else if (message.type === "ack" && pending && message.ref === pending.ref) {
      accepted(pending);
    } else if (message.type === "error" && pending && message.ref === pending.ref) {
      refused(pending, message.error);
    }
  },
  onStatus(status, detail) {
    if (status === "open") {
      stopPolling();
      connectionFine();
      if (pending) sendPending();
    } else if (status === "reconnecting") {
      if (detail.failures >= FALLBACK_AFTER) startPolling();
      if (pollTimer === null && (detail.delay > 0 || socket.everOpened)) {
        showConnectionProblem(texts.t("reconnecting"));
      }
    } else if (status === "stopped" && (detail.code === CLOSE_NOT_FOUND || detail.code === CLOSE_GONE)) {
      endSession();
    }
  },
});

// A no-JavaScript round trip may have left ?error=…&c=… in the address: take it over, then drop it, so
// that a reload does not repeat an old message.
const params = new URLSearchParams(location.search);
if (state.question && params.get("error")) {
  const shown = document.querySelector("#vote-status .error");
  if (shown) local.set(state.question.id, { phase: "error", message: shown.textContent });
}
if (params.has("voted") || params.has("error") || params.has("c")) {
  const keep = new URLSearchParams();
  if (params.has("lang")) keep.set("lang", params.get("lang"));
  const query = keep.toString();
  history.replaceState(null, "", location.pathname + (query ? `?${query}` : ""));
}

area.replaceChildren(); // the server-rendered form is replaced by the same form, built from `state`
render();
socket.start();
