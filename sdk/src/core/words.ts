// The snippet's own words (its controls; builders' texts come from decide), English and Japanese.
import type { Words } from "../shared/types";

const WORDS: Record<string, Words> = {
  en: {
    next: "Next",
    back: "Back",
    close: "Close",
    done: "Done",
    step: "{n} of {total}",
    help: "Help",
    search: "Search",
    nothing: "Nothing found",
    other: "Other",
    preview: "Preview",
    exit: "Exit",
    exitPreview: "Exit preview",
  },
  ja: {
    next: "次へ",
    back: "戻る",
    close: "閉じる",
    done: "完了",
    step: "{n} / {total}",
    help: "ヘルプ",
    search: "検索",
    nothing: "見つかりませんでした",
    other: "その他",
    preview: "プレビュー",
    exit: "終了",
    exitPreview: "プレビューを終了",
  },
};

export function wordsFor(locale: string): Words {
  return WORDS[locale.toLowerCase().split("-")[0]] ?? WORDS.en;
}
