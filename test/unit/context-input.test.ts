import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { inRanges, loadContext } from "../../harness/context/context.js";
import { formatProblem, type Problem } from "../../harness/core/problems.js";
import { inputErrorOf, shownAs } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-context-"));
let written = 0;

function yamlFile(lines: readonly string[], name = `context-${written++}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

function problemsOf(lines: readonly string[]): Problem[] {
  return [...inputErrorOf(() => loadContext(yamlFile(lines))).problems];
}

function problemAt(lines: readonly string[], path: string): Problem {
  const problems = problemsOf(lines);
  const found = problems.find((p) => p.path === path);
  expect(found, JSON.stringify(problems)).to.not.equal(undefined);
  return found as Problem;
}

describe("context files: addresses and ranges", () => {
  const networks = (range: string) => ["internal_networks:", `  - ${range}`];

  for (const [range, reason] of [
    ["10/8", "has 1 of the 4 octets"],
    ["10.0/16", "has 2 of the 4 octets"],
    ["012.0.0.0/8", "leading zero"],
    ["10.0.0.0/33", "above 32"],
    ["10.0.0.0/08", "leading zero"],
    ["10.0.0.256/32", "above 255"],
    ["10.20.0.5/24", "host bits set: the network is 10.20.0.0/24"],
    ['"10.0.0.0 /8"', "has spaces around it"],
  ] as const) {
    it(`refuses internal network ${range} at its line, saying why`, () => {
      const p = problemAt(networks(range), "internal_networks[0]");
      expect(p).to.include({ line: 2, column: 5 });
      expect(p.message).to.include(reason).and.include("expected an IPv4 address or CIDR such as 10.0.0.0/8");
    });
  }

  it("refuses IPv6 ranges with the reason instead of never matching them", () => {
    const p = problemAt(networks('"fd00::/8"'), "internal_networks[0]");
    expect(p.message).to.equal("IPv6 is not supported in context files; the lab is IPv4");
  });

  it("refuses a bad address in the allow list and an asset", () => {
    const problems = problemsOf([
      "internal_networks: [10.0.0.0/8]",
      "assets:",
      "  - name: bastion",
      "    address: 010.20.0.11",
      "    criticality: high",
      "    why: entry point",
      "allow_list:",
      "  - source: 198.18/28",
      "    owner: red team",
      "    purpose: test",
    ]);
    expect(problems.map((p) => [p.line, p.path])).to.deep.equal([
      [4, "assets[0].address"],
      [8, "allow_list[0].source"],
    ]);
    expect(problems[0]?.message).to.include("leading zero").and.include("expected an IPv4 address such as");
  });

  it("refuses a bad range in the intel file, in that file", () => {
    const intel = yamlFile(
      [
        "addresses:",
        "  - source: 198.19.0.0/15",
        "    category: scanner",
        "    confidence: 90",
        "    last_seen: 2026-11-01",
        "  - source: 2001:db8::1",
        "    category: scanner",
        "    confidence: 90",
        "    last_seen: 2026-11-01",
      ],
      "intel.yaml",
    );
    const problems = problemsOf(["internal_networks: [10.0.0.0/8]", "enrichment:", "  intel: intel.yaml"]);
    expect(problems.map((p) => [p.file, p.line, p.path])).to.deep.equal([
      [shownAs(intel), 2, "addresses[0].source"],
      [shownAs(intel), 6, "addresses[1].source"],
    ]);
    expect(problems[0]?.message).to.include("the network is 198.18.0.0/15");
    expect(problems[1]?.message).to.equal("IPv6 is not supported in intel files; the lab is IPv4");
  });

  it("keeps strictly written ranges as written, and matches them", () => {
    const context = loadContext(yamlFile(networks("0.0.0.0/0").concat(["  - 10.20.0.5"])));
    expect(context.internal_networks).to.deep.equal(["0.0.0.0/0", "10.20.0.5"]);
    expect(inRanges("203.0.113.9", context.internal_networks)).to.equal(true);
    expect(inRanges("0.0.0.10", ["10/8"])).to.equal(false);
  });
});

describe("context files: fields that contradict each other", () => {
  it("refuses an allow-list window that ends before it starts", () => {
    const lines = [
      "internal_networks: [10.0.0.0/8]",
      "allow_list:",
      "  - source: 198.18.0.0/28",
      "    owner: red team",
      "    purpose: external penetration test",
      "    valid_from: 2026-11-30",
      "    valid_until: 2026-11-01",
    ];
    const path = yamlFile(lines);
    const { problems } = inputErrorOf(() => loadContext(path));
    expect(problems).to.have.lengthOf(1);
    expect(formatProblem(problems[0] as Problem)).to.equal(
      `${shownAs(path)}:7:18: allow_list[0].valid_until: 2026-11-01 is before valid_from (2026-11-30); expected the last day of the window, on or after its first`,
    );
  });

  it("accepts a one-day window", () => {
    const context = loadContext(
      yamlFile([
        "internal_networks: [10.0.0.0/8]",
        "allow_list:",
        "  - { source: 198.18.0.1, owner: a, purpose: b, valid_from: 2026-11-01, valid_until: 2026-11-01 }",
      ]),
    );
    expect(context.allow_list).to.have.lengthOf(1);
  });

  for (const key of ["history_window", "escalation.activity_window", "escalation.exploit_window"]) {
    it(`refuses a ${key} of zero`, () => {
      const [parent, child] = key.split(".");
      const lines =
        child === undefined
          ? ["internal_networks: [10.0.0.0/8]", `${key}: 0s`]
          : ["internal_networks: [10.0.0.0/8]", `${parent}:`, `  ${child}: 0m`];
      const p = problemAt(lines, key);
      expect(p.line).to.equal(lines.length);
      expect(p.message).to.include("longer than zero");
    });
  }

  function patternProblems(pattern: readonly string[]): Problem[] {
    const file = yamlFile(
      [
        "patterns:",
        "  - name: sweep",
        "    tool: x",
        "    description: y",
        "    confidence: low",
        ...pattern,
      ],
      `patterns-${written++}.yaml`,
    );
    return problemsOf([
      "internal_networks: [10.0.0.0/8]",
      "enrichment:",
      `  scanning_patterns: ${file.split("/").at(-1) ?? ""}`,
    ]);
  }

  it("refuses a pattern whose minimum ports are above its maximum", () => {
    const problems = patternProblems(["    min_ports: 100", "    max_ports: 10"]);
    expect(problems.map((p) => [p.line, p.path])).to.deep.equal([[6, "patterns[0].min_ports"]]);
    expect(problems[0]?.message).to.equal(
      "100 is above max_ports (10), so the pattern can never match; expected min_ports ≤ max_ports",
    );
  });

  it("refuses a pattern whose minimum rate is above its maximum", () => {
    const problems = patternProblems(["    min_rate: 50", "    max_rate: 0.5"]);
    expect(problems.map((p) => [p.line, p.path])).to.deep.equal([[6, "patterns[0].min_rate"]]);
  });

  it("refuses a pattern asking for more ports than its port list holds", () => {
    const problems = patternProblems(['    ports: "23,2323"', "    min_ports: 3"]);
    expect(problems.map((p) => [p.line, p.path])).to.deep.equal([[7, "patterns[0].min_ports"]]);
    expect(problems[0]?.message).to.include("the 2 ports the pattern allows");
  });

  it("accepts equal bounds", () => {
    const file = yamlFile(
      [
        "patterns:",
        "  - { name: one, tool: x, description: y, confidence: low, min_ports: 5, max_ports: 5, min_rate: 1, max_rate: 1 }",
      ],
      "patterns-equal.yaml",
    );
    const context = loadContext(
      yamlFile([
        "internal_networks: [10.0.0.0/8]",
        "enrichment:",
        `  scanning_patterns: ${file.split("/").at(-1) ?? ""}`,
      ]),
    );
    expect(context.patterns?.patterns).to.have.lengthOf(1);
  });
});
