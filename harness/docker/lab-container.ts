import { createServer, type AddressInfo } from "node:net";
import { GenericContainer, type StartedTestContainer } from "testcontainers";

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * testcontainers' GenericContainer plus the few host settings a lab needs and it does not offer.
 * Raw sockets are opt-in: Docker grants NET_RAW to every container by default, so it is dropped
 * unless the container was given it explicitly.
 */
export class LabContainer extends GenericContainer {
  withSysctls(sysctls: Record<string, string>): this {
    this.hostConfig.Sysctls = { ...this.hostConfig.Sysctls, ...sysctls };
    return this;
  }

  /**
   * Publishes a TCP port on 127.0.0.1 only (testcontainers would bind every interface), at a fixed
   * host port when one is given: Docker picks a new one each time a container restarts.
   */
  withLoopbackPort(port: number, hostPort = 0): this {
    this.withExposedPorts(port);
    this.hostConfig.PortBindings = {
      ...(this.hostConfig.PortBindings as Record<string, unknown> | undefined),
      [`${port}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }],
    };
    return this;
  }

  override start(): Promise<StartedTestContainer> {
    const raw = "NET_RAW";
    const { CapAdd = [], CapDrop = [] } = this.hostConfig as { CapAdd?: string[]; CapDrop?: string[] };
    if (!CapAdd.includes(raw) && !CapDrop.includes(raw)) this.withDroppedCapabilities(raw);
    return super.start();
  }
}
