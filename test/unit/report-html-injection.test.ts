import { expect } from "chai";
import { renderHtml } from "../../harness/report/html.js";
import type { RunResult } from "../../harness/result.js";
import { loadRunFixture } from "./fixture-helpers.js";

const PAYLOADS = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  "</style><script>alert(2)</script>",
  "</title><iframe src=//evil>",
  "javascript:alert(3)",
  "<!--",
  "]]><x-injected>",
];

/** Every tag the report's own templates write, and every attribute they give one. */
const TAGS = new Set(
  "html head meta title style body header main section h1 h2 h3 p dl dt dd code pre a table caption thead tbody tr th td ul li br time span strong figure figcaption svg desc line text rect circle path".split(
    " ",
  ),
);
const ATTRIBUTES = new Set(
  "lang charset name content id class href scope datetime aria-labelledby viewBox width height role font-family font-size font-weight fill x y x1 y1 x2 y2 cx cy r d stroke stroke-dasharray text-anchor".split(
    " ",
  ),
);

/** Every markup-shaped object and every string of the run replaced by hostile text, taking turns. */
function poisoned(value: unknown, counter: { n: number }): unknown {
  if (typeof value === "string") {
    const payload = PAYLOADS[counter.n++ % PAYLOADS.length] ?? "";
    return counter.n % 3 === 0 ? { markup: payload } : `${value}${payload}`;
  }
  if (Array.isArray(value)) return value.map((v) => poisoned(v, counter));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poisoned(v, counter)]));
  return value;
}

/** Problems with the page's tags: a tag or attribute no template writes, or an attribute not in double quotes. */
function foreignMarkup(page: string): string[] {
  const problems: string[] = [];
  const body = page.replace(/^<!doctype html>/, "");
  for (const tag of body.matchAll(/<(\/?)([^\s>/]*)([^>]*)>/g)) {
    const [whole, , name = "", rest = ""] = tag;
    if (!TAGS.has(name)) problems.push(`tag ${whole}`);
    const attributes = rest.replace(/\/$/, "");
    const pattern = /\s+([^\s=]+)="[^"]*"/y;
    let at = 0;
    for (let m = pattern.exec(attributes); m; m = pattern.exec(attributes)) {
      if (!ATTRIBUTES.has(m[1] ?? "")) problems.push(`attribute ${m[1] ?? ""} in ${whole}`);
      at = pattern.lastIndex;
    }
    if (attributes.slice(at).trim() !== "") problems.push(`unquoted attributes in ${whole}`);
  }
  if (/<!--|<!\[CDATA\[/.test(body)) problems.push("comment or CDATA");
  return problems;
}

describe("HTML report: results data cannot inject markup", () => {
  for (const name of ["escalated-run.json", "hostile-run.json", "real-run.json"]) {
    it(`renders ${name} with HTML in every string and markup-shaped objects as text`, () => {
      const run = poisoned(loadRunFixture(name), { n: 0 }) as RunResult;
      const page = renderHtml(run);
      expect(foreignMarkup(page)).to.deep.equal([]);
      expect(page).to.not.include("<script");
      expect(page).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(page).to.include("{&quot;markup&quot;:");
    });
  }

  it("still renders the report's own markup", () => {
    const page = renderHtml(loadRunFixture("escalated-run.json"));
    expect(foreignMarkup(page)).to.deep.equal([]);
    expect(page).to.include("<table>");
  });
});
