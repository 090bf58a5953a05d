// Original file: proto/vmap/v1/vmap.proto

import type { AllocRequest as _vmap_v1_AllocRequest, AllocRequest__Output as _vmap_v1_AllocRequest__Output } from '../../vmap/v1/AllocRequest.js';

export interface AllocBatchRequest {
  'requests'?: (_vmap_v1_AllocRequest)[];
}

export interface AllocBatchRequest__Output {
  'requests': (_vmap_v1_AllocRequest__Output)[];
}
