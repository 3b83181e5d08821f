// Sends the participant's ballot until the server acknowledged it: over the WebSocket, and over HTTP as well
// when no ack comes in time or the socket is down. A ballot keeps one `ref` until it is acknowledged, so a
// resend is the same ballot (the server stores it once: the same ballot again replaces it with itself, and an
// open-text entry is the same entry when its ref, or its text within a minute, repeats).

import { postJSON, randomRef } from "./common.js";

const ACK_TIMEOUT = 5000; // no ack over the socket in this time: send the same ballot over HTTP as well
const MAX_RETRY_DELAY = 10000;

export class BallotSender {
  /**
   * @param {string} code  the session's join code
   * @param {import("./live-socket.js").LiveSocket} socket
   * @param {{accepted: (ballot) => void, refused: (ballot, error: string) => void,
   *          waiting: (ballot, phase: "sending" | "offline") => void}} hooks
   * A ballot is {question, fields, ref, ...}; `waiting` says it was not stored yet and will be sent again.
   */
  constructor(code, socket, hooks) {
    this.code = code;
    this.socket = socket;
    this.hooks = hooks;
    this.pending = null;
  }

  /** Is a ballot for this question on its way? */
  busy(questionId) {
    return this.pending !== null && this.pending.question === questionId;
  }

  send(questionId, fields) {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = { question: questionId, fields, ref: randomRef(), timer: null, http: false, retries: 0 };
    this.flush();
  }

  /** Send the pending ballot again now (the socket has just opened). */
  flush() {
    const ballot = this.pending;
    if (!ballot) return;
    clearTimeout(ballot.timer);
    const sent = this.socket.send({ type: "vote", question: ballot.question, ...ballot.fields, ref: ballot.ref });
    if (sent) {
      ballot.timer = setTimeout(() => this.overHttp(ballot), ACK_TIMEOUT);
    } else {
      this.overHttp(ballot);
    }
  }

  /** The socket's `ack` and `error` frames about our ballot. */
  handle(message) {
    const ballot = this.pending;
    if (!ballot || message.ref !== ballot.ref) return;
    if (message.type === "ack") this.accepted(ballot);
    else if (message.type === "error") this.refused(ballot, message.error);
  }

  async overHttp(ballot) {
    if (this.pending !== ballot || ballot.http) return;
    ballot.http = true;
    const reply = await postJSON(`/api/v1/sessions/${this.code}/votes`, { question: ballot.question, ...ballot.fields });
    ballot.http = false;
    if (this.pending !== ballot) return;
    if (reply.ok) {
      this.accepted(ballot);
    } else if (reply.network || reply.status >= 500 || reply.status === 401 || reply.status === 429) {
      // Not stored: keep it and try again (401 means our cookie was just (re)issued).
      this.hooks.waiting(ballot, reply.network ? "offline" : "sending");
      ballot.retries += 1;
      ballot.timer = setTimeout(() => this.flush(), this.retryDelay(ballot) * (0.5 + Math.random() / 2));
    } else {
      this.refused(ballot, (reply.data && reply.data.error) || "generic");
    }
  }

  retryDelay(ballot) {
    return Math.min(MAX_RETRY_DELAY, 1000 * 2 ** Math.min(ballot.retries, 4));
  }

  accepted(ballot) {
    if (this.pending !== ballot) return;
    clearTimeout(ballot.timer);
    this.pending = null;
    this.hooks.accepted(ballot);
  }

  refused(ballot, error) {
    if (this.pending !== ballot) return;
    clearTimeout(ballot.timer);
    if (error === "unavailable") {
      ballot.retries += 1;
      ballot.timer = setTimeout(() => this.flush(), this.retryDelay(ballot));
      return;
    }
    this.pending = null;
    this.hooks.refused(ballot, error);
  }
}
