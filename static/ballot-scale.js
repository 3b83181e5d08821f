// Scale ballots: one row of labelled radio buttons (min..max) per statement, in a fieldset whose legend is
// the statement; the scale's end labels stand at the ends and are also part of the end buttons' names.
// Sent as `ratings` {statement id: value}; at least one statement rated, the others may be left.

import { el, hint } from "./ballot-parts.js";

function build(question, ctx) {
  const parts = [hint("scale-hint", ctx.texts.t("scale_hint"))];
  for (const statement of question.statements) {
    const row = el("fieldset", { className: "scale-row" }, el("legend", { className: "statement" }, statement.label));
    if (question.min_label || question.max_label) {
      row.append(el("p", { className: "scale-ends", attrs: { "aria-hidden": "true" } },
        el("span", {}, question.min_label || ""), el("span", {}, question.max_label || "")));
    }
    const points = el("div", { className: "scale-points" });
    for (let value = question.min; value <= question.max; value += 1) {
      const id = `rating-${statement.id}-${value}`;
      const label = el("label", { htmlFor: id }, String(value));
      const end = value === question.min ? question.min_label : value === question.max ? question.max_label : null;
      if (end) label.append(el("span", { className: "visually-hidden" }, ` – ${end}`));
      points.append(el("span", { className: "scale-point" },
        el("input", { type: "radio", name: `rating-${statement.id}`, value: String(value), id }), label));
    }
    row.append(points);
    parts.push(row);
  }
  return parts;
}

function read(form, question, ctx) {
  const ratings = {};
  for (const input of form.querySelectorAll('.scale-points input[type="radio"]:checked')) {
    ratings[input.name.slice("rating-".length)] = Number(input.value);
  }
  if (Object.keys(ratings).length === 0) {
    return { error: ctx.texts.t("error_invalid_ballot_scale"), focus: '.scale-points input[type="radio"]' };
  }
  return { fields: { ratings } };
}

function show(form, question, ballot) {
  const ratings = ballot && ballot.ratings && typeof ballot.ratings === "object" ? ballot.ratings : {};
  for (const input of form.querySelectorAll('.scale-points input[type="radio"]')) {
    input.checked = String(ratings[input.name.slice("rating-".length)]) === input.value;
  }
}

export const scale = { wording: "answer", build, read, show, firstInput: '.scale-points input[type="radio"]' };
