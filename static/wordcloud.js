// Word-cloud layout: font size by count, words placed largest first, each at the free spot nearest to where it
// should be (the middle of the stage for a new word, its previous place for a word already shown, so the cloud
// stays put while counts change). Free space is a grid of cells kept as free runs per row, so "where is the
// nearest spot a w×h box fits" is exact and fast (no spiral walk, no pairwise box tests): a box is only ever
// placed on cells no other box holds, and boxes include a gap, so words never touch. Pure: no DOM.

// Sizes in em of the cloud's type: the most frequent word at MAX_EM, a word named once at MIN_EM of a
// crowded cloud, never below FLOOR_EM (still readable from the back of the room) unless the word is too long
// for the stage's width at that size.
export const MAX_EM = 4;
export const MIN_EM = 1;
export const FLOOR_EM = 0.65;
export const LINE = 1.2; // a word's box height, in its font size (CSS .cloud-word line-height)
const LADDER = 1.08; // sizes snap to steps of 8 %, so a vote rarely changes a word's size
const MAX_HEIGHT_SHARE = 1 / 3; // the largest word takes at most this share of the stage's height
const GAP_EM = 0.12; // free space around each word, in its font size
const WIDTH_SLACK = 1.03; // measured widths are rounded up: never let glyphs reach a neighbour

/** Free cells of a cols × rows grid, as sorted [start, end) runs per row. */
export class FreeSpace {
  constructor(cols, rows) {
    this.cols = cols;
    this.rows = rows;
    this.runs = Array.from({ length: rows }, () => [0, cols]);
  }

  /** Mark the cells of a box as taken (clipped to the grid). */
  take(col, row, width, height) {
    const a = Math.max(0, col);
    const b = Math.min(this.cols, col + width);
    if (a >= b) return;
    for (let y = Math.max(0, row); y < Math.min(this.rows, row + height); y += 1) {
      const runs = this.runs[y];
      const next = [];
      for (let i = 0; i < runs.length; i += 2) {
        const start = runs[i];
        const end = runs[i + 1];
        if (end <= a || start >= b) {
          next.push(start, end);
          continue;
        }
        if (start < a) next.push(start, a);
        if (end > b) next.push(b, end);
      }
      this.runs[y] = next;
    }
  }

  /**
   * The top-left cell of the free width × height box nearest to the wanted top-left (tx, ty), distance
   * measured with x weighted by `stretch` (below 1, the cloud spreads sideways on a wide stage); null if none.
   */
  nearest(width, height, tx, ty, stretch) {
    if (width > this.cols || height > this.rows) return null;
    const last = this.rows - height;
    const start = Math.min(last, Math.max(0, Math.round(ty)));
    const best = { col: 0, row: 0, distance: Infinity };
    // Rows going down, then up, from the wanted one: on each side they only get farther.
    for (let row = start; row <= last && (row - ty) ** 2 < best.distance; row += 1) this.nearestOn(row, width, height, tx, ty, stretch, best);
    for (let row = start - 1; row >= 0 && (row - ty) ** 2 < best.distance; row -= 1) this.nearestOn(row, width, height, tx, ty, stretch, best);
    return best.distance === Infinity ? null : { col: best.col, row: best.row };
  }

  nearestOn(row, width, height, tx, ty, stretch, best) {
    const ranges = this.fitting(row, width, height);
    const dy = row - ty;
    for (let i = 0; i < ranges.length; i += 2) {
      const col = Math.min(ranges[i + 1], Math.max(ranges[i], Math.round(tx)));
      const dx = (col - tx) * stretch;
      const distance = dx * dx + dy * dy;
      if (distance < best.distance) Object.assign(best, { col, row, distance });
    }
  }

  /** Whether every cell of the box is free (and on the grid). */
  free(col, row, width, height) {
    if (col < 0 || row < 0 || col + width > this.cols || row + height > this.rows) return false;
    for (let y = row; y < row + height; y += 1) {
      const runs = this.runs[y];
      let inside = false;
      for (let i = 0; i < runs.length && runs[i] <= col; i += 2) if (col + width <= runs[i + 1]) inside = true;
      if (!inside) return false;
    }
    return true;
  }

  /** Columns [first, last] (pairs, inclusive) where a width × height box fits with its top on `row`. */
  fitting(row, width, height) {
    let ranges = starts(this.runs[row], width);
    for (let y = row + 1; y < row + height && ranges.length; y += 1) ranges = intersect(ranges, starts(this.runs[y], width));
    return ranges;
  }
}

function starts(runs, width) {
  const out = [];
  for (let i = 0; i < runs.length; i += 2) if (runs[i + 1] - runs[i] >= width) out.push(runs[i], runs[i + 1] - width);
  return out;
}

function intersect(a, b) {
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const low = Math.max(a[i], b[j]);
    const high = Math.min(a[i + 1], b[j + 1]);
    if (low <= high) out.push(low, high);
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return out;
}

/**
 * Font sizes (px) of `words` at `scale`: by count relative to the most frequent, snapped to a ladder above
 * the floor, and never wider than the stage (a long word shrinks on its own, even below the floor).
 * @param {{key: string, text: string, count: number}[]} words
 * @param {{width: number, height: number, em: number, scale: number, widthOf: (text: string) => number}} stage
 *   widthOf: the text's width at a 1 px font size
 */
export function sizes(words, { width, height, em, scale, widthOf }) {
  const top = Math.max(1, ...words.map((word) => word.count));
  const floor = FLOOR_EM * em;
  const largest = largestSize(height, em);
  // The widest a word's box may be, its gaps and the rounding to whole cells included.
  const room = width - 3 * cellOf(em) - 10;
  return words.map((word) => {
    const wanted = scale * (MIN_EM * em + (largest - MIN_EM * em) * Math.sqrt(word.count / top));
    const size = wanted <= floor ? floor : floor * LADDER ** Math.round(Math.log(wanted / floor) / Math.log(LADDER));
    const widest = room / (widthOf(word.text) * WIDTH_SLACK + 2 * GAP_EM);
    return size > widest ? Math.floor(widest * 10) / 10 : size;
  });
}

/** The font size (px) of the most frequent word at scale 1. */
function largestSize(height, em) {
  return Math.max(FLOOR_EM * em, Math.min(MAX_EM * em, (height * MAX_HEIGHT_SHARE) / LINE));
}

/** The side of a free-space cell (px): a fraction of the smallest word's height, so rounding costs little. */
function cellOf(em) {
  return Math.max(2, Math.round((FLOOR_EM * em) / 6));
}

/**
 * Place `words` (any order; placed largest first) on a width × height stage.
 * @param {{key: string, text: string, count: number}[]} words
 * @param {{width: number, height: number, em: number, scale: number, widthOf: (text: string) => number,
 *          seeds?: Map<string, {x: number, y: number}>, reserved?: {x: number, y: number, w: number, h: number}[]}} stage
 *   seeds: the centres (px) words had before; reserved: boxes (px) to keep free (the "+N more" line);
 *   rows: instead of a cloud around the middle, lines filled from the top left, then centred (many long words
 *   of one size pack far better so)
 * @returns {{placed: Map<string, {x: number, y: number, w: number, h: number, size: number}>, dropped: string[],
 *            moved: number}}  boxes in px from the stage's top-left; `moved`: seeded words not at their seed
 */
export function arrange(words, stage) {
  const { width, height, widthOf } = stage;
  const seeds = stage.seeds || new Map();
  const fontSizes = sizes(words, stage);
  const cell = cellOf(stage.em);
  const cols = Math.floor(width / cell);
  const rows = Math.floor(height / cell);
  const space = new FreeSpace(cols, rows);
  for (const box of stage.reserved || []) {
    const col = Math.floor(box.x / cell);
    const row = Math.floor(box.y / cell);
    space.take(col, row, Math.ceil((box.x + box.w) / cell) - col, Math.ceil((box.y + box.h) / cell) - row);
  }
  const order = words.map((word, index) => index).sort((a, b) => fontSizes[b] - fontSizes[a] || a - b);
  const boxes = order.map((index) => {
    const size = fontSizes[index];
    const w = Math.ceil(widthOf(words[index].text) * size * WIDTH_SLACK + 2);
    const h = Math.ceil(size * LINE);
    const gap = Math.max(2, Math.round(size * GAP_EM));
    return { word: words[index], size, w, h, cols: Math.ceil((w + 2 * gap) / cell), rows: Math.ceil((h + 2 * gap) / cell) };
  });
  const placed = new Map();
  const put = (box, col, row) => {
    space.take(col, row, box.cols, box.rows);
    const x = col * cell + (box.cols * cell - box.w) / 2;
    const y = row * cell + (box.rows * cell - box.h) / 2;
    placed.set(box.word.key, { x, y, w: box.w, h: box.h, size: box.size });
  };
  // First every word that still fits where it was stays there (largest first), so a word that grew only
  // moves itself, not its neighbours; then the others, each at the free spot nearest to its old place.
  const at = (box, centre) => [Math.round((centre.x - (box.cols * cell) / 2) / cell), Math.round((centre.y - (box.rows * cell) / 2) / cell)];
  const rest = [];
  for (const box of boxes) {
    const seed = seeds.get(box.word.key);
    const [col, row] = seed ? at(box, seed) : [-1, -1];
    if (seed && space.free(col, row, box.cols, box.rows)) put(box, col, row);
    else rest.push(box);
  }
  const dropped = [];
  const failed = []; // [cols, rows] of boxes that found no room: a box at least as large cannot either
  let moved = 0;
  const stretch = Math.min(1, height / width);
  for (const box of rest) {
    if (failed.some(([c, r]) => c <= box.cols && r <= box.rows)) {
      dropped.push(box.word.key);
      continue;
    }
    const seed = seeds.get(box.word.key);
    const [col, row] = stage.rows ? [0, 0] : at(box, seed || { x: width / 2, y: height / 2 });
    const spot = space.nearest(box.cols, box.rows, col, row, stage.rows ? 1 / (4 * cols) : stretch);
    if (spot === null) {
      failed.push([box.cols, box.rows]);
      dropped.push(box.word.key);
      continue;
    }
    put(box, spot.col, spot.row);
    if (seed) moved += 1;
  }
  if (stage.rows) centre(placed, width, height, stage.reserved || []);
  return { placed, dropped, moved };
}

/** Move every box by one offset so the block sits in the middle, unless that would cover a reserved box. */
function centre(placed, width, height, reserved) {
  const boxes = [...placed.values()];
  if (!boxes.length) return;
  const left = Math.min(...boxes.map((b) => b.x));
  const top = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.w));
  const bottom = Math.max(...boxes.map((b) => b.y + b.h));
  const middle = [(width - right - left) / 2, (height - bottom - top) / 2];
  const hits = (b, r, dx, dy) => b.x + dx < r.x + r.w && r.x < b.x + dx + b.w && b.y + dy < r.y + r.h && r.y < b.y + dy + b.h;
  // Both ways if the reserved boxes allow, else only across, else only down.
  for (const [dx, dy] of [middle, [middle[0], 0], [0, middle[1]]]) {
    if (boxes.some((b) => reserved.some((r) => hits(b, r, dx, dy)))) continue;
    for (const b of boxes) {
      b.x += dx;
      b.y += dy;
    }
    return;
  }
}

const SCALE_STEPS = 7;
// A fresh layout takes this share of the largest scale that fits, so words can grow a little in place.
export const HEADROOM = 0.9;

/**
 * The scale at which every word has a place, laid out from the middle (no seeds): HEADROOM of the largest
 * that fits. At the smallest scale (every word at the floor) the words that still find no room are dropped,
 * the smallest first.
 * @returns {ReturnType<typeof arrange> & {scale: number}}
 */
export function fitCloud(words, stage) {
  const at = (scale) => ({ ...arrange(words, { ...stage, scale, seeds: undefined }), scale });
  const lowest = (FLOOR_EM * stage.em) / largestSize(stage.height, stage.em);
  let low = lowest; // fits
  let high = 1; // does not
  let result = at(1);
  if (result.dropped.length === 0) {
    low = 1;
  } else {
    result = at(lowest);
    if (result.dropped.length > 0) {
      // Even at the floor not every word has room around the middle: lines may hold more.
      const lines = { ...arrange(words, { ...stage, scale: lowest, seeds: undefined, rows: true }), scale: lowest };
      return lines.placed.size > result.placed.size ? lines : result;
    }
    for (let step = 0; step < SCALE_STEPS; step += 1) {
      const middle = (low + high) / 2;
      const tried = at(middle);
      if (tried.dropped.length === 0) {
        low = middle;
        result = tried;
      } else {
        high = middle;
      }
    }
  }
  const roomier = at(Math.max(lowest, low * HEADROOM));
  return roomier.dropped.length === 0 ? roomier : result;
}
