import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { describeError, ScanproofError } from "./core/errors.js";
import { terminalText } from "./core/printable.js";
import { assertionsDir, scenariosDir } from "./core/paths.js";
import { CATALOGUE_END, CATALOGUE_START } from "./report/catalogue.js";
import { LiveView } from "./report/live.js";
import { mergeRunResults, resultsFile } from "./report/merge.js";
import { diffRuns, renderDiffJson, type RunDiff } from "./report/diff.js";
import { renderDiffMarkdown, renderDiffSummary } from "./report/diff-text.js";
import {
  diffEnvelopes,
  renderEnvelopeDiffMarkdown,
  renderEnvelopeDiffSummary,
} from "./report/envelope-diff.js";
import { envelopeFileOf, readEnvelopeResult } from "./report/envelope-files.js";
import { renderSummary } from "./report/terminal.js";
import { readRunResult, REPORT_FILES, writeReports } from "./report/write-reports.js";
import { overallVerdict } from "./result.js";
import { type ScenarioProgress } from "./result.js";
import { parseShard, selectShard, type Shard } from "./shard.js";
import { InputError, type Problem } from "./core/problems.js";
import type { EnvelopeCliOptions } from "./envelope/envelope-command.js";

/*
 * What only some commands need — the lab, Docker, Elasticsearch, the scenario schema — is imported
 * by those commands when they run, so that `diff`, `report` and `--help` start in a fraction of a second.
 */

/** Exit codes: 0 all passed, 1 a scenario failed, 2 a scenario errored, 3 bad input, 4 set-up or environment failed. */
export const EXIT = { ok: 0, failed: 1, error: 2, badInput: 3, environment: 4 } as const;

const DEFAULT_RULES = join(assertionsDir, "rules");
const DEFAULT_CONTEXT = join(assertionsDir, "context", "default.yaml");

function scenarioFiles(paths: readonly string[]): string[] {
  const inputs = paths.length > 0 ? paths : [scenariosDir];
  return inputs.flatMap((p) => {
    const full = resolve(p);
    try {
      return readdirSync(full)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(full, f));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return [full];
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        throw new ScanproofError(`${p}: no such scenario file or folder.`);
      throw error;
    }
  });
}

interface InputOptions {
  rules: string[];
  context: string;
  tag?: string[];
}

function withInputOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--rules <path...>",
        "rule files or folders (detection-rules TOML, Kibana NDJSON exports, Sigma YAML)",
      ).default([DEFAULT_RULES]),
    )
    .addOption(
      new Option("--context <file>", "escalation context (networks, asset inventory, allow-list)").default(
        DEFAULT_CONTEXT,
      ),
    )
    .option("--tag <tag...>", "only scenarios with one of these tags");
}

async function selected(paths: string[], options: InputOptions) {
  const { loadInputs } = await import("./run/inputs.js");
  const inputs = loadInputs({
    scenarioFiles: scenarioFiles(paths),
    rulePaths: options.rules,
    contextFile: options.context,
  });
  const scenarios = options.tag
    ? inputs.scenarios.filter((s) => s.tags.some((t) => options.tag?.includes(t)))
    : inputs.scenarios;
  if (scenarios.length === 0) throw new ScanproofError("No scenario matches.", "Check the paths and --tag.");
  return { ...inputs, scenarios };
}

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

function exitCodeOf(scenarios: Parameters<typeof overallVerdict>[0]): number {
  const verdict = overallVerdict(scenarios);
  return verdict === "pass" ? EXIT.ok : verdict === "fail" ? EXIT.failed : EXIT.error;
}

const EXIT_CODES_HELP = `
Exit codes:
  0  every scenario passed
  1  a scenario failed (an expectation did not hold)
  2  a scenario errored (the lab or a tool broke), or an unexpected error
  3  invalid input or arguments: nothing was started
  4  set-up or environment problem (Docker, images, Elasticsearch)
  130/143  interrupted by SIGINT/SIGTERM (everything created was removed)`;

const DIFF_EXIT_CODES_HELP = `
Exit codes:
  0  nothing moved
  1  something moved: a verdict, an alert, a tier, a reason, an expectation, a log source's accounting, a scenario or rule in one run only, an envelope boundary
  2  with --rules-changed: a scenario errored in either rule set's run (the comparison is incomplete), or an unexpected error
  3  invalid input or arguments (a results file that is not one names the file and what was expected)
  4  with --rules-changed: set-up or environment problem`;

interface DiffOptions {
  markdown?: string;
  json?: string;
}

/** Two envelopes' moved boundaries as the terminal summary, and as the Markdown and JSON files asked for. */
function reportEnvelopeDiff(
  before: string,
  after: string,
  envelopes: readonly (string | undefined)[],
  files: DiffOptions,
  io: CliIo,
): number {
  const [b, a] = envelopes;
  if (b === undefined || a === undefined) {
    const [notEnvelope] = [before, after].filter((_, i) => envelopes[i] === undefined);
    throw new InputError([
      {
        file: notEnvelope ?? "",
        line: 1,
        column: 1,
        path: "",
        message: "not an envelope (envelope.json): diff compares two envelopes or two runs, not one of each",
      },
    ]);
  }
  const diff = diffEnvelopes(
    { label: before, result: readEnvelopeResult(b) },
    { label: after, result: readEnvelopeResult(a) },
  );
  io.out(`${renderEnvelopeDiffSummary(diff)}\n`);
  if (files.markdown !== undefined) writeFileSync(files.markdown, renderEnvelopeDiffMarkdown(diff));
  if (files.json !== undefined) writeFileSync(files.json, `${JSON.stringify(diff, null, 2)}\n`);
  return diff.moves.length > 0 ? EXIT.failed : EXIT.ok;
}

/** A diff as the terminal summary, and as the Markdown and JSON files asked for. */
function reportDiff(diff: RunDiff, files: DiffOptions, io: CliIo): number {
  io.out(`${renderDiffSummary(diff)}\n`);
  if (files.markdown !== undefined) writeFileSync(files.markdown, renderDiffMarkdown(diff));
  if (files.json !== undefined) writeFileSync(files.json, renderDiffJson(diff));
  return diff.moved ? EXIT.failed : EXIT.ok;
}

/** Every problem of both rule sets and the scenarios at once, as a run reports its inputs'. */
async function loadBothRuleSets(scenarioPaths: string[], baseline: string, changed: string, context: string) {
  const { loadRules } = await import("./detection/rules/rule-loader.js");
  const problems: Problem[] = [];
  const collect = async <T>(load: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await load();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const inputs = await collect(() =>
    selected(scenarioPaths, {
      rules: [baseline],
      context,
      ...(scenarioPaths.length === 0 ? { tag: ["default"] } : {}),
    }),
  );
  const changedRules = await collect(() => Promise.resolve(loadRules([changed])));
  if (!inputs || !changedRules) throw new InputError(problems);
  return { inputs, changedRules };
}

/**
 * Runs the scenarios once, judges each lab's events by both rule sets, and diffs the two; the diff
 * is written beside both sets' results as diff.md and diff.json.
 */
async function diffRuleSets(
  scenarioPaths: string[],
  options: DiffOptions & {
    rulesBaseline: string;
    rulesChanged: string;
    context: string;
    concurrency: number;
    setup: boolean;
  },
  io: CliIo,
): Promise<number> {
  const { inputs, changedRules } = await loadBothRuleSets(
    scenarioPaths,
    options.rulesBaseline,
    options.rulesChanged,
    options.context,
  );
  const { runSetup } = await import("./setup/index.js");
  const { compareRuleSets } = await import("./run/run-scenarios.js");
  if (options.setup) await runSetup();
  const { baseline, changed } = await compareRuleSets({
    inputs,
    changedRules,
    concurrency: options.concurrency,
  });
  const diff = diffRuns(
    { label: `rules ${options.rulesBaseline}`, run: baseline },
    { label: `rules ${options.rulesChanged}`, run: changed },
  );
  const runDir = dirname(baseline.resultsDir);
  writeFileSync(join(runDir, "diff.md"), renderDiffMarkdown(diff));
  writeFileSync(join(runDir, "diff.json"), renderDiffJson(diff));
  const code = reportDiff(diff, options, io);
  io.out(
    `\nresults: ${baseline.resultsDir}, ${changed.resultsDir}\ndiff: ${join(runDir, "diff.md")}, ${join(runDir, "diff.json")}\n`,
  );
  const errored = [...baseline.scenarios, ...changed.scenarios].some((s) => s.verdict === "error");
  return errored ? EXIT.error : code;
}

/** Where the CLI writes: the process's streams, or a test's buffers. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** What the CLI prints can quote input files and the lab: it reaches the terminal without control sequences. */
const PROCESS_IO: CliIo = {
  out: (text) => process.stdout.write(terminalText(text)),
  err: (text) => process.stderr.write(terminalText(text)),
};

export async function main(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  let code: number = EXIT.ok;
  const usage = (message: string) => {
    io.err(`scanproof: ${message}\n`);
    code = EXIT.badInput;
  };
  const program = new Command("scanproof")
    .description("Prove that T1595 Active Scanning is logged, detected and escalated, end to end.")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError()
    .addHelpText("after", EXIT_CODES_HELP);

  program
    .command("setup")
    .description(
      "install and build everything a run needs: Docker engine, base and lab images, Elasticsearch (idempotent, cached)",
    )
    .action(async () => {
      const { runSetup } = await import("./setup/index.js");
      await runSetup();
    });

  program
    .command("doctor")
    .description("list what is present, what is missing, and the exact fix")
    .action(async () => {
      const { doctor } = await import("./doctor.js");
      for (const c of await doctor()) {
        io.out(`${c.ok ? "✔" : "✖"} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ""}\n`);
        if (!c.ok) code = EXIT.environment;
      }
    });

  withInputOptions(
    program.command("run").argument("[paths...]", "scenario files or folders (default: scenarios/)"),
  )
    .description("set up, then run scenarios in throwaway labs and print the verdicts")
    .option("--no-setup", "skip the set-up check")
    .option("--concurrency <n>", "scenarios run at once, each in its own lab", positiveInteger, 1)
    .option(
      "--shard <i/n>",
      "run only shard i of n (stable: sorted by id, dealt round-robin)",
      (text: string) => {
        try {
          return parseShard(text);
        } catch (error) {
          throw new InvalidArgumentError(describeError(error));
        }
      },
    )
    .option("--keep-lab", "leave the lab of a scenario that did not pass running, and say how to inspect it")
    .action(
      async (
        paths: string[],
        options: InputOptions & { setup: boolean; concurrency: number; shard?: Shard; keepLab?: true },
      ) => {
        const inputs = await selected(paths, options);
        const all = inputs.scenarios;
        const scenarios = options.shard ? selectShard(all, options.shard) : all;
        if (options.shard)
          io.err(
            `shard ${options.shard.index}/${options.shard.count}: ${scenarios.length} of ${all.length} scenarios\n`,
          );
        if (scenarios.length === 0) {
          io.out("nothing to run in this shard\n");
          return;
        }
        const { runSetup } = await import("./setup/index.js");
        const { runScenarios } = await import("./run/run-scenarios.js");
        const { describeLab } = await import("./lab-session.js");
        if (options.setup) await runSetup();
        const live = options.concurrency > 1 ? new LiveView(process.stderr) : undefined;
        const result = await runScenarios({
          inputs: { ...inputs, scenarios },
          concurrency: options.concurrency,
          keepLab: options.keepLab ?? false,
          ...(live ? { onProgress: (p: ScenarioProgress) => live.update(p) } : {}),
        }).finally(() => live?.stop());
        io.out(`\n${renderSummary(result)}\n`);
        io.out(`reports: ${REPORT_FILES.map((f) => join(result.resultsDir, f)).join(", ")}\n`);
        for (const s of result.scenarios)
          if (s.keptLab) io.out(`\n${describeLab({ ...s.keptLab, scenarioId: s.id })}\n`);
        code = exitCodeOf(result.scenarios);
      },
    );

  const lab = program.command("lab").description("keep a scenario's lab running while you iterate on rules");
  withInputOptions(lab.command("up").argument("<scenario>", "the scenario file whose lab to start"))
    .description(
      "start the scenario's lab and Elasticsearch, run its steps, print how to reach them; stay until Ctrl-C or `lab down`",
    )
    .option("--no-steps", "start the lab without running the scenario's steps")
    .action(async (scenario: string, options: InputOptions & { steps: boolean }) => {
      const { runSetup } = await import("./setup/index.js");
      const { labUp } = await import("./lab-session.js");
      await runSetup();
      await labUp({
        scenarioFile: scenario,
        rulePaths: options.rules,
        contextFile: options.context,
        steps: options.steps,
      });
    });
  lab
    .command("down")
    .argument("[run-ids...]", "runs to remove (default: every lab left by `lab up` or --keep-lab)")
    .description("remove labs left running, by their run label")
    .action(async (runIds: string[]) => {
      const { labDown } = await import("./lab-session.js");
      const removed = await labDown(runIds);
      io.out(removed.length > 0 ? `removed ${removed.join(", ")}\n` : "no lab is running\n");
    });

  withInputOptions(
    program.command("validate").argument("[paths...]", "scenario files or folders (default: scenarios/)"),
  )
    .description("check scenarios, rules and context without starting anything")
    .action(async (paths: string[], options: InputOptions) => {
      const { scenarios, rules } = await selected(paths, options);
      const { checkWithAttackerTools } = await import("./scenario/tool-check.js");
      const { newRunId } = await import("./run/run-scenarios.js");
      const tools = await checkWithAttackerTools(scenarios, newRunId());
      if (tools.checked && tools.problems.length > 0) throw new InputError(tools.problems);
      const notRun = rules.skipped.length + rules.esql.length;
      io.out(
        `✔ ${scenarios.length} scenarios, ${rules.rules.length} rules valid${notRun > 0 ? `, ${notRun} not run` : ""}\n`,
      );
      io.out(
        tools.checked
          ? "  every step's targets and scripts checked with the attacker image's nmap and masscan\n"
          : `  targets in nmap's range notation and script categories not checked here (${tools.why}); a run checks them before it scans\n`,
      );
      for (const s of rules.skipped) io.out(`  rule skipped: ${s.file}: ${s.reason}\n`);
      for (const r of rules.esql) {
        io.out(
          `  ES|QL rule: ${r.file}: runs where the backend answers _query (a run says when it does not)\n`,
        );
      }
      if (notRun > 0) io.out("rules not run, by reason:\n");
      const { skipReasonCounts } = await import("./detection/rules/skip-summary.js");
      for (const { reason, count } of skipReasonCounts(rules))
        io.out(`${String(count).padStart(6)}  ${reason}\n`);
    });

  withInputOptions(
    program.command("list").argument("[paths...]", "scenario files or folders (default: scenarios/)"),
  )
    .description("list the scenarios: id, technique, tags, title")
    .action(async (paths: string[], options: InputOptions) => {
      for (const s of (await selected(paths, options)).scenarios) {
        io.out(`${s.id}\t${s.technique}\t${s.tags.join(",")}\t${s.title}\n`);
      }
    });

  withInputOptions(
    program.command("catalogue").argument("[paths...]", "scenario files or folders (default: scenarios/)"),
  )
    .description(
      "print the scenario catalogue: a markdown table of each scenario's expectations (README.md's is this output)",
    )
    .option(
      "--readme <file>",
      `rewrite the catalogue between ${CATALOGUE_START} and ${CATALOGUE_END} in this markdown file instead`,
    )
    .action(async (paths: string[], options: InputOptions & { readme?: string }) => {
      const { scenarios, rules } = await selected(paths, options);
      const { renderCatalogue, replaceCatalogue, ruleNamesOf } = await import("./report/catalogue.js");
      const catalogue = renderCatalogue(scenarios, ruleNamesOf([...rules.rules, ...rules.esql]));
      if (options.readme === undefined) {
        io.out(catalogue);
        return;
      }
      const file = options.readme;
      writeFileSync(file, replaceCatalogue(readFileSync(file, "utf8"), catalogue, file));
      io.out(`${file}: catalogue of ${scenarios.length} scenarios written\n`);
    });

  program
    .command("schema")
    .description("print the JSON Schema of scenario files (scenarios/scenario.schema.json is this output)")
    .action(async () => {
      const { renderScenarioJsonSchema } = await import("./scenario/json-schema.js");
      io.out(renderScenarioJsonSchema());
    });

  const rules = program.command("rules").description("work on detection rules without a lab");
  rules
    .command("export")
    .argument("[paths...]", "rule files or folders: TOML, Kibana NDJSON exports (default: assertions/rules/)")
    .option("--ndjson <file>", "write the rules as NDJSON for Kibana's import API")
    .option("--toml <dir>", "write each rule as a detection-rules TOML file into this folder")
    .description("write rules as Kibana's import API takes them (NDJSON) and as detection-rules TOML")
    .action(async (paths: string[], options: { ndjson?: string; toml?: string }) => {
      if (options.ndjson === undefined && options.toml === undefined) {
        usage("give --ndjson <file>, --toml <dir> or both");
        return;
      }
      const { exportRules } = await import("./detection/rules/export-files.js");
      const result = exportRules(paths.length > 0 ? paths : [DEFAULT_RULES], options);
      io.out(result.lines.join("\n") + "\n");
    });
  rules
    .command("test")
    .argument("[paths...]", "rule files or folders (default: assertions/rules/)")
    .description("run each rule's fixture cases (tests/<rule file stem>.yaml beside it) in memory, no Docker")
    .action(async (paths: string[]) => {
      const { allPassed, renderRuleTests, runRuleTests } = await import("./detection/fixtures/rule-tests.js");
      const run = runRuleTests(paths.length > 0 ? paths : [DEFAULT_RULES]);
      io.out(`${renderRuleTests(run)}\n`);
      code = allPassed(run) ? EXIT.ok : EXIT.failed;
    });

  program
    .command("report")
    .argument("<results...>", "results.json files or run folders written by `scanproof run`")
    .option("--merge", "merge several shards' results into one run")
    .option(
      "--out <dir>",
      "where to write the reports (default: beside the results file; required with --merge)",
    )
    .description(
      "write the JUnit XML, JSON, ATT&CK Navigator layer and HTML report of a run again, or of merged shards",
    )
    .action((results: string[], options: { out?: string; merge?: true }) => {
      const problem =
        results.length > 1 && !options.merge
          ? "several results given: add --merge to merge shards"
          : options.merge && !options.out
            ? "--merge needs --out <dir> for the merged reports"
            : undefined;
      if (problem) {
        usage(problem);
        return;
      }
      const out = resolve(options.out ?? dirname(resolve(results[0] ?? ".")));
      const run = options.merge ? mergeRunResults(results, out) : readRunResult(results[0] ?? "");
      const files = writeReports(run, out);
      if (options.merge) io.out(`${renderSummary(run)}\n`);
      io.out(`${Object.values(files).join("\n")}\n`);
      if (options.merge) code = exitCodeOf(run.scenarios);
    });

  program
    .command("diff")
    .argument(
      "[inputs...]",
      "two results (results.json files or run folders) or two envelopes (envelope.json or its folder), before then after; with --rules-changed, scenario files or folders (default: the scenarios tagged default)",
    )
    .description(
      "what moved between two runs — verdicts, alerts by rule and source, tiers, escalation reasons, expectations, log accounting — or between two rule sets over the same lab events",
    )
    .option("--markdown <file>", "also write the diff as a Markdown comment for a pull request")
    .option("--json <file>", "also write the diff as JSON")
    .option("--rules-baseline <path>", "with --rules-changed: the rule folder or file before the change")
    .option(
      "--rules-changed <path>",
      "run the scenarios once, judge each lab's events by both rule sets, and diff the two",
    )
    .addOption(
      new Option("--context <file>", "with --rules-changed: the escalation context").default(DEFAULT_CONTEXT),
    )
    .option("--concurrency <n>", "with --rules-changed: scenarios run at once", positiveInteger, 1)
    .option("--no-setup", "with --rules-changed: skip the set-up check")
    .addHelpText("after", DIFF_EXIT_CODES_HELP)
    .action(
      async (
        inputs: string[],
        options: DiffOptions & {
          rulesBaseline?: string;
          rulesChanged?: string;
          context: string;
          concurrency: number;
          setup: boolean;
        },
      ) => {
        if ((options.rulesBaseline === undefined) !== (options.rulesChanged === undefined)) {
          usage("--rules-baseline and --rules-changed go together: the rule set before and after the change");
          return;
        }
        if (options.rulesBaseline === undefined || options.rulesChanged === undefined) {
          const [before, after, ...more] = inputs;
          if (before === undefined || after === undefined || more.length > 0) {
            usage(
              `diff compares two results (results.json files or run folders), before then after; ${inputs.length} given`,
            );
            return;
          }
          const envelopes = [envelopeFileOf(before), envelopeFileOf(after)];
          if (envelopes.some((e) => e !== undefined)) {
            code = reportEnvelopeDiff(before, after, envelopes, options, io);
            return;
          }
          const run = (path: string) => ({ label: path, run: readRunResult(resultsFile(path)) });
          code = reportDiff(diffRuns(run(before), run(after)), options, io);
          return;
        }
        code = await diffRuleSets(
          inputs,
          { ...options, rulesBaseline: options.rulesBaseline, rulesChanged: options.rulesChanged },
          io,
        );
      },
    );

  program
    .command("envelope")
    .description(
      "measure where each rule and detector stops detecting: per dimension of a scan (ports per target, targets per port, pace), the boundary by bisection with real scans in one lab",
    )
    .option(
      "--rules <path...>",
      "more rules to measure, each path its own contender set (any format scanproof loads)",
      [],
    )
    .option("--rule <id-or-name...>", "only these rules (rule_id or name) of every rule set")
    .addOption(
      new Option("--without <contenders...>", "leave out scanproof's pack, Elastic's rules, psad or scanlogd")
        .choices(["pack", "elastic", "psad", "scanlogd"])
        .default([]),
    )
    .addOption(
      new Option("--dimensions <names...>", "what to search")
        .choices(["vertical", "horizontal", "pace"])
        .default(["vertical", "horizontal", "pace"]),
    )
    .option("--max-ports <n>", "vertical: the most ports per target searched", positiveInteger, 300)
    .option("--max-targets <n>", "horizontal: the most DMZ addresses searched", positiveInteger, 150)
    .option("--max-delay <ms>", "pace: the longest delay between probes searched", positiveInteger, 1500)
    .option("--pace-ports <n>", "pace: ports every pace point scans", positiveInteger, 120)
    .option("--max-points <n>", "at most this many points per dimension", positiveInteger)
    .addOption(
      new Option(
        "--source <where>",
        "who scans: the outside attacker, or an insider on the LAN (a private address)",
      )
        .choices(["outside", "lan"])
        .default("outside"),
    )
    .option(
      "--out <dir>",
      "where to write envelope.json, .html, .md and the charts (default: the run's folder)",
    )
    .option(
      "--rules-baseline <path>",
      "with --rules-changed: measure this rule set and the changed one in one lab and report which boundaries moved",
    )
    .option("--rules-changed <path>", "with --rules-baseline: the rule set after the change")
    .option("--no-setup", "skip the set-up check")
    .action(async (options: EnvelopeCliOptions) => {
      if ((options.rulesBaseline === undefined) !== (options.rulesChanged === undefined)) {
        usage("--rules-baseline and --rules-changed go together: the rule set before and after the change");
        return;
      }
      const { runEnvelopeCommand } = await import("./envelope/envelope-command.js");
      if (options.setup) await (await import("./setup/index.js")).runSetup();
      const { text, moved } = await runEnvelopeCommand(options);
      io.out(`${text}\n`);
      if (moved) code = EXIT.failed;
    });

  program
    .command("prune")
    .description(
      "remove what runs whose harness process was killed left behind (or one run's, or everything scanproof labelled)",
    )
    .option("--run <id>", "only this run, whether or not it is still going")
    .option("--all", "everything scanproof labelled, including labs of runs still going")
    .action(async (options: { run?: string; all?: boolean }) => {
      const { prune, pruneOrphans } = await import("./lab/prune.js");
      if (options.run || options.all) {
        const removed = await prune(options.run);
        io.out(`removed ${removed.containers} containers and ${removed.networks} networks\n`);
        return;
      }
      const removed = await pruneOrphans();
      io.out(
        `removed ${removed.containers} containers and ${removed.networks} networks of ${removed.runs.length} runs whose harness is gone${removed.runs.length ? ` (${removed.runs.join(", ")})` : ""}\n`,
      );
    });

  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (error instanceof InputError) {
      io.err(`scanproof: invalid input, nothing was started:\n${error.message}\n`);
      return EXIT.badInput;
    }
    io.err(`scanproof: ${describeError(error)}\n`);
    return error instanceof ScanproofError ? EXIT.environment : EXIT.error;
  }
}
