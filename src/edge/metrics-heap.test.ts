// The heap kept after a major collection (nodejs_heap_used_after_major_gc_bytes): what the soak
// watches for a leak. Held memory shows in it; garbage does not.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function afterMajorGc(metrics: Metrics): Promise<number> {
  gc();
  // The gc entries reach observers asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const text = await metrics.registry.metrics();
  const match = /^nodejs_heap_used_after_major_gc_bytes (\d+)/m.exec(text);
  expect(match).not.toBeNull();
  return Number(match![1]);
}

describe('heap after a major collection', () => {
  it('rises with what the process holds and falls back when it lets go', async () => {
    const metrics = new Metrics();
    const before = await afterMajorGc(metrics);
    let held: number[][] | undefined = Array.from({ length: 200 }, () => Array.from({ length: 25_000 }, (_, i) => i + 0.5));
    const holding = await afterMajorGc(metrics);
    expect(held.length).toBe(200);
    held = undefined;
    const released = await afterMajorGc(metrics);
    // 200 × 25,000 doubles ≈ 40 MB.
    expect(holding - before).toBeGreaterThan(30 * 1024 * 1024);
    expect(holding - released).toBeGreaterThan(30 * 1024 * 1024);
  });
});
