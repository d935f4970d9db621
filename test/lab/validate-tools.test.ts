import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { projectRoot } from "../../harness/core/paths.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-validate-tools-"));

function scenarioWith(name: string, steps: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      `id: ${name}`,
      "title: validate with the attacker's tools",
      "technique: T1595.001",
      "lab:",
      "  targets:",
      "    - name: web",
      "      kind: web",
      "steps:",
      ...steps,
      "expect:",
      "  logs: [firewall]",
      "  alerts:",
      "    - rule: ICMP Echo Sweep Seen by the Firewall",
      "",
    ].join("\n"),
  );
  return path;
}

function validate(path: string) {
  return spawnSync(process.execPath, [join(projectRoot, "bin", "scanproof.js"), "validate", path], {
    encoding: "utf8",
    timeout: 120_000,
  });
}

describe("validate checks with the attacker image's nmap (no lab, no network)", function () {
  it("refuses a range nmap expands past the lab, and a script that talks to third parties, at their lines", function () {
    const path = scenarioWith("tools-refused", [
      "  - tool: nmap",
      "    target: 10.20.0.250-255",
      '    args: ["-sn", "198.18.1.0-3"]',
      "  - tool: nmap",
      "    target: web",
      '    args: ["--script", "whois-ip"]',
    ]);
    const result = validate(path);
    expect(result.status, result.stdout + result.stderr).to.equal(3);
    expect(result.stderr).to.match(/:10:\d+: steps\[0\]\.target: nmap would scan 4 addresses outside/);
    expect(result.stderr).to.match(
      /:14:\d+: steps\[1\]\.args: the scripts "whois-ip" include whois-ip \(external\)/,
    );
  });

  it("accepts nmap's range and list notation inside the lab", function () {
    const path = scenarioWith("tools-accepted", [
      "  - tool: nmap",
      "    target: 10.20.0.10-12",
      '    args: ["-sn", "--exclude", "10.20.0.11", "198.18.0.1,2"]',
    ]);
    const result = validate(path);
    expect(result.status, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.include("checked with the attacker image's nmap and masscan");
  });
});
