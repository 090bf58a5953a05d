import type { AreaView } from '../service/area-view.js';
import type { Area } from './generated/vmap/v1/Area.js';

/** `v` as the gRPC Area message (uint64 fields as decimal strings, which proto-loader takes losslessly). */
export function areaMessage(v: AreaView): Area {
  return {
    addr: BigInt(v.addr).toString(),
    size: String(v.size),
    area_size: String(v.areaSize),
    caller: v.caller,
    owner: v.owner,
    lazy: v.lazy,
    request_id: v.requestId,
  };
}
