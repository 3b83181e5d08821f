// The participant page's ballot per kind of question. Each kind provides:
//   wording        "vote" | "answer" | "entry": which texts say sending, counted and the button
//   build(q, ctx)  the inputs inside the question's fieldset (after its legend)
//   read(form, q, ctx) -> {fields} (the ballot's fields to send) | {error, focus?}
//   show(form, q, ballot)  put the server's counted ballot (or null) into the inputs
// and may provide:
//   changed(form, q, input, ctx) -> message | null   after an input changed (a limit said)
//   countedView(q, ballot, ctx) -> Node | null        what was counted, where the inputs do not show it
//   full(q, ballot)        no more ballots are taken from this participant (open text's limit)
//   stored(fields, previous)  what the server holds once it acknowledged `fields` (default: the fields)
//   refresh                ask the server for the counted ballot after an acknowledgement (it may differ)
//   accepted(form)         after an acknowledgement (open text empties its field for the next entry)
//   firstInput             selector of the input that takes the focus when the question changes
// ctx: {texts, limits, announce, optionTemplate}.

import { choice, quiz } from "./ballot-choice.js";
import { ranking } from "./ballot-ranking.js";
import { scale } from "./ballot-scale.js";
import { open, wordcloud } from "./ballot-text.js";

const KINDS = { choice, quiz, wordcloud, open, scale, ranking };

export function kindOf(question) {
  return KINDS[question.kind] || choice;
}

/** Text keys by wording: [sending, counted, counted (may change), counted (final), button, button again]. */
const WORDING = {
  vote: ["sending", "counted", "counted_can_change", "counted_final", "vote", "change_vote"],
  answer: ["sending_answer", "answer_counted", "answer_counted_can_change", "answer_counted_final", "send", "change_answer"],
  entry: ["sending_answer", "entry_sent", "entry_sent", "entry_sent", "send", "send"],
};

export function wordingOf(question) {
  const [sending, counted, canChange, final, button, again] = WORDING[kindOf(question).wording];
  return { sending, counted, canChange, final, button, again };
}
