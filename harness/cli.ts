import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { describeError, ScanproofError } from "./errors.js";
import { assertionsDir, scenariosDir } from "./paths.js";
import { prune, pruneOrphans } from "./prune.js";
import { renderSummary } from "./report/terminal.js";
import { readRunResult, REPORT_FILES, writeReports } from "./report/write-reports.js";
import { overallVerdict } from "./result.js";
import { loadInputs, runScenarios } from "./run.js";
import { renderScenarioJsonSchema } from "./scenario/json-schema.js";
import { InputError } from "./scenario/problems.js";
import { doctor } from "./setup/doctor.js";
import { runSetup } from "./setup/index.js";

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
      new Option("--rules <path...>", "rule files or folders (Elastic detection-rules TOML)").default([
        DEFAULT_RULES,
      ]),
    )
    .addOption(
      new Option("--context <file>", "escalation context (networks, asset inventory, allow-list)").default(
        DEFAULT_CONTEXT,
      ),
    )
    .option("--tag <tag...>", "only scenarios with one of these tags");
}

function selected(paths: string[], options: InputOptions) {
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

export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command("scanproof")
    .description("Prove that T1595 Active Scanning is logged, detected and escalated, end to end.")
    .exitOverride()
    .showHelpAfterError();

  program
    .command("setup")
    .description(
      "install and build everything a run needs: Docker engine, base and lab images, Elasticsearch (idempotent, cached)",
    )
    .action(async () => {
      await runSetup();
    });

  program
    .command("doctor")
    .description("list what is present, what is missing, and the exact fix")
    .action(async () => {
      for (const c of await doctor()) {
        process.stdout.write(
          `${c.ok ? "✔" : "✖"} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ""}\n`,
        );
        if (!c.ok) code = EXIT.environment;
      }
    });

  withInputOptions(
    program.command("run").argument("[paths...]", "scenario files or folders (default: scenarios/)"),
  )
    .description("set up, then run scenarios in throwaway labs and print the verdicts")
    .option("--no-setup", "skip the set-up check")
    .action(async (paths: string[], options: InputOptions & { setup: boolean }) => {
      const { scenarios } = selected(paths, options);
      if (options.setup) await runSetup();
      const result = await runScenarios({
        scenarioFiles: scenarios.map((s) => s.file),
        rulePaths: options.rules,
        contextFile: options.context,
      });
      process.stdout.write(`\n${renderSummary(result)}\n`);
      process.stdout.write(`reports: ${REPORT_FILES.map((f) => join(result.resultsDir, f)).join(", ")}\n`);
      const verdict = overallVerdict(result.scenarios);
      code = verdict === "pass" ? EXIT.ok : verdict === "fail" ? EXIT.failed : EXIT.error;
    });

  withInputOptions(
    program.command("validate").argument("[paths...]", "scenario files or folders (default: scenarios/)"),
  )
    .description("check scenarios, rules and context without starting anything")
    .action((paths: string[], options: InputOptions) => {
      const { scenarios, rules } = selected(paths, options);
      process.stdout.write(`✔ ${scenarios.length} scenarios, ${rules.rules.length} rules valid\n`);
      for (const s of rules.skipped) process.stdout.write(`  rule skipped: ${s.file}: ${s.reason}\n`);
      for (const r of rules.esql) {
        process.stdout.write(
          `  rule not run: ${r.file}: ES|QL (a run names what the backend answers about ES|QL)\n`,
        );
      }
    });

  withInputOptions(
    program.command("list").argument("[paths...]", "scenario files or folders (default: scenarios/)"),
  )
    .description("list the scenarios: id, technique, tags, title")
    .action((paths: string[], options: InputOptions) => {
      for (const s of selected(paths, options).scenarios) {
        process.stdout.write(`${s.id}\t${s.technique}\t${s.tags.join(",")}\t${s.title}\n`);
      }
    });

  program
    .command("schema")
    .description("print the JSON Schema of scenario files (scenarios/scenario.schema.json is this output)")
    .action(() => {
      process.stdout.write(renderScenarioJsonSchema());
    });

  program
    .command("report")
    .argument("<results>", "a results.json written by `scanproof run`")
    .option("--out <dir>", "where to write the reports (default: beside the results file)")
    .description("write the JUnit XML, JSON, ATT&CK Navigator layer and HTML report of a run again")
    .action((results: string, options: { out?: string }) => {
      const files = writeReports(readRunResult(results), options.out ?? dirname(resolve(results)));
      process.stdout.write(`${Object.values(files).join("\n")}\n`);
    });

  program
    .command("prune")
    .description(
      "remove what runs whose harness process was killed left behind (or one run's, or everything scanproof labelled)",
    )
    .option("--run <id>", "only this run, whether or not it is still going")
    .option("--all", "everything scanproof labelled, including labs of runs still going")
    .action(async (options: { run?: string; all?: boolean }) => {
      if (options.run || options.all) {
        const removed = await prune(options.run);
        process.stdout.write(`removed ${removed.containers} containers and ${removed.networks} networks\n`);
        return;
      }
      const removed = await pruneOrphans();
      process.stdout.write(
        `removed ${removed.containers} containers and ${removed.networks} networks of ${removed.runs.length} runs whose harness is gone${removed.runs.length ? ` (${removed.runs.join(", ")})` : ""}\n`,
      );
    });

  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    if (error instanceof InputError) {
      process.stderr.write(`scanproof: invalid input, nothing was started:\n${error.message}\n`);
      return EXIT.badInput;
    }
    process.stderr.write(`scanproof: ${describeError(error)}\n`);
    return error instanceof ScanproofError ? EXIT.environment : EXIT.error;
  }
}
