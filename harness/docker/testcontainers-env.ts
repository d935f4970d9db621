/**
 * The reaper (Ryuk) is an image that cannot be pulled where no registry is reachable; scanproof
 * labels everything it starts and removes it itself (teardown, then `scanproof prune`).
 * The host override stops testcontainers from starting a helper container to find the host.
 */
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "localhost";
