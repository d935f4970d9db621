/**
 * The layers of harness/, bottom to top, as docs/ARCHITECTURE.md draws them. A module may import
 * its own layer and the layers below it, never one above, and no import may close a cycle.
 */
const LAYERS = [
  ["core", "^harness/core/"],
  ["infrastructure", "^harness/(docker|setup|backend)/"],
  ["context", "^harness/context/"],
  ["lab", "^harness/lab/"],
  ["steps", "^harness/scanners/"],
  ["scenario", "^harness/scenario/"],
  ["logs", "^harness/logs/"],
  ["rules", "^harness/detection/rules/"],
  ["detection", "^harness/detection/(live|fixtures)/"],
  ["escalation", "^harness/escalation/"],
  ["results", "^harness/result\\.ts$"],
  ["judge", "^harness/judge/"],
  ["reports", "^harness/report/"],
  ["pipeline", "^harness/(run/|envelope/|(shard|lab-session)\\.ts$)"],
  ["commands", "^harness/(cli|index|doctor)\\.ts$"],
];

module.exports = {
  forbidden: [
    {
      name: "no-cycle",
      severity: "error",
      comment: "An import cycle ties modules into one unit that can only be understood and changed whole.",
      from: { path: "^harness/" },
      to: { circular: true },
    },
    {
      name: "no-unlayered-module",
      severity: "error",
      comment:
        "Every harness module belongs to a layer: add its folder to LAYERS in .dependency-cruiser.cjs.",
      from: { path: "^harness/", pathNot: LAYERS.map(([, path]) => path) },
      to: {},
    },
    {
      name: "no-live-and-fixture-engines-mixed",
      severity: "error",
      comment:
        "Rules run on Elasticsearch (detection/live) or in memory (detection/fixtures); what both need belongs in detection/rules.",
      from: { path: "^harness/detection/(live|fixtures)/" },
      to: { path: "^harness/detection/(live|fixtures)/", pathNot: "^harness/detection/$1/" },
    },
    ...LAYERS.slice(0, -1).map(([name, path], i) => ({
      name: `no-upward-import-from-${name}`,
      severity: "error",
      comment: `${name} may import only ${LAYERS.slice(0, i + 1)
        .map(([n]) => n)
        .join(", ")}: the layers above it depend on it, not it on them.`,
      from: { path },
      to: { path: LAYERS.slice(i + 1).map(([, p]) => p) },
    })),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    includeOnly: "^harness/",
  },
};
