/**
 * Who hears that the service's readiness changed: the gRPC health service
 * and /readyz follow it. Readiness is why writes are not expected to
 * succeed now (a reason, or null when ready) and, in a group of nodes, this
 * node's role: a takeover changes what a listener should say even when the
 * reason did not change.
 */
export class Readiness {
  /** Told whenever the reason changes, and whenever the role does. */
  private readonly listeners = new Set<(reason: string | null) => void>();
  /** The reason as the listeners last heard it. */
  private last: string | null = null;
  /** What this node is in a group of nodes (role, epoch, log position, lag); null alone. */
  private roleOf: (() => string) | null = null;

  /** Readiness whose reason `reason` gives when asked. */
  constructor(private readonly reason: () => string | null) {}

  /** Calls `listener` with the new reason (null: ready again) each time it changes. Returns a function that stops the calls. */
  onChange(listener: (reason: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the listeners if the reason changed since they last heard. */
  changed(): void {
    const reason = this.reason();
    if (reason === this.last) return;
    this.tell(reason);
  }

  /** The role changed (a takeover, a step down): the listeners hear it even when the reason did not change. */
  roleChanged(): void {
    this.tell(this.reason());
  }

  /** Says where `roleLine` comes from, and tells the listeners. */
  describeRole(describe: (() => string) | null): void {
    this.roleOf = describe;
    this.roleChanged();
  }

  /** This node's role as one line, or null for a vmapd on its own. */
  get roleLine(): string | null {
    return this.roleOf?.() ?? null;
  }

  private tell(reason: string | null): void {
    this.last = reason;
    for (const listener of this.listeners) listener(reason);
  }
}
