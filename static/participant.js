// The participant page: follows the host live (or, in a self-paced session, walks through the questions at
// the participant's pace), sends ballots over the WebSocket (or HTTP when it is down) and keeps a ballot until
// the server acknowledged it. Each kind's inputs come from ballots.js, the place on the page (question 2 / 5,
// Back / Next, tabs) from phone-place.js, the Q&A tab from qa-phone.js; without JavaScript the same forms
// post to /{code}/vote and /{code}/qa.

import { el } from "./ballot-parts.js";
import { BallotSender } from "./ballot-sender.js";
import { kindOf, wordingOf } from "./ballots.js";
import { getJSON, readConfig, Texts } from "./common.js";
import { ConnectionNotice } from "./connection-notice.js";
import { Countdown } from "./countdown.js";
import { CLOSE_GONE, CLOSE_NOT_FOUND, LiveSocket } from "./live-socket.js";
import { PhonePlace } from "./phone-place.js";
import { renderPhoneResults } from "./phone-results.js";
import { QaPhone } from "./qa-phone.js";
import { nicknameForm, outcomeSummary, outcomeView } from "./quiz-extras.js";

const config = readConfig();
const texts = new Texts(config);
const code = config.code;
const limits = config.limits || {};

const area = document.getElementById("question-area");
const announcer = document.getElementById("announcer");
const resultsParts = {
  section: document.getElementById("phone-results"),
  voters: document.getElementById("phone-voters"),
  chart: document.getElementById("phone-chart"),
  extra: document.getElementById("phone-extra"),
  barTemplate: document.getElementById("tpl-bar"),
};

const POLL_EVERY = 4000; // polling fallback period (plus up to 2 s of jitter)
const FALLBACK_AFTER = 2; // handshakes that never opened before polling starts

let state = config.state; // {question, voting_open, results, number, count, deadline?, remaining_ms?}
let epoch = config.epoch;
let seq = -1;
/** how many resets the host has made; a change means remembered ballots were discarded */
let resets = typeof config.resets === "number" ? config.resets : null;
let sessionOver = false;
let nickname = config.nickname || "";
/** question id -> {phase: "sending" | "offline" | "error" | "cleared", message?: string}: what this page is doing */
const local = new Map();
/**
 * question id -> this participant's ballot as the server stored it (its fields), or null for none.
 * Only the server's word says "counted": an acknowledgement of our own ballot, the `ballot` frame the
 * server sends when we join or the question changes, or the `ballot` field of the session (polling).
 */
const counted = new Map();
/** question id -> {quiz, answered}: how a revealed quiz question went (the `ballot` frame's `quiz`) */
const outcomes = new Map();

function announce(text) {
  if (!announcer) return;
  announcer.textContent = "";
  // a fresh text node after clearing makes screen readers read a repeated message again
  setTimeout(() => {
    announcer.textContent = text;
  }, 50);
}

const countdown = new Countdown(document.getElementById("countdown"), texts, { announce, onTimeUp: () => render() });

const place = new PhonePlace(config, texts, {
  onStep() {
    state = { ...state, question: place.walkQuestion() };
    render({ announceQuestion: true });
  },
  onTab() {},
});
const qa = config.qa ? new QaPhone(code, config.qa, texts, { announce, onSort: (sort) => place.setSort(sort) }) : null;

/** A self-paced session has one timer for every question; a live one, one per question. */
function timerKey() {
  if (place.walk) return "session";
  return state.question ? state.question.id : null;
}
const ctx = { texts, limits, announce, optionTemplate: document.getElementById("tpl-option") };

function currentForm(questionId) {
  const form = document.getElementById("vote-form");
  return form && form.dataset.question === questionId ? form : null;
}

function learnBallot(questionId, ballot) {
  const before = counted.get(questionId);
  counted.set(questionId, ballot || null);
  const form = currentForm(questionId);
  if (!form || senderOf(questionId).busy(questionId)) return;
  const mine = local.get(questionId);
  if (mine && mine.phase === "error") return; // keep what the participant was correcting
  if (JSON.stringify(before ?? null) !== JSON.stringify(ballot ?? null)) kindOf(state.question).show(form, state.question, ballot);
}
for (const [id, ballot] of Object.entries(config.walk ? config.walk.ballots || {} : {})) counted.set(id, ballot);
if (config.ballot) {
  counted.set(config.ballot.question, config.ballot.ballot || null);
  if (config.ballot.quiz) outcomes.set(config.ballot.question, { quiz: config.ballot.quiz, answered: Boolean(config.ballot.ballot) });
}

// Rendering --------------------------------------------------------------------------------------------

/** A form is rebuilt when the question changes, or when a quiz's answers are revealed (they are marked). */
function formKey(question) {
  return `${question.id}:${question.correct ? "revealed" : ""}`;
}

function buildForm(question) {
  const kind = kindOf(question);
  const fieldset = el("fieldset", {}, el("legend", {}, el("span", { className: "question-text" }, question.text)), ...kind.build(question, ctx));
  const form = el("form", { id: "vote-form", className: `vote-form kind-${question.kind}`, method: "post", action: `/${code}/vote`, noValidate: true, data: { question: question.id, key: formKey(question) } },
    el("input", { type: "hidden", name: "question", value: question.id }),
    fieldset,
    el("div", { id: "counted-slot" }),
    el("div", { id: "vote-status", className: "vote-status", attrs: { role: "status", "aria-live": "polite" } }),
    el("button", { type: "submit", id: "vote-button", className: "button primary vote-button" }));
  kind.show(form, question, counted.get(question.id));
  const parts = [form, el("div", { id: "outcome-slot" })];
  if (question.kind === "quiz") parts.push(nicknameForm(code, nickname, texts, limits, (name) => { nickname = name; }));
  return parts;
}

function votingOpen() {
  return state.voting_open && !countdown.timeUp;
}

function statusLine(question) {
  const mine = local.get(question.id);
  const ballot = counted.get(question.id);
  const words = wordingOf(question);
  const closed = countdown.timeUp ? `${texts.t("time_up")} ${texts.t("voting_closed")}` : texts.t("voting_closed");
  if (sessionOver) return ["error", texts.t("session_gone")];
  if (mine && mine.phase === "error") return ["error", mine.message];
  if (mine && mine.phase === "sending") return ["pending", texts.t(words.sending)];
  if (mine && mine.phase === "offline") return ["pending", texts.t("saved_offline")];
  if (mine && mine.phase === "cleared" && !ballot) {
    return ["cleared", votingOpen() ? texts.t("votes_cleared") : `${texts.t("votes_cleared")} ${closed}`];
  }
  const kind = kindOf(question);
  let said = texts.t(question.kind === "open" && question.moderated ? "entry_sent_moderated" : words.counted);
  if (ballot && kind.full && kind.full(question, ballot)) said += ` ${texts.n("limit_reached", question.max_entries)}`;
  if (!votingOpen()) return ballot ? ["closed", `${said} ${closed}`] : ["closed", closed];
  if (!ballot) return [null, ""];
  if (question.kind === "open") return ["success", said];
  return ["success", texts.t(question.allow_change === false ? words.final : words.canChange)];
}

/** What the page shows without a question: waiting for the host, the session's end, or the walk's end. */
function renderEmpty() {
  const answered = place.walk ? place.walk.questions.filter((q) => counted.get(q.id)).length : 0;
  const key = sessionOver ? "over" : place.walk ? `end:${answered}:${votingOpen()}:${place.walk.questions.length}` : "waiting";
  if (area.dataset.empty === key && !document.getElementById("vote-form")) return;
  area.dataset.empty = key;
  if (!sessionOver && place.walk) {
    area.replaceChildren(...place.endView(answered, votingOpen()));
  } else {
    area.replaceChildren(el("p", { className: "waiting", id: "waiting" }, sessionOver ? texts.t("session_gone") : texts.t("waiting")));
  }
}

function render({ announceQuestion = false } = {}) {
  const question = state.question;
  let form = document.getElementById("vote-form");
  place.render(state);
  if (!question) {
    renderEmpty();
  } else {
    const hadFocus = area.contains(document.activeElement) && document.activeElement !== document.body;
    if (!form || form.dataset.key !== formKey(question)) {
      delete area.dataset.empty;
      area.replaceChildren(...buildForm(question));
      form = document.getElementById("vote-form");
      if (announceQuestion && place.tab === "qa") {
        place.markNews();
        announce(texts.t("qa_new_poll", { text: question.text }));
      } else if (announceQuestion) {
        announce(texts.t("new_question", { text: question.text }));
      }
      if (hadFocus) form.querySelector(kindOf(question).firstInput)?.focus();
    }
    renderForm(form, question);
  }
  renderPhoneResults(resultsParts, question, state.results, texts, limits);
}

function renderForm(form, question) {
  const kind = kindOf(question);
  const words = wordingOf(question);
  const mine = local.get(question.id);
  const ballot = counted.get(question.id);
  const full = Boolean(ballot && kind.full && kind.full(question, ballot));
  const locked = sessionOver || !votingOpen() || full || (Boolean(ballot) && question.allow_change === false);
  form.querySelector("fieldset").disabled = locked;
  const button = form.querySelector("#vote-button");
  button.hidden = locked;
  button.disabled = Boolean(mine && (mine.phase === "sending" || mine.phase === "offline"));
  button.textContent = texts.t(ballot ? words.again : words.button);
  const [className, text] = statusLine(question);
  const status = form.querySelector("#vote-status");
  const line = status.firstElementChild;
  if (!text) {
    status.replaceChildren();
  } else if (!line || line.textContent !== text || line.className !== className) {
    status.replaceChildren(el("p", { className }, text));
  }
  const slot = form.querySelector("#counted-slot");
  const shown = JSON.stringify(ballot ?? null);
  if (kind.countedView && slot.dataset.shown !== shown) {
    slot.dataset.shown = shown;
    slot.replaceChildren(...[kind.countedView(question, ballot, ctx)].filter(Boolean));
  }
  const outcome = outcomes.get(question.id);
  const outcomeSlot = document.getElementById("outcome-slot");
  const said = outcome ? JSON.stringify(outcome) : "";
  if (outcomeSlot && outcomeSlot.dataset.shown !== said) {
    outcomeSlot.dataset.shown = said;
    outcomeSlot.replaceChildren(...(outcome ? [outcomeView(outcome.quiz, outcome.answered, texts)] : []));
    if (outcome) announce(outcomeSummary(outcome.quiz, outcome.answered, texts));
  }
}

// Voting -----------------------------------------------------------------------------------------------

function errorMessage(error, question) {
  if (error === "too_many_choices") return texts.n("too_many", question ? question.max_choices : 1);
  if (error === "too_many_entries" || error === "limit_reached") return texts.n(error, question ? question.max_entries : 1);
  const perKind = question ? `error_${error}_${question.kind}` : "";
  if (perKind in texts.strings) return texts.t(perKind);
  const key = `error_${error}`;
  return key in texts.strings ? texts.t(key) : texts.t("error_generic");
}

function castVote(form) {
  const question = state.question;
  if (!question || form.dataset.question !== question.id) return;
  const read = kindOf(question).read(form, question, ctx);
  if (read.error) {
    local.set(question.id, { phase: "error", message: read.error });
    render();
    if (read.focus) form.querySelector(read.focus)?.focus();
    return;
  }
  local.set(question.id, { phase: "sending" });
  render();
  senderOf(question.id).send(question.id, read.fields);
}

/** The definition of a question the page knows: the one shown, or (in a walk) any of the session's. */
function questionOf(id) {
  if (state.question && state.question.id === id) return state.question;
  return (place.walk && place.walk.questions.find((q) => q.id === id)) || null;
}

function accepted(ballot) {
  const question = questionOf(ballot.question);
  const kind = question ? kindOf(question) : null;
  const previous = counted.get(ballot.question);
  counted.set(ballot.question, kind && kind.stored ? kind.stored(ballot.fields, previous) : { ...ballot.fields });
  local.delete(ballot.question);
  const form = currentForm(ballot.question);
  if (form && kind) {
    kind.show(form, question, counted.get(ballot.question)); // e.g. a word cloud's words moved up, blanks last
    if (kind.accepted) kind.accepted(form);
  }
  render();
  if (kind && kind.refresh) refreshBallot(ballot.question);
}

function refused(ballot, error) {
  const question = questionOf(ballot.question);
  local.set(ballot.question, { phase: "error", message: errorMessage(error, question) });
  render();
  if (error === "limit_reached") refreshBallot(ballot.question);
}

function waiting(ballot, phase) {
  local.set(ballot.question, { phase });
  render();
}

/** Ask the server what it counted (the word cloud merges forms of a word; open text lists the entries). */
async function refreshBallot(questionId) {
  const reply = await getJSON(`/api/v1/sessions/${code}`);
  if (reply.ok && reply.data) applyServerBallots(reply.data, questionId);
}

area.addEventListener("submit", (event) => {
  const form = event.target.closest("#vote-form");
  if (!form) return;
  event.preventDefault();
  castVote(form);
});

area.addEventListener("change", (event) => {
  const question = state.question;
  const form = event.target.closest("#vote-form");
  if (!question || !form) return;
  const kind = kindOf(question);
  const message = kind.changed ? kind.changed(form, question, event.target, ctx) : null;
  if (message) {
    local.set(question.id, { phase: "error", message });
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
        const form = currentForm(id);
        if (form && state.question && state.question.id === id) kindOf(state.question).show(form, state.question, null);
      }
    }
    resets = next.resets;
  }
  const previous = state.question ? state.question.id : null;
  place.setQuestions(next.questions);
  const question = place.walk ? place.walkQuestion() : next.question || null;
  const same = state.question && question && state.question.id === question.id;
  state = {
    question,
    voting_open: Boolean(next.voting_open),
    // results on phones are the screen's question's (a walk shows them on that question only)
    results: fromSocket ? next.results || null : same || place.walk ? state.results : null,
    number: next.question_number ?? null,
    count: next.question_count ?? 0,
  };
  // Polling answers carry no timer: they only end one (voting closed, or another question).
  if (fromSocket || !same || !state.voting_open) {
    countdown.sync(timerKey(), state.voting_open, next.deadline, fromSocket ? next.remaining_ms : undefined);
  }
  if (qa) qa.setOpen(next.qa_open ?? (next.qa ? next.qa.open : undefined));
  render({ announceQuestion: (question ? question.id : null) !== previous && !place.walk });
}

/**
 * The participant's ballots in `GET /api/v1/sessions/{code}` (polling, or a check after an ack): every
 * question's in a self-paced session (`ballots`), else the current one's; `only` limits it to one question.
 */
function applyServerBallots(data, only = null) {
  const { epoch: sentEpoch, resets: sentResets } = data;
  const mine = place.walk && data.ballots ? place.walk.questions.map((q) => [q.id, data.ballots[q.id] || null])
    : data.question ? [[data.question.id, data.ballot]] : [];
  for (const [question, ballot] of mine) {
    if (only === null || question === only) applyBallot({ question, ballot, epoch: sentEpoch, resets: sentResets });
  }
}

// The server's word on our own ballot: sent when we join, and when the question, epoch, resets or a reveal change.
function applyBallot(message) {
  if (message.epoch !== undefined && message.epoch !== epoch) return;
  if (typeof message.resets === "number" && resets !== null && message.resets !== resets) return;
  if (message.question === null || message.question === undefined) return;
  if (message.ballot) {
    const mine = local.get(message.question);
    if (mine && mine.phase === "cleared") local.delete(message.question);
  }
  if (message.quiz) outcomes.set(message.question, { quiz: message.quiz, answered: Boolean(message.ballot) });
  learnBallot(message.question, message.ballot);
  render();
}

const notice = new ConnectionNotice(document.getElementById("connection"), texts);

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
    if (!socket.isOpen) notice.problem(texts.t("polling"), { now: true });
    applyState(reply.data, { fromSocket: false });
    applyServerBallots(reply.data);
    if (qa) await qa.poll();
  } else if (reply.network || reply.status >= 500) {
    notice.problem(texts.t("reconnecting"));
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
  notice.problem(texts.t("session_gone"), { now: true });
  render();
}

const socket = new LiveSocket(`/ws/v1/sessions/${code}`, {
  onMessage(message) {
    if (message.type === "state") {
      applyState(message, { fromSocket: true });
    } else if (message.type === "ballot") {
      applyBallot(message);
    } else if (message.type === "ack" || message.type === "error") {
      for (const sender of senders.values()) sender.handle(message);
    } else if (message.type === "qa" && qa) {
      qa.applyFrame(message);
    } else if (message.type === "qa_mine" && qa) {
      qa.applyMine(message);
    }
  },
  onStatus(status, detail) {
    if (status === "open") {
      stopPolling();
      notice.fine();
      for (const sender of senders.values()) sender.flush();
    } else if (status === "reconnecting") {
      if (detail.failures >= FALLBACK_AFTER) startPolling();
      if (pollTimer === null && (detail.delay > 0 || socket.everOpened)) {
        notice.problem(texts.t("reconnecting"));
      }
    } else if (status === "stopped" && (detail.code === CLOSE_NOT_FOUND || detail.code === CLOSE_GONE)) {
      endSession();
    }
  },
});

/**
 * Who keeps a ballot until it is acknowledged: in a live session one sender (a ballot for a new question
 * replaces one still on its way); in a self-paced walk one per question, so a ballot sent just before Next
 * is never dropped by the next question's.
 */
const senders = new Map();
function senderOf(questionId) {
  const key = place.walk ? questionId : "";
  if (!senders.has(key)) senders.set(key, new BallotSender(code, socket, { accepted, refused, waiting }));
  return senders.get(key);
}

// A no-JavaScript round trip may have left ?error=…&c=… (or a nickname's result) in the address: take the
// message over, then drop the parameters, so that a reload does not repeat an old message.
const params = new URLSearchParams(location.search);
if (state.question && params.get("error")) {
  const shown = document.querySelector("#vote-status .error");
  if (shown) local.set(state.question.id, { phase: "error", message: shown.textContent });
}
place.dropFormEcho();

area.replaceChildren(); // the server-rendered form is replaced by the same form, built from `state`
countdown.sync(timerKey(), state.voting_open, state.deadline, state.remaining_ms);
render();
socket.start();
