// The presenter screen: the live results of every question kind from the presenter WebSocket (views/: one
// module per kind behind views/stage.js), the voting timer, keyboard control of the session; the Q&A view
// (views/qa.js) while the host shows it (or `?view=qa` until the host switches); the question in a second
// presented language under the first; "question 2 / 5"; the clean mode (no join banner, key help or
// language bar) the host or the C key switches.

import { postJSON, readConfig, setNotice, Texts } from "./common.js";
import { fitQuestion } from "./presenter-fit.js";
import { Countdown } from "./views/countdown.js";
import { QaView } from "./views/qa.js";
import { Stage } from "./views/stage.js";
import { secondTexts } from "./views/translation.js";
import { CLOSE_FORBIDDEN, CLOSE_GONE, CLOSE_NOT_FOUND, LiveSocket, newestFrames } from "./live-socket.js";

const config = readConfig();
const texts = new Texts(config);
const code = config.code;
const questions = config.questions;

const $ = (id) => document.getElementById(id);
const stage = $("main");
const questionText = $("question-text");
const questionSecond = $("question-second");
const questionPlace = $("question-place");
const questionNumber = $("question-number");
const selfPaced = $("self-paced");
const stageHead = $("stage-head");
const chartArea = $("chart-area");
const voters = $("voters");
const participants = $("participants");
const votingState = $("voting-state");
const stateLost = $("state-lost");
const connection = $("connection");
const summary = $("summary");
const toast = $("toast");
const stageView = new Stage(
  {
    area: chartArea,
    chart: $("chart"),
    legend: $("scale-legend"),
    cloud: $("cloud"),
    wall: $("wall"),
    board: $("leaderboard"),
    more: $("chart-more"),
    empty: $("no-answers"),
    hiddenNote: $("results-hidden"),
    barTemplate: $("tpl-bar"),
  },
  texts,
);
const countdown = new Countdown($("countdown"), texts);
const qaSection = $("qa-view");
const qaArea = $("qa-area");
const qaView = new QaView(
  { section: qaSection, now: $("qa-now"), area: qaArea, list: $("qa-list"), more: $("qa-more"), empty: $("qa-empty"), closed: $("qa-closed") },
  texts,
);

const SUMMARY_EVERY = 8000; // screen readers hear the numbers at most this often
const NOTICE_DELAY = 1500;

let current = config.initial;
// The view this screen shows: the poll, or the Q&A while the host shows it. `?view=qa` starts in the Q&A
// view; the screen follows the host from the first time the host switches.
let askedView = config.view === "qa" ? "qa" : null;
let hostQa = current.qa_visible;

// Fitting (presenter-fit.js, the views' fit) runs when the question or the view's structure changes and when
// the space for it changes (a resize, a notice above the question); a vote only changes numbers in rows of a
// fixed size (the word cloud lays itself out on every frame, keeping words in place).
let fittedFor = "";
const spaceOf = () => `${stage.clientWidth}x${stage.clientHeight}:${chartArea.clientHeight}:${qaArea.clientHeight}`;
function fitStage() {
  if (showingQa()) {
    qaView.fit();
  } else {
    fitQuestion(stage, questionText, questionSecond);
    stageView.fit();
  }
  fittedFor = spaceOf();
}

const hasQa = (message) => message.qa_visible !== null && message.qa_visible !== undefined;
const showingQa = () => hasQa(current) && (askedView === "qa" || (askedView === null && current.qa_visible));

/** Show the poll or the Q&A view; @returns {boolean} whether the view changed. */
function showView() {
  const qa = showingQa();
  if (qaSection.hidden === !qa) return false;
  qaSection.hidden = !qa;
  stageHead.hidden = qa;
  chartArea.hidden = qa;
  return true;
}

// "Question 2 / 5" (self-paced: which question the screen shows, and that phones go at their own pace).
function placeText(message) {
  if (!message.question_number || message.leaderboard) return "";
  const values = { number: texts.number(message.question_number), count: texts.number(message.question_count) };
  return texts.t(message.mode === "self_paced" ? "question_place_self" : "question_place", values);
}

/** The "question 2 / 5" line and the question's second language; @returns {boolean} whether either changed. */
function renderPlace(message) {
  let changed = false;
  const place = placeText(message);
  if (questionNumber.textContent !== place) {
    questionNumber.textContent = place;
    changed = true;
  }
  const self = message.mode === "self_paced";
  if (selfPaced.hidden === self) {
    selfPaced.hidden = !self;
    changed = true;
  }
  if (questionPlace.hidden !== !place) {
    questionPlace.hidden = !place;
    changed = true;
  }
  const second = message.leaderboard ? null : secondTexts(message).question;
  const secondText = second ? second.text : "";
  if (questionSecond.textContent !== secondText || questionSecond.hidden !== !second) {
    questionSecond.textContent = secondText;
    questionSecond.hidden = !second;
    changed = true;
  }
  if (second) questionSecond.lang = second.lang;
  else questionSecond.removeAttribute("lang");
  if (message.question && !message.leaderboard) questionText.lang = message.language || document.documentElement.lang;
  else questionText.removeAttribute("lang");
  return changed;
}

// What the rows' labels read: a change (an edit, a second language) may need another layout.
function labelsKey(message) {
  const question = message.question;
  if (!question) return "";
  const items = [...(question.options || []), ...(question.statements || [])].map((item) => item.label);
  return JSON.stringify([question.id, items, message.translation || null]);
}
let lastLabels = labelsKey(current);

function headingOf(message) {
  if (message.leaderboard) return texts.t("leaderboard");
  return message.question ? message.question.text : texts.t("no_question");
}

function render(message, { refit = false } = {}) {
  const heading = headingOf(message);
  let headingChanged = questionText.textContent !== heading;
  if (headingChanged) questionText.textContent = heading;
  if (renderPlace(message)) headingChanged = true;
  const labels = labelsKey(message);
  if (labels !== lastLabels) {
    lastLabels = labels;
    refit = true;
  }
  if (hasQa(message) && message.qa_visible !== hostQa) askedView = null; // the host switched: follow
  hostQa = message.qa_visible;
  if (showView()) refit = true;
  document.body.classList.toggle("clean", Boolean(message.clean_screen));
  const timerMoved = countdown.update(message);
  const stageChanged = stageView.render(message);
  voters.textContent = texts.n("voters", message.voters || 0);
  participants.textContent =
    message.participants === null || message.participants === undefined
      ? texts.t("participants_unknown")
      : texts.n("participants", message.participants);
  votingState.textContent = message.voting_open ? texts.t("voting_open") : texts.t("voting_closed");
  votingState.className = message.voting_open ? "open" : "closed";
  stateLost.hidden = !message.state_lost;
  if (refit || headingChanged || timerMoved || stageChanged) fitStage();
  scheduleSummary();
}

// A polite, throttled text version of the chart for screen readers.
let summaryTimer = null;
let lastSummaryAt = 0;
let lastSummary = "";
function summaryText() {
  const message = current;
  if (showingQa()) return qaView.summary();
  const question = message.question;
  if (!question && !message.leaderboard) return texts.t("no_question");
  const parts = [];
  if (question) parts.push(texts.t("summary_question", { text: question.text }), texts.n("voters", message.voters || 0) + ".");
  if (question && !message.results_visible && !message.leaderboard) parts.push(texts.t("results_hidden") + ".");
  parts.push(...stageView.summary(message));
  if (countdown.over) parts.push(texts.t("times_up") + ".");
  parts.push((message.voting_open ? texts.t("voting_open") : texts.t("voting_closed")) + ".");
  return parts.join(" ");
}
function scheduleSummary() {
  if (summaryTimer !== null) return;
  const wait = Math.max(0, lastSummaryAt + SUMMARY_EVERY - Date.now());
  summaryTimer = setTimeout(() => {
    summaryTimer = null;
    const text = summaryText();
    if (text === lastSummary) return;
    lastSummary = text;
    lastSummaryAt = Date.now();
    summary.textContent = text;
  }, wait);
}

let toastTimer = null;
function showToast(text) {
  clearTimeout(toastTimer);
  toast.textContent = text;
  toastTimer = setTimeout(() => {
    toast.textContent = "";
  }, 4000);
}

async function control(body) {
  const reply = await postJSON(`/api/v1/sessions/${code}/control`, body);
  if (reply.ok && reply.data) {
    // The socket brings the full picture in a moment; the flags can change at once.
    current = { ...current, voting_open: reply.data.voting_open, results_visible: reply.data.results_visible };
    if (body.action === "clean_screen" || body.action === "full_screen") current.clean_screen = body.action === "clean_screen";
    if (body.action === "show_qa" || body.action === "hide_qa") {
      current.qa_visible = body.action === "show_qa";
      askedView = null;
    }
    render(current);
  } else {
    const reason = reply.network ? texts.t("network_error") : (reply.data && reply.data.message) || String(reply.status);
    showToast(texts.t("control_failed", { reason }));
  }
}

function step(direction) {
  const index = questions.findIndex((question) => current.question && question.id === current.question.id);
  if (listOutdated(index)) {
    // The host added, deleted or reordered questions since this page loaded: load the list again (the
    // address is the same; the host presses the key again on the fresh page).
    window.location.reload();
    return undefined;
  }
  const next = index + direction;
  if (index === -1 && questions.length) return control({ action: "goto", question: questions[0].id });
  if (next < 0 || next >= questions.length) return undefined;
  return control({ action: "goto", question: questions[next].id });
}

function listOutdated(index) {
  if (current.question_count === undefined) return false;
  if (current.question_count !== questions.length) return true;
  return Boolean(current.question) && index + 1 !== current.question_number;
}

function toggleFullscreen() {
  if (!document.fullscreenEnabled) {
    showToast(texts.t("no_fullscreen"));
  } else if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  } else {
    document.documentElement.requestFullscreen().catch(() => showToast(texts.t("no_fullscreen")));
  }
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (event.target instanceof Element && event.target.closest("input, textarea, select, [contenteditable]")) return;
  switch (event.key) {
    case "ArrowRight":
    case "PageDown":
      step(1);
      break;
    case "ArrowLeft":
    case "PageUp":
      step(-1);
      break;
    case "h":
    case "H":
      control({ action: current.results_visible ? "hide_results" : "show_results" });
      break;
    case "o":
    case "O":
      control({ action: current.voting_open ? "close" : "open" });
      break;
    case "f":
    case "F":
      toggleFullscreen();
      break;
    case "q":
    case "Q":
      if (hasQa(current)) control({ action: showingQa() ? "hide_qa" : "show_qa" });
      else showToast(texts.t("qa_not_enabled"));
      break;
    case "c":
    case "C":
      control({ action: current.clean_screen ? "full_screen" : "clean_screen" });
      break;
    default:
      return;
  }
  event.preventDefault();
});

const onResults = newestFrames("results", (message) => {
  current = message;
  render(message);
});

function onQa(message) {
  const changed = qaView.render(message);
  if (changed && showingQa()) fitStage();
  scheduleSummary();
}

let noticeTimer = null;
const socket = new LiveSocket(`/ws/v1/sessions/${code}/presenter`, {
  onMessage: (message) => {
    if (message.type === "qa") onQa(message);
    else onResults(message);
  },
  onStatus(status, detail) {
    clearTimeout(noticeTimer);
    if (status === "open") {
      setNotice(connection, "");
    } else if (status === "reconnecting") {
      noticeTimer = setTimeout(() => setNotice(connection, texts.t("reconnecting")), NOTICE_DELAY);
    } else if (status === "stopped") {
      const key = detail.code === CLOSE_FORBIDDEN ? "forbidden" : detail.code === CLOSE_NOT_FOUND || detail.code === CLOSE_GONE ? "session_gone" : "reconnecting";
      setNotice(connection, texts.t(key));
    }
  },
});

let fitFrame = 0;
const resizes = new ResizeObserver(() => {
  cancelAnimationFrame(fitFrame);
  fitFrame = requestAnimationFrame(() => {
    if (fittedFor !== spaceOf()) fitStage();
  });
});
resizes.observe(chartArea);
resizes.observe(qaArea);

// A screen opened on the Q&A view stays on it when its language is switched.
if (askedView === "qa") {
  for (const link of document.querySelectorAll("nav.languages a[hreflang]")) {
    const url = new URL(link.href);
    url.searchParams.set("view", "qa");
    link.href = url.pathname + url.search;
  }
}

render(current, { refit: true });
socket.start();
