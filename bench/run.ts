import { Argument, Command, Option } from "commander";
import { describeError } from "../harness/errors.js";
import { say } from "../harness/progress.js";
import { benchIngest } from "./ingest.js";
import { benchKql } from "./kql.js";
import { benchLatency } from "./latency.js";
import { benchMatrix } from "./matrix.js";
import { benchMemory } from "./memory.js";
import { benchSetup } from "./setup.js";
import { benchSuite } from "./suite.js";

/** Every bench, in the order `npm run bench` runs them. */
const BENCHES = {
  suite: () => benchSuite(),
  latency: (o: Options) => benchLatency(o.repeats),
  memory: () => benchMemory(),
  matrix: () => benchMatrix(),
  setup: () => benchSetup(),
  ingest: (o: Options) => benchIngest(o.rates),
  kql: () => benchKql(),
} as const;
type BenchName = keyof typeof BENCHES;

interface Options {
  readonly rates?: number[];
  readonly repeats?: number;
}

const program = new Command("bench")
  .description("Run scanproof's benchmarks; each prints its figures and writes bench/results/.")
  .addArgument(new Argument("[bench...]", "which benches (default: all)").choices(Object.keys(BENCHES)))
  .addOption(new Option("--rates <pps...>", "ingest: masscan rates").argParser(collectNumbers))
  .addOption(
    new Option("--repeats <n>", "latency: runs of each scenario").argParser((v) => Number.parseInt(v, 10)),
  )
  .action(async (names: BenchName[], options: Options) => {
    for (const name of names.length > 0 ? names : (Object.keys(BENCHES) as BenchName[])) {
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
