import type { Backend } from "../../harness/backend/backend.js";
import { requireDocker } from "../../harness/docker/client.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { newRunId, openBackend } from "../../harness/run/run-scenarios.js";

const teardown = new Teardown();
let backend: Promise<Backend> | undefined;

/** One Elasticsearch for every lab test file (starting it takes ~20 s); stopped after the last test. */
export function sharedBackend(): Promise<Backend> {
  backend ??= requireDocker().then(() => openBackend(`test-${newRunId()}`, teardown));
  return backend;
}

export const mochaHooks = {
  afterAll: (): Promise<void> => teardown.run(),
};
