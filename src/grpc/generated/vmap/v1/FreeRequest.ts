// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface FreeRequest {
  'addr'?: (number | string | Long);
}

export interface FreeRequest__Output {
  'addr': (string);
}
