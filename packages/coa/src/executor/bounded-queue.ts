/** An async FIFO with a capacity: `push` waits while full, `pop` waits while empty, `close` ends consumers. */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: ((v: T | null) => void)[] = [];
  private readonly givers: (() => void)[] = [];
  private closed = false;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`queue capacity must be >= 1, got ${capacity}`);
  }

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity) await new Promise<void>((r) => this.givers.push(r));
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.items.push(item);
  }

  /** Next item, or null once closed and drained. */
  async pop(): Promise<T | null> {
    if (this.items.length > 0) {
      const item = this.items.shift()!;
      this.givers.shift()?.();
      return item;
    }
    if (this.closed) return null;
    return new Promise<T | null>((r) => this.takers.push(r));
  }

  close(): void {
    this.closed = true;
    for (const t of this.takers.splice(0)) t(null);
  }

  get size(): number {
    return this.items.length;
  }
}
