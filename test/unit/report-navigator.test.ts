import { expect } from "chai";
import { renderNavigatorLayer } from "../../harness/report/navigator.js";
import type { RunResult } from "../../harness/result.js";
import { loadRunFixture } from "./fixture-helpers.js";

interface LayerTechnique {
  readonly techniqueID: string;
  readonly score: number;
  readonly comment: string;
  readonly enabled: boolean;
  readonly showSubtechniques: boolean;
}

interface Layer {
  readonly name: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly domain: string;
  readonly description: string;
  readonly techniques: readonly LayerTechnique[];
  readonly gradient: {
    readonly colors: readonly string[];
    readonly minValue: number;
    readonly maxValue: number;
  };
  readonly legendItems: readonly { readonly label: string; readonly color: string }[];
}

function layerOf(run: RunResult): Layer {
  return JSON.parse(renderNavigatorLayer(run)) as Layer;
}

function technique(layer: Layer, id: string): LayerTechnique {
  return layer.techniques.find((t) => t.techniqueID === id) ?? expect.fail(`${id} is not on the layer`);
}

describe("ATT&CK Navigator layer", () => {
  const layer = layerOf(loadRunFixture("coverage-run.json"));

  it("has the keys and versions Navigator 5.1 expects", () => {
    expect(layer).to.include.keys(
      "name",
      "versions",
      "domain",
      "description",
      "techniques",
      "gradient",
      "legendItems",
    );
    expect(layer.versions).to.deep.equal({ attack: "16", navigator: "5.1.0", layer: "4.5" });
    expect(layer.domain).to.equal("enterprise-attack");
    expect(layer.gradient).to.include({ minValue: 0, maxValue: 100 });
    expect(layer.legendItems).to.not.be.empty;
  });

  it("scores each sub-technique by the share of its scenarios that passed", () => {
    expect(technique(layer, "T1595.001").score).to.equal(50);
    expect(technique(layer, "T1595.002").score).to.equal(100);
  });

  it("scores the parent as the mean over the sub-techniques the run exercised", () => {
    expect(technique(layer, "T1595").score).to.equal(50);
    expect(technique(layer, "T1595").comment).to.include("mean of T1595.001 50, T1595.002 100, T1595.003 0");
  });

  it("leaves out a technique none of whose scenarios passed", () => {
    expect(layer.techniques.map((t) => t.techniqueID)).to.deep.equal(["T1595", "T1595.001", "T1595.002"]);
  });

  it("names the passing scenarios and the rules that fired in them", () => {
    const comment = technique(layer, "T1595.001").comment;
    expect(comment).to.include("passed 1/2: syn-a");
    expect(comment).to.include("Vertical Port Scan (rule-vertical)");
  });

  it("takes nothing from scenarios that did not pass", () => {
    const comments = layer.techniques.map((t) => t.comment).join("\n");
    for (const absent of ["syn-b", "wordlist-a", "wordlist-b", "Should Not Be Listed"]) {
      expect(comments).not.to.include(absent);
    }
  });

  it("counts benign scenarios only as false-positive checks in the description", () => {
    expect(layer.description).to.include("false-positive checks passed: 1/2");
    const comments = layer.techniques.map((t) => t.comment).join("\n");
    expect(comments).not.to.include("benign-a");
    expect(comments).not.to.include("benign-b");
  });

  it("enables every technique with its sub-techniques shown", () => {
    for (const t of layer.techniques) expect(t).to.include({ enabled: true, showSubtechniques: true });
  });

  it("puts no technique on the layer when only benign scenarios passed", () => {
    const hostile = layerOf(loadRunFixture("hostile-run.json"));
    expect(hostile.techniques).to.deep.equal([]);
    expect(hostile.description).to.include("false-positive checks passed: 1/1");
  });
});
