// One live WebSocket with automatic reconnect, shared by the participant, presenter and host pages.
//
// Reconnects use "full jitter" exponential backoff (a random wait up to min(cap, base * 2^attempt)), so
// that hundreds of phones that lost Wi-Fi together do not come back in lockstep. The attempt counter
// resets once a connection has stayed up for a few seconds. A server restart (close 1001 or 1012) is
// retried at once, spread over a second, and so is 4401 (the host key was rotated: this browser may hold
// the new one in its cookie). Close codes 4403 (wrong key), 4404 (no such session) and 4410 (session
// deleted) are final: retrying cannot help. Every message the server sends is a full state, so
// a reconnect needs no replay: the first message after it is the resync.

export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_NOT_FOUND = 4404;
export const CLOSE_GONE = 4410;
const FINAL = new Set([CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_GONE]);
export const CLOSE_KEY_CHANGED = 4401;
const RESTARTING = new Set([1001, 1012, CLOSE_KEY_CHANGED]);

/**
 * A message handler that passes on only frames of `type` that are not older than the newest one seen:
 * `seq` only grows within an epoch, and a new epoch (state rebuilt after a loss) always counts as newer.
 */
export function newestFrames(type, handler) {
  let epoch = null;
  let seq = -1;
  return (message) => {
    if (message.type !== type) return;
    if (message.epoch === epoch && message.seq < seq) return;
    epoch = message.epoch;
    seq = message.seq;
    handler(message);
  };
}

export class LiveSocket {
  /**
   * @param {string} path  e.g. "/ws/v1/sessions/72815366"
   * @param {{onMessage: (msg: object) => void, onStatus?: (status: string, detail: object) => void,
   *          baseDelay?: number, maxDelay?: number, stableAfter?: number, handshakeTimeout?: number}} options
   * Statuses: "connecting" (first try), "open", "reconnecting" ({delay, failures}), "stopped" ({code}).
   * `failures` counts consecutive attempts that never opened: a proxy that blocks WebSockets shows here.
   */
  constructor(path, options) {
    this.path = path;
    this.onMessage = options.onMessage;
    this.onStatus = options.onStatus || (() => {});
    this.baseDelay = options.baseDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 10000;
    this.stableAfter = options.stableAfter ?? 3000;
    this.handshakeTimeout = options.handshakeTimeout ?? 8000;
    this.ws = null;
    this.attempt = 0;
    this.failures = 0;
    this.everOpened = false;
    this.stopped = false;
    this.retryTimer = null;
    this.stableTimer = null;
    this.retryNow = this.retryNow.bind(this);
    this.onVisibility = () => {
      if (document.visibilityState === "visible") this.retryNow();
    };
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.retryNow);
    document.addEventListener("visibilitychange", this.onVisibility);
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stableTimer);
    window.removeEventListener("online", this.retryNow);
    document.removeEventListener("visibilitychange", this.onVisibility);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a message now; false when the socket is not open (the caller keeps it for later). */
  send(message) {
    if (!this.isOpen) return false;
    try {
      this.ws.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  /** Skip the rest of the backoff wait (the network came back, the tab became visible). */
  retryNow() {
    if (this.stopped || this.ws !== null) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  connect() {
    this.retryTimer = null;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let ws;
    try {
      ws = new WebSocket(scheme + location.host + this.path);
    } catch {
      this.failures += 1;
      this.scheduleRetry(this.backoff());
      return;
    }
    this.ws = ws;
    let opened = false;
    this.onStatus(this.everOpened ? "reconnecting" : "connecting", { delay: 0, failures: this.failures });
    // A proxy that swallows the upgrade leaves the socket CONNECTING for minutes; give up sooner.
    const handshake = setTimeout(() => {
      if (ws.readyState === WebSocket.CONNECTING) ws.close();
    }, this.handshakeTimeout);

    ws.addEventListener("open", () => {
      clearTimeout(handshake);
      opened = true;
      this.everOpened = true;
      this.failures = 0;
      this.onStatus("open", {});
      this.stableTimer = setTimeout(() => {
        this.attempt = 0;
      }, this.stableAfter);
    });
    ws.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message === "object") this.onMessage(message);
    });
    ws.addEventListener("close", (event) => {
      clearTimeout(handshake);
      clearTimeout(this.stableTimer);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (FINAL.has(event.code)) {
        this.stopped = true;
        this.onStatus("stopped", { code: event.code });
        return;
      }
      if (!opened) this.failures += 1;
      const delay = RESTARTING.has(event.code) ? Math.random() * 1000 : this.backoff();
      this.scheduleRetry(delay);
    });
  }

  backoff() {
    const ceiling = Math.min(this.maxDelay, this.baseDelay * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    return Math.max(250, Math.random() * ceiling);
  }

  scheduleRetry(delay) {
    this.onStatus("reconnecting", { delay, failures: this.failures });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
