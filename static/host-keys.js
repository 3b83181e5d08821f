// Moderation by keyboard and where focus goes after a moderation button. On a selected item of a list
// (`.mod-item` with tabindex): A approves, H hides, S shows again, ↑/↓ move between items. After a
// button takes an item off its list, focus moves to its neighbour, so the host can go on down the list.
// The Q&A moderation column can use the same: its items are `.mod-item`s with the same buttons.

const ACTION_KEYS = { a: "approve_entry", h: "hide_entry", s: "show_entry" };

function visibleForm(item, action) {
  return [...item.querySelectorAll("form.control-form")].find((form) => form.dataset.action === action && !form.hidden);
}

function items() {
  return [...document.querySelectorAll(".mod-item[tabindex]")].filter((item) => item.offsetParent !== null);
}

export function moderationKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const item = event.target instanceof Element ? event.target.closest(".mod-item[tabindex]") : null;
    if (!item) return;
    const key = event.key.toLowerCase();
    if (key in ACTION_KEYS) {
      const form = visibleForm(item, ACTION_KEYS[key]);
      if (!form) return;
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const all = items();
      const next = all[all.indexOf(item) + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    }
  });
}

/**
 * Where focus goes once the server took a moderation button's change, planned before it is sent (a frame may
 * move the item while the request runs). An item that leaves its list (a word hidden or shown again, an
 * entry approved or hidden while waiting) hands focus to its neighbour; one that stays keeps it on itself.
 * Returns a function to call after success.
 */
export function planFocus(form) {
  const item = form.closest(".mod-item");
  if (!item || !item.contains(document.activeElement)) return () => {};
  const movesOff = item.classList.contains("word-item") || item.dataset.status === "pending";
  if (!movesOff) return () => item.focus();
  const neighbour = item.nextElementSibling || item.previousElementSibling;
  const target = neighbour && (neighbour.hasAttribute("tabindex") ? neighbour : neighbour.querySelector("button"));
  return () => {
    if (target && target.isConnected) target.focus();
  };
}
