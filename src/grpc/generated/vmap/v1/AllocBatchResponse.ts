// Original file: proto/vmap/v1/vmap.proto

import type { Area as _vmap_v1_Area, Area__Output as _vmap_v1_Area__Output } from '../../vmap/v1/Area.js';

export interface AllocBatchResponse {
  'areas'?: (_vmap_v1_Area)[];
}

export interface AllocBatchResponse__Output {
  'areas': (_vmap_v1_Area__Output)[];
}
