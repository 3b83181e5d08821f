// Horizontal bar rows (label, bar, "votes · percent"), updated in place so widths can glide.

/**
 * @param {HTMLOListElement} list
 * @param {HTMLTemplateElement} template  holds one <li class="bar-row"> (see templates/_macros.html)
 * @param {string} questionId  rows are rebuilt, not animated, when the question changes
 * @param {{id: string, label?: string, votes: number}[]} options
 * @param {number} voters  percent = votes / voters (a multiple-choice question can sum past 100%)
 * @param {import("./common.js").Texts} texts
 */
export function renderBars(list, template, questionId, options, voters, texts) {
  if (list.dataset.question !== questionId) {
    list.replaceChildren();
    list.dataset.question = questionId;
  }
  const existing = new Map();
  for (const row of list.querySelectorAll(":scope > .bar-row")) existing.set(row.dataset.option, row);
  const wanted = new Set(options.map((option) => option.id));
  for (const [id, row] of existing) if (!wanted.has(id)) row.remove();

  let previous = null;
  for (const option of options) {
    let row = existing.get(option.id);
    if (!row) {
      row = template.content.querySelector(".bar-row").cloneNode(true);
      row.dataset.option = option.id;
    }
    const expected = previous ? previous.nextElementSibling : list.firstElementChild;
    if (expected !== row) list.insertBefore(row, expected);
    if (option.label !== undefined) {
      const label = row.querySelector(".bar-label");
      if (label.textContent !== option.label) label.textContent = option.label;
    }
    const fraction = voters > 0 ? Math.min(option.votes / voters, 1) : 0;
    row.querySelector(".bar-fill").style.width = `${(fraction * 100).toFixed(2)}%`;
    row.querySelector(".bar-value").textContent = `${texts.number(option.votes)} · ${texts.percent(fraction)}`;
    row.classList.toggle("zero", option.votes === 0);
    previous = row;
  }
}
