/**
 * The model's state as each edge shows it: an area as a gRPC message and as
 * JSON, a /proc/vmallocinfo line, and /meminfo as JSON, through vmapd's one
 * AreaView and its renderings (the model predicts the areas, not how they
 * are spelt). The fuzz tests compare the server's answers with these.
 */
import { areaMessage as grpcArea } from '../../src/grpc/area-message.js';
import { areaJson as viewJson, areaView, vmallocinfoLine as viewLine, type AreaView } from '../../src/service/area-view.js';
import { memInfoFields } from '../../src/service/meminfo-view.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { BASE, SPACE_BYTES } from './contract.js';
import type { ServiceModel } from './service-model.js';

const geometry = new SpaceGeometry(BASE, SPACE_BYTES);

/** An address as the HTTP edge writes it: 0x and 16 hex digits. */
export const hex16 = (a: bigint): string => `0x${a.toString(16).padStart(16, '0')}`;

/** The model's area as vmapd shows it. */
function view(va: VmapArea): AreaView {
  return areaView(geometry, va);
}

/** `va` as a gRPC Area message (uint64 fields as decimal strings). */
export function areaMessage(va: VmapArea): Record<string, unknown> {
  return { ...grpcArea(view(va)) };
}

/** `va` as JSON, as the HTTP edge writes it. */
export function areaJson(va: VmapArea): Record<string, unknown> {
  return viewJson(view(va));
}

/** The /proc/vmallocinfo line of `va`, without its newline. */
export function vmallocinfoLine(va: VmapArea): string {
  return viewLine(view(va)).slice(0, -1);
}

/** `model`'s /meminfo?format=json, without the generation. */
export function meminfoJson(model: ServiceModel): Record<string, number> {
  const { generation: _generation, ...fields } = memInfoFields(model.meminfo(), 0);
  return fields;
}
