import { expect } from "chai";
import { renderHtml } from "../../harness/report/html.js";
import { loadRunFixture } from "./fixture-helpers.js";

/** The HTML of one scenario's section, up to the next section. */
function sectionOf(page: string, id: string): string {
  const start = page.indexOf(`<section id="scenario-${id}"`);
  expect(start, `section of ${id}`).to.be.greaterThan(-1);
  const end = page.indexOf("</section>", start);
  return page.slice(start, end);
}

function controlCharacters(text: string): string[] {
  return Array.from(text).filter((char) => {
    const c = char.codePointAt(0) ?? 0;
    return (c < 0x20 && char !== "\t" && char !== "\n" && char !== "\r") || (c >= 0x7f && c < 0xa0);
  });
}

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

describe("HTML report", () => {
  const real = loadRunFixture("real-run.json");
  const hostile = loadRunFixture("hostile-run.json");
  const realPage = renderHtml(real);
  const hostilePage = renderHtml(hostile);

  it("names every scenario", () => {
    for (const [run, page] of [
      [real, realPage],
      [hostile, hostilePage],
    ] as const) {
      for (const s of run.scenarios) expect(page).to.include(`id="scenario-${s.id}"`);
    }
  });

  it("shows the run id, backend, overall verdict and counts in the header", () => {
    const header = realPage.slice(0, realPage.indexOf("</header>")).replace(/\s+/g, " ");
    expect(header).to.include("20261128-133647-e5cb");
    expect(header).to.include("embedded Elasticsearch 8.19.21");
    expect(header).to.include("! ERROR");
    expect(header).to.include("2 passed, 0 failed, 1 errored, of");
  });

  it("gives every verdict a text label next to its colour", () => {
    expect(hostilePage).to.include('<span class="verdict verdict-fail">✗ FAIL</span>');
    expect(hostilePage).to.include('<span class="verdict verdict-error">! ERROR</span>');
    expect(hostilePage).to.include('<span class="verdict verdict-pass">✓ PASS</span>');
  });

  it("renders hostile strings visibly escaped, never as markup", () => {
    expect(hostilePage).not.to.match(/<script/i);
    expect(hostilePage).not.to.match(/<img/i);
    expect(hostilePage).not.to.include("<b>");
    expect(hostilePage).to.include("&lt;script&gt;alert(&quot;ua&quot;)&lt;/script&gt;");
    expect(hostilePage).to.include("scan failed: \uFFFD&lt;b&gt;&quot;&amp;");
    expect(hostilePage).to.include(
      "Wordlist scan with a &quot;hostile&quot; &lt;User-Agent&gt; &amp; friends",
    );
  });

  it("strips ANSI escape sequences and replaces control characters", () => {
    expect(hostilePage).not.to.include("\u001b");
    expect(hostilePage).not.to.match(/\[(?:31|0|1)m/);
    expect(controlCharacters(hostilePage)).to.deep.equal([]);
    expect(hostilePage).to.include("&lt;/script&gt;red");
  });

  it("draws one timeline per scenario that has ground truth", () => {
    for (const [run, page] of [
      [real, realPage],
      [hostile, hostilePage],
    ] as const) {
      expect(count(page, /<svg\b/g)).to.equal(run.scenarios.filter((s) => s.groundTruth.length > 0).length);
    }
    expect(sectionOf(realPage, "out-of-scope-target")).not.to.include("<svg");
  });

  it("marks steps, each source's arrival and the alert with its tier on the timeline", () => {
    const section = sectionOf(hostilePage, "hostile-fail");
    expect(section).to.include("step 1: http, 2 probes sent");
    expect(section).to.include("all firewall events searchable");
    expect(section).to.include("all web events searchable");
    expect(section).to.match(/<\/path\s*>\s*<text [^>]*>l1<\/text>/);
  });

  it("lists failed expectations before those that held", () => {
    const section = sectionOf(hostilePage, "hostile-fail");
    expect(section.indexOf("logs.web.events")).to.be.lessThan(section.indexOf("logs.firewall.events"));
  });

  it("shows alerts with rule, source → destination, tier and reasons", () => {
    const section = sectionOf(realPage, "nmap-syn-top1000");
    expect(section).to.include("Vertical Port Scan Seen by the Firewall");
    expect(section).to.include("198.18.0.10 → 10.20.0.10");
    expect(section).to.include('<span class="tier tier-tier2">tier2</span>');
    expect(section).to.include(
      "<code>external-never-seen</code>: 198.18.0.10 is outside the internal networks",
    );
  });

  it("gives each alert its next action, and a Tier 2 alert links to its incident reports", () => {
    const escalated = loadRunFixture("escalated-run.json");
    const [scenario] = escalated.scenarios;
    const alert = scenario?.alerts[0];
    const section = sectionOf(renderHtml(escalated), scenario?.id ?? "");
    expect(section).to.include(alert?.nextAction?.message.slice(0, 40));
    const incident = `incidents/${scenario?.id}/${alert?.id}`;
    expect(section).to.include(
      `<a href="${incident}.md">Incident report</a> (<a href="${incident}.json">JSON</a>)`,
    );
  });

  it("links no incident report for an alert that was not escalated to Tier 2", () => {
    const page = renderHtml(hostile);
    expect(hostile.scenarios.flatMap((s) => s.alerts).some((a) => a.tier !== "tier2")).to.equal(true);
    expect(page).to.not.include("Incident report");
  });

  it("shows each log source's written, indexed, unparsed and expected versus seen events", () => {
    const section = sectionOf(hostilePage, "hostile-fail");
    expect(section).to.match(
      /<th scope="row">web<\/th>\s*<td class="number">2<\/td>\s*<td class="number">1<\/td>\s*<td class="number">1<\/td>\s*<td class="number">1\/2<\/td>\s*<td class="number">3\.1 s<\/td>/,
    );
  });

  it("references no external resource", () => {
    for (const page of [realPage, hostilePage]) {
      expect(page).not.to.match(/\b(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i);
      expect(page).not.to.match(/@import|url\(/i);
    }
  });

  it("is an accessible document: language, headings, table headers", () => {
    expect(realPage).to.match(/^<!doctype html>\s*<html lang="en">/);
    expect(realPage).to.include("<h1>");
    expect(count(realPage, /<h2 /g)).to.equal(real.scenarios.length);
    expect(realPage).to.include('<th scope="col">Verdict</th>');
    expect(realPage.replace(/\s+/g, " ")).to.match(
      /<svg [^>]*role="img" aria-labelledby="timeline-0-title timeline-0-desc"/,
    );
  });
});
