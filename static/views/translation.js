// The second of the session's presented languages (a presenter frame's `translation`): the same question, the
// same ids, its texts in that language, stacked smaller under the first language's. A text the session has
// in one language only reads the same in both, and is shown once.

const NONE = { lang: "", question: null, label: () => undefined };

/**
 * @param {object} frame  a presenter frame
 * @returns {{lang: string, question: ({text: string, lang: string} | null),
 *            label: (id: string, first: string) => ({text: string, lang: string} | undefined)}}
 */
export function secondTexts(frame) {
  const translation = frame.translation;
  const question = translation && translation.question;
  if (!question || !frame.question || question.id !== frame.question.id) return NONE;
  const lang = translation.language;
  const labels = new Map();
  for (const item of [...(question.options || []), ...(question.statements || [])]) labels.set(item.id, item.label);
  return {
    lang,
    question: question.text && question.text !== frame.question.text ? { text: question.text, lang } : null,
    label(id, first) {
      const text = labels.get(id);
      return text && text !== first ? { text, lang } : undefined;
    },
  };
}
