import { RestError, type ContainerClient } from '@azure/storage-blob';
import type { SweepLease, SweepLeases } from '../../ports/SweepLeases';

const statusOf = (e: unknown) => (e instanceof RestError ? e.statusCode : undefined);

/**
 * Sweep ranges leased as blobs (one empty blob per range) in the map's own storage account: a
 * lease is exclusive across processes and apps, and one a crashed process held expires after
 * `seconds` (keep the sweep's budget under it).
 */
export class BlobSweepLeases implements SweepLeases {
  private created = false;

  constructor(
    private readonly container: ContainerClient,
    /** Names the map (its table), so maps sharing an account do not share leases. */
    private readonly prefix: string,
    private readonly seconds = 60,
  ) {}

  async acquire(range: string): Promise<SweepLease | null> {
    const blob = this.container.getBlockBlobClient(`${this.prefix}/${range}`);
    for (let attempt = 0; attempt < 2; attempt++) {
      const lease = blob.getBlobLeaseClient();
      try {
        await lease.acquireLease(this.seconds);
        return {
          release: async () => {
            await lease.releaseLease();
          },
        };
      } catch (error) {
        // 409: another process holds it.
        if (statusOf(error) === 409) return null;
        if (statusOf(error) !== 404 || attempt > 0) throw error;
        await this.ensure(blob.name);
      }
    }
    return null;
  }

  private async ensure(name: string): Promise<void> {
    if (!this.created) {
      await this.container.createIfNotExists();
      this.created = true;
    }
    try {
      // Only if absent: an existing blob may be leased by someone else right now.
      await this.container
        .getBlockBlobClient(name)
        .upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
    }
  }
}
