import { GenericContainer } from "testcontainers";

/** testcontainers' GenericContainer plus the few host settings a lab needs and it does not offer. */
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
}
