// Times in the viewer's local time zone: the server writes `<time datetime="...Z">` with a UTC text (what a
// page without JavaScript shows); here each one is shown in the browser's zone and the page's language.

/** `moment` (ISO 8601) as a short local time of day, e.g. "14:05". */
export function localClock(lang, moment) {
  const date = new Date(moment);
  return Number.isNaN(date.getTime()) ? moment : new Intl.DateTimeFormat(lang, { timeStyle: "short" }).format(date);
}

/** Rewrite every `time.local-time` under `root` in local time (the UTC text stays in its title). */
export function localTimes(lang, root = document) {
  const format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  for (const element of root.querySelectorAll("time.local-time[datetime]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    if (!element.title) element.title = element.textContent.trim();
    element.textContent = format.format(moment);
  }
}
