// Ranking ballots: the options as a list, each with real "move up" and "move down" buttons (touch, mouse and
// keyboard alike). The moved item keeps the focus on its button, and the page's live region says its new
// place. An end button stays focusable (aria-disabled, not disabled) so the focus never falls off the list.
// Sent as `order`, every option id once, first place first.

import { el, hint, optionLabel } from "./ballot-parts.js";

function moveButton(direction, label, ctx) {
  const text = ctx.texts.t(direction === "up" ? "move_up" : "move_down", { label });
  return el("button", { type: "button", className: "button rank-move", data: { move: direction }, attrs: { "aria-label": text } },
    el("span", { attrs: { "aria-hidden": "true" } }, direction === "up" ? "▲" : "▼"));
}

function build(question, ctx) {
  const list = el("ol", { className: "ranking", id: "ranking-list" });
  for (const option of question.options) {
    const label = optionLabel(option, ctx.texts);
    list.append(el("li", { className: "ranking-item", data: { option: option.id } },
      el("span", { className: "rank-place", attrs: { "aria-hidden": "true" } }),
      el("span", { className: "rank-label user-text" }, label),
      el("span", { className: "rank-moves" }, moveButton("up", label, ctx), moveButton("down", label, ctx))));
  }
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-move]");
    if (button) move(list, button, ctx);
  });
  renumber(list);
  return [hint("ranking-hint", ctx.texts.t("ranking_hint")), list];
}

function renumber(list) {
  const items = [...list.children];
  items.forEach((item, n) => {
    item.querySelector(".rank-place").textContent = `${n + 1}.`;
    item.querySelector('[data-move="up"]').setAttribute("aria-disabled", String(n === 0));
    item.querySelector('[data-move="down"]').setAttribute("aria-disabled", String(n === items.length - 1));
  });
}

// The neighbour moves, not the item: the focused button stays in the document and keeps the focus.
function move(list, button, ctx) {
  const item = button.closest(".ranking-item");
  if (button.dataset.move === "up" && item.previousElementSibling) item.after(item.previousElementSibling);
  if (button.dataset.move === "down" && item.nextElementSibling) item.before(item.nextElementSibling);
  renumber(list);
  if (document.activeElement !== button) button.focus();
  const items = [...list.children];
  ctx.announce(ctx.texts.t("moved", {
    label: item.querySelector(".rank-label").textContent,
    place: ctx.texts.number(items.indexOf(item) + 1),
    count: ctx.texts.number(items.length),
  }));
}

function read(form) {
  return { fields: { order: [...form.querySelectorAll("#ranking-list > .ranking-item")].map((item) => item.dataset.option) } };
}

function show(form, question, ballot) {
  const list = form.querySelector("#ranking-list");
  const ids = question.options.map((option) => option.id);
  const order = ballot && Array.isArray(ballot.order) && ballot.order.length === ids.length
    && ids.every((id) => ballot.order.includes(id)) ? ballot.order : ids;
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const items = new Map([...list.children].map((item) => [item.dataset.option, item]));
  order.forEach((id, n) => {
    const item = items.get(id);
    if (list.children[n] !== item) list.insertBefore(item, list.children[n]);
  });
  renumber(list);
  if (focused && document.activeElement !== focused) focused.focus();
}

export const ranking = { wording: "answer", build, read, show, firstInput: "#ranking-list button" };
