// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface FreeResponse {
  'freed_bytes'?: (number | string | Long);
  'purged'?: (boolean);
}

export interface FreeResponse__Output {
  'freed_bytes': (string);
  'purged': (boolean);
}
