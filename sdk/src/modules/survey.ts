// Surveys: one question at a time in a card (NPS 0-10, CSAT 1-5, CES 1-7, rating 1..scale, single
// or multiple choice with "other", free text), jumps by answer, a thank-you step, and follow-ups
// (another item started when an answer meets its condition). Each answer is sent as it is given,
// so a survey left halfway keeps what was answered.
import { matches } from "../shared/match";
import type { Host, Item, Props } from "../shared/types";
import { announce, card } from "../shared/ui";

interface Question {
  key: string;
  type: "nps" | "csat" | "ces" | "rating" | "single" | "multiple" | "text";
  text: string;
  required?: boolean;
  options?: { key: string; label: string }[];
  other?: boolean;
  scale?: number;
  low_label?: string;
  high_label?: string;
  jumps?: { answer: Props; to: string }[];
}

const RANGES: Record<string, [number, number]> = { nps: [0, 10], csat: [1, 5], ces: [1, 7] };

const render = (host: Host, item: Item): void => {
  const d = item.definition;
  const questions = d.questions as Question[];
  const answers: Record<string, unknown> = {};
  let index = 0;
  let shown: { wrap: HTMLElement } | null = null;
  let finished = false;

  const end = (answered: boolean) => {
    if (finished) return;
    finished = true;
    shown?.wrap.remove();
    if (!answered) host.emit("$survey_dismissed", item, { $question: questions[index]?.key });
    host.release(item);
    if (answered)
      for (const follow of (d.follow_ups as Props[] | undefined) ?? [])
        if (matches(follow.answer as Props, answers[follow.question as string])) host.start(follow.show as string);
  };

  const thankYou = () => {
    const thanks = (d.thank_you ?? {}) as Props;
    if (!thanks.title) return end(true);
    shown?.wrap.remove();
    shown = card(host, item, {
      title: thanks.title,
      body: thanks.body,
      buttons: [{ label: host.words.done, action: "complete" }],
      className: (d.style as string) === "modal" ? "modal" : "slideout",
      modal: (d.style as string) === "modal",
      onButton: () => end(true),
      onClose: () => end(true),
    });
    announce(thanks.title as string);
  };

  const ask = () => {
    const question = questions[index];
    let value: unknown = question.type === "multiple" ? [] : null;
    let other = "";
    shown?.wrap.remove();
    const last = index === questions.length - 1;
    shown = card(host, item, {
      title: question.text,
      buttons: [{ label: last ? host.words.done : host.words.next, action: "next" }],
      className: (d.style as string) === "modal" ? "modal" : "slideout",
      modal: (d.style as string) === "modal",
      progress: questions.length > 1 ? host.words.step.replace("{n}", String(index + 1)).replace("{total}", String(questions.length)) : undefined,
      onButton: () => {
        const given = question.type === "multiple" && other ? [...(value as string[]), `other:${other}`] : question.type === "single" && value === "other" ? `other:${other}` : value;
        const empty = given == null || given === "" || (Array.isArray(given) && !given.length);
        if (empty && question.required !== false) return;
        if (!empty) {
          answers[question.key] = given;
          host.emit("$survey_answered", item, { $question: question.key, $answer: given, $question_type: question.type });
        }
        const jump = (question.jumps ?? []).find((j) => !empty && matches(j.answer, given));
        const to = jump ? (jump.to === "end" ? questions.length : questions.findIndex((q) => q.key === jump.to)) : index + 1;
        if (to < 0 || to >= questions.length) return thankYou();
        index = to;
        ask();
      },
      onClose: () => end(false),
    });
    const box = shown.wrap.querySelector(".card")!;
    const row = box.querySelector(".row")!;
    const field = document.createElement("div");
    box.insertBefore(field, row);
    const range = question.type === "rating" ? [1, question.scale ?? 5] : RANGES[question.type];
    if (range) {
      const scale = document.createElement("div");
      scale.className = "scale";
      scale.setAttribute("role", "group");
      scale.setAttribute("aria-label", question.text);
      for (let n = range[0]; n <= range[1]; n++) {
        const choice = document.createElement("button");
        choice.type = "button";
        choice.textContent = String(n);
        choice.setAttribute("aria-pressed", "false");
        choice.addEventListener("click", () => {
          value = n;
          for (const b of Array.from(scale.children)) b.setAttribute("aria-pressed", String(b === choice));
        });
        scale.append(choice);
      }
      field.append(scale);
      if (question.low_label || question.high_label) {
        const ends = document.createElement("div");
        ends.className = "ends";
        const [low, high] = [document.createElement("span"), document.createElement("span")];
        low.textContent = question.low_label ?? "";
        high.textContent = question.high_label ?? "";
        ends.replaceChildren(low, high);
        field.append(ends);
      }
    } else if (question.type === "text") {
      const area = document.createElement("textarea");
      area.rows = 3;
      area.setAttribute("aria-label", question.text);
      area.addEventListener("input", () => (value = area.value.trim()));
      field.append(area);
    } else {
      const multiple = question.type === "multiple";
      const choices = document.createElement("div");
      choices.className = "choices";
      choices.setAttribute("role", multiple ? "group" : "radiogroup");
      const options = [...(question.options ?? [])];
      if (question.other) options.push({ key: "other", label: host.words.other });
      const otherField = document.createElement("input");
      otherField.className = "other";
      otherField.setAttribute("aria-label", question.text);
      otherField.hidden = true;
      otherField.addEventListener("input", () => (other = otherField.value.trim()));
      for (const option of options) {
        const input = document.createElement("input");
        input.type = multiple ? "checkbox" : "radio";
        input.name = `wp-${item.key}-${question.key}`;
        input.value = option.key;
        input.addEventListener("change", () => {
          const checked = Array.from(choices.querySelectorAll("input:checked")).map((i) => (i as HTMLInputElement).value);
          value = multiple ? checked.filter((k) => k !== "other") : input.value;
          otherField.hidden = !checked.includes("other");
          if (!otherField.hidden) otherField.focus();
        });
        const label = document.createElement("label");
        label.append(input, option.label);
        choices.append(label);
      }
      field.append(choices, otherField);
    }
    announce(question.text);
  };

  host.emit("$survey_shown", item);
  ask();
};

export default render;
