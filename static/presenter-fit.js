// Fitting the presenter's stage: the question, then the bars, into the space between the join banner and the
// footer, at every allowed length (a 500-character question, 30 options of 200 characters) on 1280×720 and
// 1920×1080. Type shrinks only down to a size still readable from the back of a room; past that the question
// is clamped (its whole text stays in the page for screen readers, and in its tooltip), labels are clamped,
// and the rows that still do not fit give way to an explicit "+N more" line. `fitChart` fits bar rows (choice,
// quiz, ranking, scale statements); `fitItems` any other list (open-text cards, the leaderboard).

// Question sizes (em of the stage's type) tried in turn; it may take at most this share of the stage.
const QUESTION_SIZES = [2, 1.8, 1.6, 1.45, 1.3, 1.15];
const QUESTION_SHARE = 0.35;
// Chart scales (× its 1.3em), largest first; the last is the smallest still readable from the back.
const CHART_SCALES = [1, 0.9, 0.8, 0.72, 0.65];
const COLUMNS_FROM = 6; // options

const px = (value) => Number.parseFloat(value) || 0;

/**
 * Size (and if need be clamp) the question so that its block (the "question 2 / 5" line, the question and,
 * with two presented languages, its smaller second line) takes at most QUESTION_SHARE of the stage. The size
 * is set on the block: the second line is a fixed share of the question's size (livepoll.css).
 * @param {HTMLElement} stage
 * @param {HTMLElement} question
 * @param {HTMLElement} [second]  the question in the second language, when shown
 */
export function fitQuestion(stage, question, second) {
  const style = getComputedStyle(stage);
  const budget = (stage.clientHeight - px(style.paddingTop) - px(style.paddingBottom)) * QUESTION_SHARE;
  const block = question.parentElement;
  const lines = second && !second.hidden ? [question, second] : [question];
  for (const line of lines) {
    line.classList.remove("clamped");
    line.removeAttribute("title");
  }
  for (const size of QUESTION_SIZES) {
    block.style.setProperty("--question-size", `${size}em`);
    if (block.scrollHeight <= budget + 1) return;
  }
  // Clamped: the same number of lines of each language, as many as the budget holds (at least one).
  const heights = lines.map((line) => px(getComputedStyle(line).lineHeight));
  const other = block.scrollHeight - lines.reduce((sum, line) => sum + line.offsetHeight, 0);
  const count = Math.max(1, Math.floor((budget - other) / heights.reduce((a, b) => a + b, 0)));
  for (const line of lines) {
    line.style.setProperty("--question-lines", String(count));
    line.classList.add("clamped");
    if (line.scrollHeight > line.clientHeight + 1) line.title = line.textContent;
  }
  if (question.classList.contains("clamped")) question.title = question.textContent;
}

// Ways to lay the rows out: in one column, two (down the first, then the second) or three (only for labels
// that fit on one line there); each label beside its bar, or "stacked" above it at the column's width (long
// labels). Several columns only from COLUMNS_FROM options.
const MODES = [
  { columns: 1, stacked: false },
  { columns: 1, stacked: true },
  { columns: 2, stacked: false },
  { columns: 2, stacked: true },
  { columns: 3, stacked: false, oneLine: true },
];

/**
 * Fit the rows of `chart` into `area`. First choice: the largest scale at which a mode shows every row with
 * whole labels (at one scale, the earlier mode); then the same with labels cut to their clamp; last, at the
 * smallest scale, the mode that shows the most rows, and `more` says how many are not shown.
 * Each try is a layout of up to 30 rows, so the search is pruned: a mode that cannot show every row at the
 * smallest scale is not tried at larger ones, and scales and row counts are searched by halving.
 * @param {string} [moreKey]  the plural text of "+N more" (options, statements)
 * @returns {number} how many rows are not shown
 */
export function fitChart(area, chart, more, texts, moreKey = "more_options") {
  const rows = [...chart.querySelectorAll(":scope > .bar-row")];
  const labels = rows.map((row) => row.querySelector(".bar-label"));
  const total = rows.length;
  const smallest = CHART_SCALES.length - 1;
  const fits = () => area.scrollHeight <= area.clientHeight + 1;
  const apply = (step, mode, shown) => {
    area.style.setProperty("--chart-scale", String(CHART_SCALES[step]));
    chart.classList.toggle("columns", mode.columns > 1);
    chart.classList.toggle("stacked", mode.stacked);
    chart.dataset.columns = String(mode.columns);
    chart.style.setProperty("--chart-rows", String(Math.ceil(shown / mode.columns)));
    rows.forEach((row, index) => {
      row.hidden = index >= shown;
    });
    more.hidden = shown === total;
    more.textContent = shown === total ? "" : texts.n(moreKey, total - shown);
    more.dataset.count = String(total - shown);
  };
  const whole = (mode) => {
    const lineHeight = labels.length ? px(getComputedStyle(labels[0]).lineHeight) : 0;
    return labels.every((label) => !clipped(label) && (!mode.oneLine || label.clientHeight < 1.5 * lineHeight));
  };
  // The first `true` of a test that holds from some point on (`last` is known to hold).
  const firstTrue = (first, last, test) => {
    while (first < last) {
      const middle = Math.floor((first + last) / 2);
      if (test(middle)) last = middle;
      else first = middle + 1;
    }
    return last;
  };

  const modes = total >= COLUMNS_FROM ? MODES : MODES.filter((mode) => mode.columns === 1);
  const candidates = [];
  for (const mode of modes) {
    apply(smallest, mode, total);
    if (!fits()) continue;
    const isWhole = whole(mode);
    if (isWhole || !mode.oneLine) candidates.push({ mode, whole: isWhole });
  }
  for (const wantWhole of [true, false]) {
    let best = null;
    for (const { mode, whole: isWhole } of candidates) {
      if (wantWhole && !isWhole) continue;
      const step = firstTrue(0, smallest, (at) => {
        apply(at, mode, total);
        return fits() && (!wantWhole || whole(mode));
      });
      if (best === null || step < best.step) best = { mode, step };
    }
    if (best !== null) {
      apply(best.step, best.mode, total);
      return finish(labels, 0);
    }
  }

  // Even the smallest readable type cannot show them all: the last rows make room for "+N more".
  let best = { mode: modes[0], shown: 0, cut: 0 };
  // Stacked first: at a tie it shows more of each label.
  const cutModes = modes.filter((mode) => !mode.oneLine).sort((a, b) => Number(b.stacked) - Number(a.stacked));
  for (const mode of cutModes) {
    // At least one row is shown even if it does not fit: the question has at most QUESTION_SHARE of the stage.
    const tooMany = firstTrue(2, total, (count) => {
      apply(smallest, mode, count);
      return !fits();
    });
    const shown = tooMany - 1;
    // As many rows as another mode shows, with more labels whole, is better.
    apply(smallest, mode, shown);
    const cut = labels.slice(0, shown).filter(clipped).length;
    if (shown > best.shown || (shown === best.shown && cut < best.cut)) best = { mode, shown, cut };
  }
  apply(smallest, best.mode, best.shown);
  return finish(labels, total - best.shown);
}

/**
 * Fit the children of `list` into `area`: at the largest chart scale that shows them all (or, with
 * `minShown`, at least that many of the first ones: larger type before more items); else, at the smallest,
 * the first ones that fit (at least one) and "+N more" for the rest. `total` counts items that are not in
 * the page at all (a view keeps only as many as could ever fit on a screen).
 * @param {{area: HTMLElement, list: HTMLElement, items?: HTMLElement[], more: HTMLElement,
 *          texts: import("./common.js").Texts, moreKey: string, total?: number, minShown?: number}} parts
 *   items: the list's children unless given (the rows of a table's body)
 * @returns {number} how many items are not shown
 */
export function fitItems({ area, list, items = [...list.children], more, texts, moreKey, total, minShown = Infinity }) {
  const count = total ?? items.length;
  const smallest = CHART_SCALES.length - 1;
  // A list laid out in columns overflows sideways (another column) or down (a card taller than a column).
  const fits = () =>
    area.scrollHeight <= area.clientHeight + 1 &&
    list.scrollWidth <= list.clientWidth + 1 &&
    list.scrollHeight <= list.clientHeight + 1;
  const apply = (step, shown) => {
    area.style.setProperty("--chart-scale", String(CHART_SCALES[step]));
    items.forEach((item, index) => {
      item.hidden = index >= shown;
    });
    const hidden = count - Math.min(shown, items.length);
    more.hidden = hidden === 0;
    more.textContent = hidden === 0 ? "" : texts.n(moreKey, hidden);
    more.dataset.count = String(hidden);
  };
  // The most of the first items that fit at a scale (at least one is shown).
  const most = (step) => {
    let low = 1;
    let high = items.length; // low items fit, high do not
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      apply(step, middle);
      if (fits()) low = middle;
      else high = middle;
    }
    return low;
  };
  const enough = Math.min(minShown, items.length);
  for (let step = 0; step <= smallest; step += 1) {
    apply(step, items.length);
    if (fits()) return count - items.length;
    if (enough < items.length && step < smallest) {
      const shown = most(step);
      if (shown >= enough) {
        apply(step, shown);
        return count - shown;
      }
    }
  }
  const shown = most(smallest);
  apply(smallest, shown);
  return count - shown;
}

const cut = (element) => element.scrollHeight > element.clientHeight + 1;
// A label in two languages clamps each of its lines (livepoll.css).
const clipped = (label) => {
  const lines = label.querySelectorAll(":scope > .label-main, :scope > .label-second");
  return lines.length ? [...lines].some(cut) : cut(label);
};

// A label cut short by its line clamp keeps its whole text in a tooltip.
function finish(labels, hidden) {
  for (const label of labels) {
    if (label.isConnected && label.offsetParent !== null && clipped(label)) label.title = labelText(label);
    else label.removeAttribute("title");
  }
  return hidden;
}

// The whole text of a label: its languages on lines of their own.
function labelText(label) {
  const lines = label.querySelectorAll(":scope > .label-main, :scope > .label-second");
  return lines.length ? [...lines].map((line) => line.textContent).join("\n") : label.textContent;
}
