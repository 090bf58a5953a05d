// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface PurgeResponse {
  'purged_areas'?: (number | string | Long);
  'purged_bytes'?: (number | string | Long);
}

export interface PurgeResponse__Output {
  'purged_areas': (string);
  'purged_bytes': (string);
}
