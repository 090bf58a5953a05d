// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface FindRequest {
  'addr'?: (number | string | Long);
}

export interface FindRequest__Output {
  'addr': (string);
}
