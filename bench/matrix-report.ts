import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";
import {
  CONTENDER_TITLES,
  CONTENDERS,
  isScored,
  ROW_SETS,
  type Contender,
  type MatrixRow,
  type RowSet,
} from "./matrix-figures.js";
import type { MatrixBench } from "./matrix.js";

const SET_TITLES: Record<RowSet, string> = { library: "Scenario library", corpus: "Challenge corpus" };

export function cell(row: MatrixRow, contender: Contender): string {
  const d = row.detections[contender];
  if (!isScored(row)) return row.verdict;
  if (contender === "scanproof" && row.set === "library" && !d.ok) return `✖ ${row.verdict}`;
  if (row.benign) return d.ok ? "✔ silent" : "✖ false positive";
  if (!d.ok) return d.wrongHost.length > 0 ? "✖ named another host" : "✖ missed";
  return d.ratioToScanproof === undefined ? "✔" : `✔ ${ratioText(d.ratioToScanproof)}`;
}

/** Two significant digits below 1 (0.0042×), two decimals above; under 0.001× as such. */
function ratioText(ratio: number): string {
  if (ratio < 0.001) return "< 0.001×";
  return `${ratio < 1 ? ratio.toPrecision(2) : ratio.toFixed(2)}×`;
}

const kind = (r: MatrixRow) => (r.benign ? "benign" : r.technique);

export function matrixTable(bench: MatrixBench, set: RowSet): Table {
  const rows = bench.rows.filter((r) => r.set === set);
  const contenders = CONTENDERS.map((c) => CONTENDER_TITLES[c]);
  return set === "library"
    ? {
        header: ["Scenario", "Kind", "Verdict", ...contenders],
        rows: rows.map((r) => [r.scenario, kind(r), r.verdict, ...CONTENDERS.map((c) => cell(r, c))]),
      }
    : {
        header: ["Draw", "Kind", "What was drawn", ...contenders],
        rows: rows.map((r) => [r.scenario, kind(r), r.title, ...CONTENDERS.map((c) => cell(r, c))]),
      };
}

export function summaryTable(bench: MatrixBench, set: RowSet): Table {
  return {
    header: [
      "Contender",
      "Attacks detected",
      "Benign left silent",
      "Attacks where it named another host",
      "Median time to detect vs scanproof",
    ],
    rows: bench.summary
      .filter((s) => s.set === set)
      .map((s) => [
        CONTENDER_TITLES[s.contender],
        `${s.attacksDetected} / ${s.attacks}`,
        `${s.benignQuiet} / ${s.benign}`,
        String(s.namedAnotherHost),
        s.medianRatio === undefined ? "n/a" : ratioText(s.medianRatio),
      ]),
  };
}

function setHeading(bench: MatrixBench, set: RowSet): string {
  const rows = bench.rows.filter((r) => r.set === set).length;
  const seed = set === "corpus" ? `, seed ${bench.corpus.seed}` : "";
  return `${SET_TITLES[set]} (${rows} scenarios${seed})`;
}

const presentSets = (bench: MatrixBench) => ROW_SETS.filter((set) => bench.rows.some((r) => r.set === set));

function evidenceLines(bench: MatrixBench, key: "evidence" | "wrongHost"): string[] {
  return bench.rows.flatMap((r) =>
    CONTENDERS.flatMap((c) => {
      const found = r.detections[c][key];
      return found.length > 0 ? [`- ${r.scenario}, ${c}: ${found.map((e) => `\`${e}\``).join("; ")}`] : [];
    }),
  );
}

const rulesLine = ({ rules }: MatrixBench) =>
  `scanproof's rule pack: ${rules.scanproof.length} rules. Elastic's published network rules: ${rules.elastic.length} run, ${rules.elasticSkipped.length} reported skipped (listed in the JSON).`;

export function renderMatrixText(bench: MatrixBench): string {
  return [
    rulesLine(bench),
    "",
    "Scoring (bench/matrix-figures.ts):",
    ...bench.definitions.map((d) => `- ${d}`),
    ...presentSets(bench).flatMap((set) => [
      "",
      setHeading(bench, set),
      textTable(matrixTable(bench, set)),
      "",
      textTable(summaryTable(bench, set)),
    ]),
  ].join("\n");
}

export function renderMatrixMarkdown(bench: MatrixBench, jsonFile: string): string {
  const errors = bench.rows.filter((r) => !isScored(r));
  const { rules } = bench;
  return [
    `# Detection matrix, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Backend: ${bench.backend}. Raw figures: \`${jsonFile}\`.`,
    "",
    rulesLine(bench),
    "",
    "## Scoring",
    "",
    ...bench.definitions.map((d) => `- ${d}`),
    ...presentSets(bench).flatMap((set) => [
      "",
      `## ${setHeading(bench, set)}`,
      "",
      markdownTable(matrixTable(bench, set)),
      "",
      markdownTable(summaryTable(bench, set)),
    ]),
    "",
    ...(errors.length > 0
      ? [
          "Not scored (error or skip):",
          "",
          ...errors.map((r) => `- ${r.scenario}: ${r.reason ?? r.verdict}`),
          "",
        ]
      : []),
    "Evidence (what counted: rule → host named, or the detector's first lines):",
    "",
    ...evidenceLines(bench, "evidence"),
    "",
    "Named another host than an attacking one (never counted):",
    "",
    ...evidenceLines(bench, "wrongHost"),
    "",
    ...(rules.elasticNotes.length > 0
      ? [
          "What the engine said while running Elastic's rules:",
          "",
          ...rules.elasticNotes.map((n) => `- ${n}`),
          "",
        ]
      : []),
  ].join("\n");
}
