import { expect } from "chai";
import { join } from "node:path";
import {
  runCase,
  loadRuleTestSuite,
  describeDetection,
} from "../../harness/detection/fixtures/rule-tests.js";
import { assertionsDir } from "../../harness/core/paths.js";

/** Every rule of the pack, run over each of its fixture cases in memory: one mocha test per case. */
const suite = loadRuleTestSuite([join(assertionsDir, "rules")]);

describe("rule pack fixture cases (assertions/rules/tests/, in memory)", function () {
  for (const rule of suite.rules) {
    const tests = suite.tests.get(rule);
    if (!tests) continue;
    describe(`${rule.name} (${tests.file})`, function () {
      for (const testCase of tests.cases) {
        it(testCase.name, function () {
          const result = runCase(rule, testCase, tests.inventory);
          expect(
            result.failures,
            `observed: ${result.detections.map(describeDetection).join("; ") || "no detection"}`,
          ).to.deep.equal([]);
        });
      }
    });
  }
});
