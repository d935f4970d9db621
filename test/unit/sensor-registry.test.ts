import { expect } from "chai";
import { SENSORS } from "../../harness/core/vocabulary.js";
import { FLUSHED_ON_STOP, SENSOR_RECORDS, sourcesShippedBy } from "../../harness/lab/sensors.js";
import { LAB_IMAGES } from "../../harness/setup/lab-images.js";

describe("sensor registry", () => {
  it("has exactly one record for every sensor a scenario can name, each with a built image", () => {
    expect(SENSOR_RECORDS.map((s) => s.name)).to.have.members([...SENSORS]);
    expect(SENSOR_RECORDS).to.have.lengthOf(SENSORS.length);
    for (const s of SENSOR_RECORDS) expect(LAB_IMAGES, s.name).to.include(s.image);
  });

  it("ships the IDS and NetFlow sources, which write their last records when stopped", () => {
    expect(sourcesShippedBy(["flow", "psad", "scanlogd", "ids"])).to.deep.equal(["ids", "flow"]);
    expect(sourcesShippedBy(["psad", "scanlogd"])).to.deep.equal([]);
    expect([...FLUSHED_ON_STOP]).to.have.members(["ids", "flow"]);
  });
});
