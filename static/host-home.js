// The host's list of sessions: times in local time, and the search box filters the rows as one types
// (without JavaScript it submits `?q=` and the server filters).

import { readConfig, Texts } from "./common.js";
import { localTimes } from "./host-time.js";

const config = readConfig();
const texts = new Texts(config);
localTimes(texts.lang);

const search = document.getElementById("session-search");
const table = document.getElementById("sessions-table");
const count = document.getElementById("session-count");

if (search && table) {
  search.addEventListener("input", () => {
    const wanted = search.value.trim().toLowerCase();
    const compact = wanted.replace(/\s+/g, "");
    let shown = 0;
    for (const row of table.tBodies[0].rows) {
      const haystack = row.dataset.search || "";
      const match = !wanted || haystack.includes(wanted) || (compact !== "" && haystack.includes(compact));
      row.hidden = !match;
      if (match) shown += 1;
    }
    count.textContent = texts.n("sessions", shown);
  });
}
