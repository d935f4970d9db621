import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { cidrContains, formatIPv4, parseStrictRange } from "../../harness/core/addresses.js";
import { ScanproofError } from "../../harness/core/errors.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { DMZ, OUTSIDE } from "../../harness/lab/segments.js";
import { runChecked } from "../../harness/core/process.js";
import { NMAP_LONG_OPTION_NAMES, parseNmapCommandLine } from "../../harness/scanners/nmap-options.js";
import { builtLabImage } from "../../harness/setup/lab-images.js";

const SEPARATOR = "\u001f";

/**
 * Runs `nmap -sL -n <args>` once per case in a network-less copy of the attacker image (a list
 * scan sends nothing, and there is no network to send on) and returns what nmap printed for each.
 */
async function nmapOutputs(cases: readonly (readonly string[])[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "scanproof-nmap-agreement-"));
  writeFileSync(join(dir, "cases"), cases.map((c) => c.join(SEPARATOR)).join("\n") + "\n");
  const script = [
    `while IFS= read -r line; do`,
    `  set -f; IFS=$(printf '\\037'); set -- $line; unset IFS`,
    `  timeout 5 nmap -sL -n -oG - "$@" 2>&1 | head -n 300`,
    `  echo "@@end@@"`,
    `done < /cases/cases`,
  ].join("\n");
  const stdout = await runChecked("docker", [
    "run",
    "--rm",
    "--network",
    "none",
    "-v",
    `${dir}:/cases:ro`,
    await builtLabImage("attacker"),
    "sh",
    "-c",
    script,
  ]);
  return stdout.split("@@end@@\n").slice(0, cases.length);
}

const listed = (output: string) => [...output.matchAll(/^Host: (\S+) /gm)].map((m) => m[1] ?? "");

/** Parse errors nmap's getopt prints: what nmap refuses to read as an option at all. */
const NMAP_PARSE_ERROR =
  /unrecognized option|invalid option|is ambiguous|requires an argument|doesn't allow an argument/;

describe("the scope guard and nmap agree (attacker image's nmap, no network)", function () {
  const guard = new ScopeGuard([OUTSIDE.subnet, DMZ.subnet], new Map([["web", "10.20.0.10"]]));

  it("reads every strict address or CIDR exactly as nmap does, and leaves every other notation to nmap's listing", async function () {
    const octet = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map(String),
      fc.integer({ min: 0, max: 255 }).map((n) => `0${n}`),
      fc.integer({ min: 0, max: 255 }).map((n) => n.toString(8).padStart(3, "0")),
      fc.constantFrom("*", "1-3", "0-2,7", "10", "20", "18", "198"),
    );
    const notation = fc.oneof(
      fc.tuple(octet, octet, octet, octet).map((o) => o.join(".")),
      fc
        .tuple(
          fc.constantFrom("10.20.0", "198.18.0", "10.20.1", "012.024.0"),
          fc.integer({ min: 0, max: 255 }),
          fc.integer({ min: 22, max: 32 }),
        )
        .map(([p, h, bits]) => `${p}.${h}/${bits}`),
      fc.constantFrom(
        "10.20.0.10-12",
        "10.20.0.250-255,198.18.1.0-3",
        "134744072",
        "10.20.10",
        "0x0a.20.0.10",
      ),
    );
    const specs = fc.sample(notation, { numRuns: 150, seed: 1595 });
    const outputs = await nmapOutputs(specs.map((s) => [s]));
    const disagreements: string[] = [];
    specs.forEach((spec, i) => {
      const byNmap = listed(outputs[i] ?? "");
      let accepted: string;
      try {
        accepted = guard.nmapTarget(spec, "steps[0].target");
      } catch (error) {
        if (!(error instanceof ScanproofError)) throw error;
        const strict = parseStrictRange(spec);
        if (strict.ok && byNmap.every((a) => [OUTSIDE.subnet, DMZ.subnet].some((s) => inSubnet(s, a))))
          disagreements.push(`${spec}: refused although nmap lists only lab addresses ${byNmap.join(",")}`);
        return;
      }
      const strict = parseStrictRange(accepted);
      if (!strict.ok) return;
      const size = 2 ** (32 - strict.value.prefix);
      const expected = Array.from({ length: size }, (_, k) => formatIPv4(strict.value.network + k));
      if (JSON.stringify(byNmap) !== JSON.stringify(expected))
        disagreements.push(
          `${spec}: the guard reads ${expected.length} addresses from ${expected[0] ?? ""}, nmap ${byNmap.length} from ${byNmap[0] ?? "none"}`,
        );
    });
    expect(disagreements).to.deep.equal([]);
  });

  it("reads an option spelling as an option exactly when nmap does", async function () {
    const spelling = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(...NMAP_LONG_OPTION_NAMES),
          fc.integer({ min: 1, max: 20 }),
          fc.constantFrom("-", "--"),
          fc.boolean(),
        )
        .map(([name, length, dashes, attached]) => [
          `${dashes}${name.slice(0, length)}${attached ? "=1" : ""}`,
          "1",
        ]),
      fc
        .array(fc.constantFrom(..."46AFfhIinqRrVbDegiMmopSTdOPsvZzYxL".split("")), {
          minLength: 1,
          maxLength: 4,
        })
        .map((letters) => [`-${letters.join("")}`, "1"]),
    );
    const cases = fc.sample(spelling, { numRuns: 250, seed: 1595 });
    const outputs = await nmapOutputs(cases);
    const disagreements: string[] = [];
    cases.forEach((args, i) => {
      const nmapRefused = NMAP_PARSE_ERROR.test(outputs[i] ?? "");
      let ours = false;
      try {
        parseNmapCommandLine(args, "w");
      } catch {
        ours = true;
      }
      if (ours !== nmapRefused)
        disagreements.push(
          `${args.join(" ")}: nmap ${nmapRefused ? "refuses" : "accepts"} it, the guard ${ours ? "refuses" : "accepts"} it (${(outputs[i] ?? "").split("\n")[0] ?? ""})`,
        );
    });
    expect(disagreements).to.deep.equal([]);
  });
});

function inSubnet(subnet: string, address: string): boolean {
  const range = parseStrictRange(subnet);
  const parsed = parseStrictRange(address);
  return range.ok && parsed.ok && cidrContains(range.value, parsed.value.network);
}
