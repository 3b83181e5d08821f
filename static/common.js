// Shared helpers: the page's configuration block, translated texts and small fetch wrappers.

/** The JSON the server rendered into <script type="application/json" id="lp-config"> (never executed). */
export function readConfig() {
  const element = document.getElementById("lp-config");
  return element ? JSON.parse(element.textContent) : {};
}

function fill(text, values) {
  return text.replace(/%\((\w+)\)[sd]/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Texts in the page's language: `t` for plain strings, `n` for counts (CLDR plural categories). */
export class Texts {
  constructor(config) {
    this.strings = config.strings || {};
    this.plurals = config.plurals || {};
    this.lang = config.lang || document.documentElement.lang || "pl";
    this.rules = new Intl.PluralRules(this.lang);
    this.numbers = new Intl.NumberFormat(this.lang);
    this.percents = new Intl.NumberFormat(this.lang, { style: "percent", maximumFractionDigits: 0 });
  }

  t(key, values = {}) {
    const text = this.strings[key];
    return text === undefined ? key : fill(text, values);
  }

  n(key, count) {
    const forms = this.plurals[key] || {};
    const text = forms[this.rules.select(count)] ?? forms.other ?? forms.many ?? key;
    return fill(text, { num: this.numbers.format(count) });
  }

  number(value) {
    return this.numbers.format(value);
  }

  /** `fraction` is 0..1 (votes / voters). */
  percent(fraction) {
    return this.percents.format(fraction);
  }
}

/** POST JSON to our own API with the browser's cookies; never throws for HTTP errors. */
export async function postJSON(url, body) {
  try {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    return await answerOf(response);
  } catch {
    return { ok: false, status: 0, data: null, network: true };
  }
}

export async function getJSON(url) {
  try {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return await answerOf(response);
  } catch {
    return { ok: false, status: 0, data: null, network: true };
  }
}

/** A response as {ok, status, data}; data is null when the body is not JSON (a proxy's error page). */
async function answerOf(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data, network: false };
}

/** Show or hide a notice element with a text (empty text hides it). */
export function setNotice(element, text) {
  if (!element) return;
  if (element.textContent !== text) element.textContent = text;
  element.hidden = !text;
}

export function randomRef() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
