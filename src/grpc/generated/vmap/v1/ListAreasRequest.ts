// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAreasRequest {
  'from_addr'?: (number | string | Long);
  'limit'?: (number);
  'include_lazy'?: (boolean);
}

export interface ListAreasRequest__Output {
  'from_addr': (string);
  'limit': (number);
  'include_lazy': (boolean);
}
