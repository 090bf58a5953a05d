// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface Area {
  /**
   * start address
   */
  'addr'?: (number | string | Long);
  /**
   * usable bytes (request rounded up to pages)
   */
  'size'?: (number | string | Long);
  /**
   * reserved bytes (size + guard page, if any)
   */
  'area_size'?: (number | string | Long);
  'caller'?: (string);
  'owner'?: (string);
  /**
   * freed, awaiting purge
   */
  'lazy'?: (boolean);
  /**
   * the idempotency key it was allocated with, while busy
   */
  'request_id'?: (string);
}

export interface Area__Output {
  /**
   * start address
   */
  'addr': (string);
  /**
   * usable bytes (request rounded up to pages)
   */
  'size': (string);
  /**
   * reserved bytes (size + guard page, if any)
   */
  'area_size': (string);
  'caller': (string);
  'owner': (string);
  /**
   * freed, awaiting purge
   */
  'lazy': (boolean);
  /**
   * the idempotency key it was allocated with, while busy
   */
  'request_id': (string);
}
