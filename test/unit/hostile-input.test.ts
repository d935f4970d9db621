import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { stringify as toToml } from "smol-toml";
import { stringify as toYaml } from "yaml";
import { loadRuleFile } from "../../harness/detection/rules/rule-loader.js";
import { MAX_INPUT_BYTES } from "../../harness/core/input-files.js";
import { assertionsDir, projectRoot, scenariosDir } from "../../harness/core/paths.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { InputError } from "../../harness/core/problems.js";
import { fixture, shownAs } from "./fixture-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-hostile-"));
let written = 0;

/** Writes `text` to a fresh file and returns its path. */
function file(text: string, extension: string): string {
  const path = join(dir, `input-${written++}.${extension}`);
  writeFileSync(path, text);
  return path;
}

/**
 * Loads `path` and checks the only two acceptable outcomes: a value, or an InputError whose every
 * problem names the file and a real position. Anything else thrown fails the property.
 */
function loadsOrExplains(load: (path: string) => unknown, path: string): InputError | undefined {
  try {
    load(path);
    return undefined;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    expect(error.problems).to.not.be.empty;
    for (const p of error.problems) {
      expect(p.file).to.equal(shownAs(path));
      expect(p.line).to.be.at.least(1);
      expect(p.column).to.be.at.least(1);
      expect(p.message).to.be.a("string").and.not.equal("");
    }
    return error;
  }
}

const scenarioTexts = readdirSync(scenariosDir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => readFileSync(join(scenariosDir, f), "utf8"));
const ruleTexts = [join(assertionsDir, "rules"), fixture("rules")]
  .flatMap((folder) => readdirSync(folder, { recursive: true, encoding: "utf8" }).map((f) => join(folder, f)))
  .filter((f) => f.endsWith(".toml"))
  .map((f) => readFileSync(f, "utf8"));

/** Characters that carry meaning in YAML or TOML, to paste into valid files. */
const SYNTAX = [
  ":",
  "- ",
  "[",
  "]",
  "{",
  "}",
  "&a ",
  "*a",
  "!!str ",
  "|",
  ">",
  "'",
  '"',
  "#",
  "=",
  "[[",
  "]]",
  '"""',
  "'''",
  "\n",
  "\n  ",
  "\t",
  "\\",
  "\u0000",
  "\uFEFF",
];

/** A text with one slice cut out and one piece of syntax pasted in. */
function mutations(texts: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...texts), fc.nat(), fc.nat(), fc.constantFrom(...SYNTAX, ""))
    .map(([text, at, length, insert]) => {
      const start = at % (text.length + 1);
      return text.slice(0, start) + insert + text.slice(start + (length % 40));
    });
}

/** A JSON value placed at a random depth of a valid document: added to a list or map, or replacing a leaf. */
function withValueAt(document: unknown, path: readonly number[], key: string, value: unknown): unknown {
  if (typeof document !== "object" || document === null) return value;
  if (Array.isArray(document)) {
    const list = document as unknown[];
    const [step = 0, ...rest] = path;
    if (list.length === 0 || path.length === 0) return [...list, value];
    const at = step % list.length;
    return list.map((v, i) => (i === at ? withValueAt(v, rest, key, value) : v));
  }
  const map = document as Record<string, unknown>;
  const names = Object.keys(map);
  const [step = 0, ...rest] = path;
  if (names.length === 0 || path.length === 0) return { ...map, [key]: value };
  const name = names[step % names.length] ?? "";
  return { ...map, [name]: withValueAt(map[name], rest, key, value) };
}

describe("hostile and malformed input", function () {
  this.timeout(120_000);

  describe("scenario loader (fast-check)", () => {
    const load = (path: string) => loadScenario(path);

    it("never crashes on arbitrary text", () => {
      fc.assert(
        fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
          loadsOrExplains(load, file(text, "yaml"));
        }),
        { numRuns: 300 },
      );
    });

    it("never crashes on arbitrary YAML documents of any shape and type", () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
          loadsOrExplains(load, file(toYaml(value), "yaml"));
        }),
        { numRuns: 300 },
      );
    });

    it("never crashes on the shipped scenarios with a piece cut out or YAML syntax pasted in", () => {
      fc.assert(
        fc.property(mutations(scenarioTexts), (text) => {
          loadsOrExplains(load, file(text, "yaml"));
        }),
        { numRuns: 500 },
      );
    });

    it("accepts the valid scenario the next properties start from", () => {
      expect(loadsOrExplains(load, file(toYaml(loadScenarioDocument()), "yaml"))).to.equal(undefined);
    });

    it("never crashes on a value of any type anywhere in a valid scenario", () => {
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), (path, value) => {
          const document = withValueAt(loadScenarioDocument(), path, "id", value);
          loadsOrExplains(load, file(toYaml(document), "yaml"));
        }),
        { numRuns: 300 },
      );
    });

    it("reports an unknown key at any depth of a valid scenario, naming it", () => {
      fc.assert(
        fc.property(
          fc.array(fc.nat(), { maxLength: 4 }),
          fc.stringMatching(/^zz[a-z_]{1,12}$/),
          (path, key) => {
            const document = withValueAt(loadScenarioDocument(), path, key, 1);
            const error = loadsOrExplains(load, file(toYaml(document), "yaml"));
            if (JSON.stringify(document).includes(`"${key}":`))
              expect(error?.message).to.include(`unknown key "${key}"`);
          },
        ),
        { numRuns: 200 },
      );
      const top = loadsOrExplains(load, file(toYaml({ ...loadScenarioDocument(), zzsurprise: 1 }), "yaml"));
      expect(top?.message).to.include('unknown key "zzsurprise"');
    });
  });

  describe("rule loader (fast-check)", () => {
    const load = (path: string) => loadRuleFile(path);

    it("never crashes on arbitrary text", () => {
      fc.assert(
        fc.property(fc.string({ unit: "binary", maxLength: 400 }), (text) => {
          loadsOrExplains(load, file(text, "toml"));
        }),
        { numRuns: 300 },
      );
    });

    it("never crashes on arbitrary TOML documents", () => {
      const table = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), {
        maxKeys: 6,
      });
      fc.assert(
        fc.property(fc.record({ rule: table, metadata: table }, { requiredKeys: [] }), (document) => {
          let text: string;
          try {
            text = toToml(document);
          } catch {
            return;
          }
          loadsOrExplains(load, file(text, "toml"));
        }),
        { numRuns: 300 },
      );
    });

    it("never crashes on real rules with a piece cut out or TOML syntax pasted in", () => {
      fc.assert(
        fc.property(mutations(ruleTexts), (text) => {
          loadsOrExplains(load, file(text, "toml"));
        }),
        { numRuns: 500 },
      );
    });
  });

  describe("files that are no input at all", () => {
    const oneProblem = (load: (path: string) => unknown, path: string): string => {
      const error = loadsOrExplains(load, path);
      expect(error?.problems).to.have.length(1);
      return error?.problems[0]?.message ?? "";
    };

    it("refuses files larger than a megabyte before reading them", () => {
      const huge = "#".repeat(MAX_INPUT_BYTES + 1);
      expect(oneProblem(loadScenario, file(huge, "yaml"))).to.include(`larger than ${MAX_INPUT_BYTES} bytes`);
      expect(oneProblem(loadRuleFile, file(huge, "toml"))).to.include(`larger than ${MAX_INPUT_BYTES} bytes`);
    });

    it("refuses devices, pipes and folders instead of reading them forever", () => {
      for (const path of ["/dev/zero", "/dev/urandom", dir]) {
        expect(oneProblem(loadScenario, path)).to.equal("is not a regular file");
        expect(oneProblem(loadRuleFile, path)).to.equal("is not a regular file");
      }
    });

    it("refuses a YAML alias bomb instead of expanding it", () => {
      const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 9; i++) {
        const name = String.fromCharCode(97 + i);
        const previous = String.fromCharCode(96 + i);
        levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
      }
      expect(oneProblem(loadScenario, file(levels.join("\n"), "yaml"))).to.match(/at most 100 alias uses/);
    });

    it("reports nesting deeper than the parsers go as a problem of the file", () => {
      expect(loadsOrExplains(loadScenario, file(`a: ${"[".repeat(50_000)}`, "yaml"))).to.be.instanceOf(
        InputError,
      );
      expect(loadsOrExplains(loadRuleFile, file(`a = ${"[".repeat(50_000)}`, "toml"))).to.be.instanceOf(
        InputError,
      );
    });

    it("makes `scanproof validate` exit with 3 and name the file, never with a stack trace", () => {
      const bomb = file(
        readFileSync(fixture("scenarios", "unit", "valid-minimal.yaml"), "utf8") + "\0\u001b[31m",
        "yaml",
      );
      const run = spawnSync(
        process.execPath,
        [join(projectRoot, "bin", "scanproof.js"), "validate", bomb, "/dev/zero"],
        {
          encoding: "utf8",
        },
      );
      expect(run.status, run.stderr).to.equal(3);
      expect(run.stderr).to.include("invalid input, nothing was started");
      expect(run.stderr).to.include(`${shownAs("/dev/zero")}:1:1: is not a regular file`);
      expect(run.stderr).not.to.match(/\n\s+at /);
      expect(run.stderr).not.to.include("\u001b");
    });
  });
});

function loadScenarioDocument(): Record<string, unknown> {
  return {
    id: "fuzzed",
    title: "A scenario to break",
    technique: "T1595.001",
    tags: ["fuzz"],
    lab: { targets: [{ name: "web", kind: "web" }] },
    steps: [{ tool: "nmap", target: "web", args: ["-n", "-sS", "-p", "80"] }],
    expect: { logs: ["firewall"], alerts: [{ rule: "some-rule", count: 1, reasons: ["a"] }] },
  };
}
