import { Argument, Command, Option } from "commander";
import { describeError } from "../harness/core/errors.js";
import { say } from "../harness/core/progress.js";
import { benchCapture } from "./capture.js";
import { benchDiff } from "./diff.js";
import { benchElasticRules } from "./elastic-rules.js";
import { benchEnvelope } from "./envelope.js";
import { benchIngest } from "./ingest.js";
import { benchKql } from "./kql.js";
import { benchLatency } from "./latency.js";
import { benchMatrix } from "./matrix.js";
import { benchMemory } from "./memory.js";
import { benchMutation } from "./mutation.js";
import { benchSetup } from "./setup.js";
import { benchSuite } from "./suite.js";

/** Every bench, in the order `npm run bench` runs them (all but those in NAMED_ONLY). */
const BENCHES = {
  suite: () => benchSuite(),
  latency: (o: Options) => benchLatency(o.repeats),
  memory: () => benchMemory(),
  matrix: () => benchMatrix(),
  setup: () => benchSetup(),
  ingest: (o: Options) => benchIngest(o.rates),
  kql: () => benchKql(),
  capture: () => benchCapture(),
  diff: (o: Options) => benchDiff(o.results),
  "elastic-rules": () => benchElasticRules(),
  envelope: () => benchEnvelope(),
  mutation: (o: Options) =>
    benchMutation({ ...(o.mutate ? { mutate: o.mutate } : {}), ...(o.static ? { static: true } : {}) }),
} as const;
type BenchName = keyof typeof BENCHES;

/** Benches that run only when named: mutation testing takes the better part of an hour, the envelope tens of minutes. */
const NAMED_ONLY: readonly BenchName[] = ["mutation", "envelope"];

interface Options {
  readonly rates?: number[];
  readonly repeats?: number;
  readonly mutate?: string[];
  readonly static?: boolean;
  readonly results?: string[];
}

const program = new Command("bench")
  .description("Run scanproof's benchmarks; each prints its figures and writes bench/results/.")
  .addArgument(
    new Argument("[bench...]", `which benches (default: all but ${NAMED_ONLY.join(", ")})`).choices(
      Object.keys(BENCHES),
    ),
  )
  .addOption(new Option("--rates <pps...>", "ingest: masscan rates").argParser(collectNumbers))
  .addOption(
    new Option("--repeats <n>", "latency: runs of each scenario").argParser((v) => Number.parseInt(v, 10)),
  )
  .addOption(
    new Option(
      "--mutate <files...>",
      "mutation: mutate only these files (stryker.config.json's list otherwise)",
    ),
  )
  .addOption(
    new Option(
      "--results <files...>",
      "diff: the two results files, before then after (default: the two largest under scanproof-results/)",
    ),
  )
  .addOption(
    new Option("--static", "mutation: also run static mutants (each runs the whole unit suite: hours)"),
  )
  .action(async (names: BenchName[], options: Options) => {
    const all = (Object.keys(BENCHES) as BenchName[]).filter((name) => !NAMED_ONLY.includes(name));
    for (const name of names.length > 0 ? names : all) {
      say(`\n══ bench ${name} ══`);
      await BENCHES[name](options);
    }
  });

function collectNumbers(value: string, previous: number[] = []): number[] {
  return [...previous, Number.parseInt(value, 10)];
}

program.parseAsync().catch((error: unknown) => {
  say(`bench failed: ${describeError(error)}`);
  process.exitCode = 1;
});
