/**
 * The package as a library user imports it: `vmapd/client` by name, through
 * package.json's `exports`, its types included. Compiled by the normal build
 * (a type error here fails it); package.test.ts runs it.
 */
import { VmapClient, VmapClientError, type Area, type MemInfo, type VmapClientOptions } from 'vmapd/client';

/** Options as a user writes them: several targets, a token, sizes as strings. */
export const options: VmapClientOptions = { targets: ['127.0.0.1:1', '127.0.0.1:2'], token: 'token', retry: { attempts: 3 }, deadlineMs: 1000 };

/** Uses every method with the types a user sees. */
export async function useEveryMethod(client: VmapClient): Promise<{ area: Area; info: MemInfo; listed: bigint[] }> {
  const area: Area = await client.alloc('8k', { caller: 'types', align: 4096n });
  const batch: Area[] = await client.allocBatch([{ size: 4096 }, { size: '2m', noGuard: true }]);
  const found: bigint = (await client.find(area.addr)).addr;
  const listed: bigint[] = [];
  for await (const a of client.listAreas({ from: found, includeLazy: true })) listed.push(a.addr);
  const freed: bigint = (await client.free(batch[0]!.addr)).freedBytes;
  const purged: number = (await client.purge()).purgedAreas;
  const info: MemInfo = await client.memInfo();
  void [freed, purged];
  return { area, info, listed };
}

/** The error type, narrowed as a user narrows it. */
export function codeOf(err: unknown): string | undefined {
  return err instanceof VmapClientError ? `${err.code}/${err.vmapCode ?? ''}/${err.field ?? ''}` : undefined;
}
