// A quiz on the phone besides its ballot: how it went after the host's reveal (right or wrong in words,
// the points earned, the total score and the place), and the optional nickname for the leaderboard.

import { el, squeezed } from "./ballot-parts.js";
import { postJSON } from "./common.js";

/** A leaderboard place: "3rd" in English, the number elsewhere (the sentence around it carries the rest). */
function place(rank, texts) {
  if (texts.lang !== "en") return texts.number(rank);
  const suffix = { one: "st", two: "nd", few: "rd", other: "th" }[new Intl.PluralRules("en", { type: "ordinal" }).select(rank)];
  return `${rank}${suffix}`;
}

/** The outcome of a revealed quiz question, from the `ballot` frame's `quiz` (and whether one answered). */
export function outcomeView(outcome, answered, texts) {
  const section = el("section", { className: `quiz-outcome ${outcome.correct ? "right" : "wrong"}`, id: "quiz-outcome" });
  if (!answered) {
    section.append(el("p", { className: "verdict" }, texts.t("quiz_no_answer")));
  } else {
    section.append(
      el("p", { className: "verdict" }, outcome.correct ? `✓ ${texts.t("quiz_right")}` : `✗ ${texts.t("quiz_wrong")}`),
      el("p", {}, texts.n("points_earned", outcome.points)),
    );
  }
  let standing = texts.t("quiz_score", { score: texts.number(outcome.score) });
  if (outcome.rank) standing += ` · ${texts.t("quiz_place", { rank: place(outcome.rank, texts), of: texts.number(outcome.of) })}`;
  section.append(el("p", {}, standing));
  return section;
}

/** What the outcome says aloud once, when it first arrives. */
export function outcomeSummary(outcome, answered, texts) {
  return [...outcomeView(outcome, answered, texts).children].map((p) => p.textContent).join(" ");
}

/**
 * The nickname form (the same as the server renders, posting to the API instead). `saved(name)` is told
 * the name the server chose (with a suffix when someone has it already).
 */
export function nicknameForm(code, current, texts, limits, saved) {
  const input = el("input", { type: "text", id: "nickname", name: "name", maxLength: limits.name, autocomplete: "nickname", value: current });
  const button = el("button", { type: "submit", className: "button", id: "nickname-button" }, texts.t("nickname_save"));
  const status = el("p", { id: "nickname-status", className: "nickname-status", attrs: { role: "status", "aria-live": "polite" } });
  const form = el("form", { id: "nickname-form", className: "nickname-form", method: "post", action: `/${code}/nickname` },
    el("label", { htmlFor: "nickname" }, texts.t("nickname_label")), el("div", { className: "copy-row" }, input, button), status);
  const say = (kind, text) => status.replaceChildren(el("span", { className: kind }, text));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = squeezed(input.value);
    if (!name) {
      say("error", texts.t("nickname_error_invalid_body"));
      input.focus();
      return;
    }
    button.disabled = true;
    const reply = await postJSON(`/api/v1/sessions/${code}/nickname`, { name });
    button.disabled = false;
    if (reply.ok && reply.data) {
      input.value = reply.data.name;
      say("success", texts.t("nickname_saved", { name: reply.data.name }));
      saved(reply.data.name);
    } else {
      const error = reply.data && reply.data.error;
      const key = `nickname_error_${error}`;
      say("error", key in texts.strings ? texts.t(key) : texts.t("nickname_error_generic"));
      input.focus();
    }
  });
  return form;
}
