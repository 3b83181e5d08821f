// Lists of the control panel kept in step with the live frames: rows are matched by id and updated in place,
// so a row the host is working on (focused, half-read) does not jump or lose focus when a frame arrives.

/**
 * @param {HTMLElement} list
 * @param {object[]} items  in the order to show
 * @param {{id: (item: object) => string, create: () => HTMLElement, update: (row: HTMLElement, item: object) => void}} how
 *   `create` makes a row from a <template>; rows keep their id in `data-item`.
 */
export function syncList(list, items, how) {
  const existing = new Map();
  for (const row of list.children) existing.set(row.dataset.item, row);
  const wanted = new Set(items.map(how.id));
  for (const [id, row] of existing) if (!wanted.has(id)) row.remove();
  let previous = null;
  for (const item of items) {
    const id = how.id(item);
    let row = existing.get(id);
    if (!row) {
      row = how.create();
      row.dataset.item = id;
    }
    const expected = previous ? previous.nextElementSibling : list.firstElementChild;
    if (expected !== row) list.insertBefore(row, expected);
    how.update(row, item);
    previous = row;
  }
}

/** A copy of the first element of a <template>. */
export function fromTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

export function setText(element, text) {
  if (element && element.textContent !== text) element.textContent = text;
}

/** Fill a control form (templates/_control.html) cloned from a template: its action, fields and label. */
export function setControl(form, fields, label, target) {
  for (const [name, value] of Object.entries(fields)) {
    const input = form.querySelector(`input[name="${name}"]`);
    if (input && input.value !== value) input.value = value;
    if (name === "action") form.dataset.action = value;
    if (name === "question") form.dataset.question = value;
  }
  const button = form.querySelector("button");
  if (label !== undefined && button.firstChild.nodeValue !== label) button.firstChild.nodeValue = label;
  const named = button.querySelector(".control-target");
  if (named && target !== undefined) setText(named, ` – ${target}`);
}

export function shorten(text, length = 40) {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
