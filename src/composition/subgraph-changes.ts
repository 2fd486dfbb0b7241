/**
 * A process-local signal that partner subgraph registrations changed: the membership subgraph
 * notifies it after a registration, the gateway of the same process recomposes at once (other
 * gateway replicas converge by polling within seconds).
 */
export class SubgraphChanges {
  private readonly listeners = new Set<() => Promise<void>>();

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: () => Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async notify(): Promise<void> {
    await Promise.all([...this.listeners].map((listener) => listener()));
  }
}
