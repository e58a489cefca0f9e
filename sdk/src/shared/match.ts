// A text condition as content documents write it (`{contains: /projects}`), tested in the browser
// the way the server tests it.
import type { Props } from "./types";

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

const number = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN);

export function matches(match: Props | undefined, given: unknown): boolean {
  if (!match) return true;
  if (given == null) return match.exists === false;
  if (Array.isArray(given)) return given.some((one) => matches(match, one)); // any chosen option
  const value = String(given);
  for (const [name, test] of [
    ["gt", (a: number, b: number) => a > b],
    ["gte", (a: number, b: number) => a >= b],
    ["lt", (a: number, b: number) => a < b],
    ["lte", (a: number, b: number) => a <= b],
  ] as const) {
    if (match[name] === undefined) continue;
    const a = number(given);
    if (Number.isNaN(a) || !test(a, Number(match[name]))) return false;
  }
  const m = match as Record<string, string | string[] | undefined>;
  if (m.eq !== undefined && value !== String(m.eq)) return false;
  if (m.neq !== undefined && value === String(m.neq)) return false;
  if (m.contains !== undefined && !value.includes(m.contains as string)) return false;
  if (m.starts_with !== undefined && !value.startsWith(m.starts_with as string)) return false;
  if (m.ends_with !== undefined && !value.endsWith(m.ends_with as string)) return false;
  if (m.in_ !== undefined || m.in !== undefined) {
    const options = ((m.in ?? m.in_) as unknown as unknown[]).map(String);
    if (!options.includes(value)) return false;
  }
  if (m.wildcard !== undefined && !wildcard(m.wildcard as string).test(value)) return false;
  if (m.regex !== undefined) {
    try {
      if (!new RegExp(m.regex as string).test(value)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

// Whether a page condition ({url, path}) holds here.
export function onPage(page: Props | undefined | null): boolean {
  if (!page) return true;
  return (
    matches(page.url as Props | undefined, location.href) &&
    matches(page.path as Props | undefined, location.pathname)
  );
}
