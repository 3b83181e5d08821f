// Small DOM helpers shared by the participant page's ballot modules. Every text goes in as textContent.

/**
 * An element: `el("p", {className: "hint", id: "x"}, "text", child)`. Keys of `props` are DOM properties,
 * except `attrs` (attributes, e.g. aria-*) and `data` (dataset).
 */
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  const { attrs, data, ...rest } = props;
  Object.assign(element, rest);
  for (const [name, value] of Object.entries(attrs || {})) element.setAttribute(name, value);
  Object.assign(element.dataset, data || {});
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

export function hint(id, text) {
  return el("p", { className: "hint", id }, text);
}

/**
 * A "12 / 200 characters" line under a text field, kept up to date as it is typed. Not a live region (it
 * would speak on every key); the field points at it with aria-describedby.
 */
export function charCounter(field, id, max, texts) {
  const counter = el("p", { className: "hint counter", id });
  const update = () => {
    counter.textContent = texts.t("chars", { count: texts.number(field.value.length), max: texts.number(max) });
  };
  field.addEventListener("input", update);
  field.maxLength = max;
  const described = field.getAttribute("aria-describedby");
  field.setAttribute("aria-describedby", described ? `${described} ${id}` : id);
  update();
  return { counter, update };
}

/** The text as the server will keep it, for the checks done before sending (spaces collapsed, trimmed). */
export function squeezed(text) {
  return text.replace(/\s+/g, " ").trim();
}

/** The label of an option: the host's, or the page's word for the unnamed option `other`. */
export function optionLabel(option, texts) {
  return option.label || (option.id === "other" ? texts.t("other") : option.id);
}
