// Choice and quiz ballots: radios (one pick) or checkboxes (up to max_choices). A choice question with
// "other" has the option `other` last; ticking it reveals a text field sent as `other_text`. After a quiz's
// reveal the state frame's question carries `correct`, and the correct options say so in words.

import { charCounter, el, hint, optionLabel, squeezed } from "./ballot-parts.js";

const OTHER = "other";

function build(question, ctx) {
  const { texts } = ctx;
  const kind = question.max_choices === 1 ? "radio" : "checkbox";
  const correct = new Set(question.correct || []);
  const list = el("ul", { className: "options" });
  for (const option of question.options) {
    const item = ctx.optionTemplate.content.querySelector(".option").cloneNode(true);
    const input = item.querySelector("input");
    const label = item.querySelector("label");
    input.type = kind;
    input.value = option.id;
    input.id = `opt-${option.id}`;
    label.htmlFor = input.id;
    label.querySelector(".option-label").textContent = optionLabel(option, texts);
    if (correct.has(option.id)) label.append(" ", el("span", { className: "option-note" }, `✓ ${texts.t("correct_answer")}`));
    list.append(item);
  }
  const parts = [
    hint("choice-hint", question.max_choices === 1 ? texts.t("choose_one") : texts.n("choose_up_to", question.max_choices)),
    list,
  ];
  if (question.other) {
    const field = el("input", { type: "text", id: "other-text", name: "other_text", autocomplete: "off" });
    const { counter } = charCounter(field, "other-text-count", ctx.limits.other, texts);
    parts.push(
      el("div", { className: "other-text", id: "other-text-field", hidden: true },
        el("label", { htmlFor: "other-text" }, texts.t("other_text")), field, counter),
    );
  }
  return parts;
}

function chosen(form) {
  return [...form.querySelectorAll('input[name="choices"]:checked')].map((input) => input.value);
}

/**
 * Show the "other" text field only while `other` is ticked. It appears right after the options, next in the
 * focus order; the focus is not moved there (arrowing through radios must not jump away).
 */
function syncOther(form) {
  const box = form.querySelector("#other-text-field");
  if (box) box.hidden = !chosen(form).includes(OTHER);
}

function read(form, question, ctx) {
  const choices = chosen(form);
  if (choices.length === 0) return { error: ctx.texts.t("error_invalid_ballot") };
  if (choices.length > question.max_choices) return { error: ctx.texts.n("too_many", question.max_choices) };
  const fields = { choices };
  if (choices.includes(OTHER)) {
    const text = squeezed(form.querySelector("#other-text").value);
    if (!text) return { error: ctx.texts.t("error_other_text_required"), focus: "#other-text" };
    fields.other_text = text;
  }
  return { fields };
}

function show(form, question, ballot) {
  const picked = ballot && Array.isArray(ballot.choices) ? ballot.choices : [];
  for (const input of form.querySelectorAll('input[name="choices"]')) input.checked = picked.includes(input.value);
  const other = form.querySelector("#other-text");
  if (other) {
    other.value = ballot && typeof ballot.other_text === "string" ? ballot.other_text : "";
    other.dispatchEvent(new Event("input"));
  }
  syncOther(form);
}

/**
 * A tick past max_choices is taken back and the limit said (returns the message), and the "other" field
 * follows its option.
 */
function changed(form, question, target, ctx) {
  if (target.name !== "choices") return null;
  if (target.type === "checkbox" && target.checked && chosen(form).length > question.max_choices) {
    target.checked = false;
    return ctx.texts.n("too_many", question.max_choices);
  }
  syncOther(form);
  return null;
}

export const choice = { wording: "vote", build, read, show, changed, firstInput: 'input[name="choices"]' };
export const quiz = choice;
