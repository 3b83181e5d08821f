// The create-session form with JavaScript: each question block shows only its kind's fields as soon as the
// kind changes (without JavaScript, "Change kind" posts the form back for the same result), a quiz's
// answers carry over to and from the options text area, "Add an answer" adds a quiz row, and the name of
// "Other" shows only while "Other" is ticked.

const OPTION_KINDS = new Set(["choice", "ranking"]);
const MIN_QUIZ_ROWS = 4;

const lines = (text) => text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);

function renumber(row, prefix, index) {
  const option = row.querySelector(".quiz-option");
  const correct = row.querySelector(".quiz-correct");
  option.id = option.name = `${prefix}option_${index}`;
  correct.id = `${prefix}correct_${index}`;
  correct.value = String(index);
  const [optionLabel, correctLabel] = row.querySelectorAll("label");
  optionLabel.htmlFor = option.id;
  correctLabel.htmlFor = correct.id;
  for (const label of [optionLabel, correctLabel.querySelector(".visually-hidden")]) {
    if (label) label.textContent = label.textContent.replace(/\d+/, String(index));
  }
}

class QuestionBlock {
  constructor(block) {
    this.block = block;
    this.prefix = `q${block.dataset.block}_`;
    this.select = block.querySelector(".kind-select");
    this.shown = block.querySelector(".kind-shown");
    this.optionsText = block.querySelector(".options-text");
    this.rows = block.querySelector(".quiz-rows");
    this.addAnswer = block.querySelector(".add-option");
    this.maxRows = Number(this.rows.dataset.max);
    this.other = block.querySelector(`#${this.prefix}other`);
    this.otherLabel = block.querySelector(".other-label");

    block.querySelector(".kind-apply").hidden = true;
    this.select.addEventListener("change", () => this.changeKind(this.select.value));
    this.addAnswer.addEventListener("click", () => {
      const row = this.addRow();
      if (row) row.querySelector(".quiz-option").focus();
    });
    this.other.addEventListener("change", () => this.showOtherLabel());
    this.showOtherLabel();
    this.showKind(this.select.value);
  }

  rowList() {
    return [...this.rows.querySelectorAll(".quiz-row")];
  }

  addRow() {
    const rows = this.rowList();
    if (rows.length >= this.maxRows) return null;
    const row = rows[rows.length - 1].cloneNode(true);
    row.querySelector(".quiz-option").value = "";
    row.querySelector(".quiz-correct").checked = false;
    renumber(row, this.prefix, rows.length + 1);
    this.rows.append(row);
    this.updateAddAnswer();
    return row;
  }

  updateAddAnswer() {
    this.addAnswer.hidden = this.select.value !== "quiz" || this.rowList().length >= this.maxRows;
  }

  showOtherLabel() {
    this.otherLabel.hidden = !this.other.checked;
  }

  showKind(kind) {
    for (const element of this.block.querySelectorAll("[data-kinds]")) {
      element.hidden = !element.dataset.kinds.split(" ").includes(kind);
    }
    this.updateAddAnswer();
  }

  /** Options move between the text area (choice, ranking) and the quiz rows; `shown` names where they are. */
  changeKind(kind) {
    const from = this.shown.value;
    if (kind === "quiz" && from !== "quiz") this.rowsFrom(lines(this.optionsText.value));
    if (OPTION_KINDS.has(kind) && from === "quiz") {
      this.optionsText.value = this.rowList().map((row) => row.querySelector(".quiz-option").value.trim())
        .filter(Boolean).join("\n");
    }
    if (kind === "quiz" || OPTION_KINDS.has(kind)) this.shown.value = kind;
    this.showKind(kind);
  }

  rowsFrom(options) {
    const ticked = new Set();
    for (const row of this.rowList()) {
      const label = row.querySelector(".quiz-option").value.trim();
      if (label && row.querySelector(".quiz-correct").checked) ticked.add(label);
    }
    const wanted = Math.max(MIN_QUIZ_ROWS, Math.min(options.length + 1, this.maxRows), options.length);
    let rows = this.rowList();
    for (const row of rows.slice(wanted)) row.remove();
    while (this.rowList().length < wanted) {
      const row = rows[0].cloneNode(true);
      renumber(row, this.prefix, this.rowList().length + 1);
      this.rows.append(row);
    }
    rows = this.rowList();
    rows.forEach((row, index) => {
      const label = options[index] ?? "";
      row.querySelector(".quiz-option").value = label;
      row.querySelector(".quiz-correct").checked = label !== "" && ticked.has(label);
    });
  }
}

for (const block of document.querySelectorAll(".question-draft[data-block]")) new QuestionBlock(block);

const summary = document.getElementById("form-errors");
if (summary) summary.focus();
