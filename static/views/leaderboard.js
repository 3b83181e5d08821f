// The quiz leaderboard (top 10 from the frame; ties share a rank, as the server ranks them). While the host
// shows it, it takes the whole stage.

import { fitItems } from "../presenter-fit.js";

export const containers = ["board"];

export function show(parts, frame) {
  const body = parts.board.tBodies[0];
  const key = JSON.stringify(frame.leaderboard);
  parts.empty.hidden = frame.leaderboard.length > 0;
  if (body.dataset.key === key) return false;
  const rows = frame.leaderboard.map((standing) => {
    const row = document.createElement("tr");
    const cells = [String(standing.rank), standing.name, parts.texts.number(standing.score), parts.texts.number(standing.correct)];
    cells.forEach((text, index) => {
      const cell = document.createElement(index === 1 ? "th" : "td");
      if (index === 1) cell.scope = "row";
      cell.textContent = text;
      row.append(cell);
    });
    return row;
  });
  body.dataset.key = key;
  body.replaceChildren(...rows);
  return true;
}

export function fit(parts) {
  const items = [...parts.board.tBodies[0].rows];
  fitItems({ area: parts.area, list: parts.board, items, more: parts.more, texts: parts.texts, moreKey: "more_places" });
}

export function clear(parts) {
  const body = parts.board.tBodies[0];
  body.replaceChildren();
  body.dataset.key = "";
}

export function summary(frame, texts) {
  if (!frame.leaderboard.length) return [texts.t("leaderboard") + ".", texts.t("no_answers")];
  return [
    texts.t("leaderboard") + ".",
    ...frame.leaderboard.map((standing) =>
      texts.t("summary_standing", {
        rank: texts.number(standing.rank),
        name: standing.name,
        points: texts.n("points", standing.score),
        correct: texts.number(standing.correct),
      }),
    ),
  ];
}
