import { GenericContainer, type StartedTestContainer } from "testcontainers";

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

  /** Publishes a TCP port on 127.0.0.1 only (testcontainers would bind every interface). */
  withLoopbackPort(port: number): this {
    this.withExposedPorts(port);
    this.hostConfig.PortBindings = {
      ...(this.hostConfig.PortBindings as Record<string, unknown> | undefined),
      [`${port}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: "0" }],
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
