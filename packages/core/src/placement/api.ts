import { z } from 'zod';
import { parseConfig } from '../config/index.ts';
import { RuntimeStateError } from '../errors/index.ts';
import { newId } from '../head/index.ts';
import { request, Subjects } from '../protocol/index.ts';
import { currentRuntime } from '../runtime/runtime.ts';
import type { PlacementStrategy } from './bundles.ts';

const BundlesSchema = z
  .array(
    z
      .record(z.string().min(1), z.number().finite().nonnegative())
      .refine((b) => Object.values(b).some((v) => v > 0), 'a bundle must ask for some resource'),
  )
  .min(1, 'at least one bundle is needed');

const GroupOptionsSchema = z
  .object({
    strategy: z.enum(['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD']).optional(),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();

/**
 * A set of resource bundles reserved together. Pass it (any bundle) or `group.bundle(i)` as
 * the `placementGroup` option of a task or actor to run it inside the reservation.
 */
export class PlacementGroup {
  constructor(
    readonly groupId: string,
    readonly bundles: readonly Record<string, number>[],
    readonly strategy: PlacementStrategy,
  ) {}

  /** Resolves once every bundle is reserved (at once if they fit now); node ids per bundle. */
  async ready(timeoutMs = 24 * 3600_000): Promise<string[]> {
    const body = await request<{ nodeIds: string[] }>(
      rt().nc,
      Subjects.groupWait,
      { groupId: this.groupId },
      timeoutMs,
    );
    return body.nodeIds;
  }

  /** Releases the reservation; actors in the group are killed. */
  async remove(): Promise<void> {
    await request(rt().nc, Subjects.groupRemove, { groupId: this.groupId });
  }

  /** A reference to one bundle, for the `placementGroup` option. */
  bundle(index: number): { groupId: string; bundleIndex: number } {
    if (!Number.isInteger(index) || index < 0 || index >= this.bundles.length) {
      throw new RangeError(`bundle index ${index} is outside 0..${this.bundles.length - 1}`);
    }
    return { groupId: this.groupId, bundleIndex: index };
  }
}

function rt() {
  const runtime = currentRuntime();
  if (!runtime) throw new RuntimeStateError('Manta is not initialized: call init() first');
  return runtime;
}

/** Reserves `bundles` atomically (all or none) with a strategy (default PACK). */
export async function placementGroup(
  bundles: Record<string, number>[],
  options: { strategy?: PlacementStrategy; name?: string } = {},
): Promise<PlacementGroup> {
  const parsed = parseConfig(BundlesSchema, bundles, 'placementGroup bundles');
  const config = parseConfig(GroupOptionsSchema, options, 'placementGroup options');
  const groupId = newId();
  const strategy = config.strategy ?? 'PACK';
  await request(rt().nc, Subjects.groupCreate, { groupId, bundles: parsed, strategy, name: config.name });
  return new PlacementGroup(groupId, parsed, strategy);
}
