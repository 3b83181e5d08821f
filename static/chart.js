// Horizontal bar rows (label, bar, value), updated in place so widths can glide. `renderBars` draws votes
// ("votes · percent"; phones, host preview, presenter); `renderRows` any bar-like rows a view computes itself
// (ranking scores, a quiz's marked answer).

/**
 * @param {HTMLOListElement} list
 * @param {HTMLTemplateElement} template  holds one <li class="bar-row"> (see templates/_macros.html)
 * @param {string} questionId  rows are rebuilt, not animated, when the question changes
 * @param {{id: string, label?: string, votes: number}[]} options
 * @param {number} voters  percent = votes / voters (a multiple-choice question can sum past 100%)
 * @param {import("./common.js").Texts} texts
 */
export function renderBars(list, template, questionId, options, voters, texts) {
  renderRows(
    list,
    template,
    questionId,
    options.map((option) => {
      const fraction = voters > 0 ? Math.min(option.votes / voters, 1) : 0;
      return {
        id: option.id,
        label: option.label,
        fraction,
        value: `${texts.number(option.votes)} · ${texts.percent(fraction)}`,
        zero: option.votes === 0,
      };
    }),
  );
}

/**
 * @typedef {object} Row
 * @property {string} id
 * @property {string} [label]  left as it is when undefined
 * @property {number} fraction  0..1, the bar's width
 * @property {string} value  the main figure, beside the bar
 * @property {string} [note]  a smaller second line under the value
 * @property {string} [mark]  a badge before the label ("✓ Correct answer"); the row gets the class "marked"
 * @property {{text: string, lang: string}} [second]  the label in a second language, on a smaller line under it
 * @property {boolean} [zero]  the value is shown muted
 */

/**
 * Rows in the given order: existing rows (by id) are kept and moved, missing ones cloned from `template`.
 * @param {HTMLOListElement} list
 * @param {HTMLTemplateElement} template
 * @param {string} key  rows are rebuilt when it changes (the question)
 * @param {Row[]} rows
 * @returns {boolean} whether rows were added or removed (their layout may need fitting again)
 */
export function renderRows(list, template, key, rows) {
  let changed = false;
  if (list.dataset.question !== key) {
    list.replaceChildren();
    list.dataset.question = key;
    changed = true;
  }
  const existing = new Map();
  for (const row of list.querySelectorAll(":scope > .bar-row")) existing.set(row.dataset.option, row);
  const wanted = new Set(rows.map((row) => row.id));
  for (const [id, row] of existing) {
    if (!wanted.has(id)) {
      row.remove();
      changed = true;
    }
  }

  let previous = null;
  for (const item of rows) {
    let row = existing.get(item.id);
    if (!row) {
      row = template.content.querySelector(".bar-row").cloneNode(true);
      row.dataset.option = item.id;
      changed = true;
    }
    const expected = previous ? previous.nextElementSibling : list.firstElementChild;
    if (expected !== row) list.insertBefore(row, expected);
    if (item.label !== undefined) setLabel(row, item.label, item.mark, item.second);
    row.querySelector(".bar-fill").style.width = `${(Math.max(0, Math.min(item.fraction, 1)) * 100).toFixed(2)}%`;
    setValue(row.querySelector(".bar-value"), item.value, item.note);
    row.classList.toggle("zero", Boolean(item.zero));
    previous = row;
  }
  return changed;
}

// A label is its text alone, or (with a badge or a second language) parts: [badge] main [second line].
export function setLabel(row, text, mark, second) {
  const label = row.querySelector(".bar-label");
  row.classList.toggle("marked", Boolean(mark));
  label.classList.toggle("bilingual", Boolean(second));
  if (!mark && !second) {
    if (label.textContent !== text || label.childElementCount) label.textContent = text;
    return;
  }
  const wanted = [];
  if (mark) wanted.push(["bar-mark", mark, ""]);
  if (second) wanted.push(["label-main", text, ""], ["label-second", second.text, second.lang]);
  else wanted.push([null, text, ""]);
  const now = [...label.childNodes];
  const same =
    now.length === wanted.length &&
    wanted.every(([name, value, lang], index) => {
      const node = now[index];
      if (name === null) return node.nodeType === Node.TEXT_NODE && node.textContent === value;
      return node.nodeType === Node.ELEMENT_NODE && node.className === name && node.textContent === value && node.lang === lang;
    });
  if (same) return;
  label.replaceChildren(
    ...wanted.map(([name, value, lang]) => {
      if (name === null) return document.createTextNode(value);
      const part = document.createElement("span");
      part.className = name;
      part.textContent = value;
      if (lang) part.lang = lang;
      return part;
    }),
  );
}

function setValue(element, value, note) {
  if (note === undefined) {
    if (element.textContent !== value || element.childElementCount) element.textContent = value;
    return;
  }
  let main = element.querySelector(".value-main");
  let small = element.querySelector(".value-note");
  if (!main || !small) {
    main = document.createElement("span");
    main.className = "value-main";
    small = document.createElement("span");
    small.className = "value-note";
    element.replaceChildren(main, small);
  }
  if (main.textContent !== value) main.textContent = value;
  if (small.textContent !== note) small.textContent = note;
}
