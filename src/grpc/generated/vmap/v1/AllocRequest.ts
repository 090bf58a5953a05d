// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface AllocRequest {
  /**
   * bytes, > 0, rounded up to pages
   */
  'size'?: (number | string | Long);
  /**
   * 0 or a power of two
   */
  'align'?: (number | string | Long);
  /**
   * 0 = start of the space
   */
  'vstart'?: (number | string | Long);
  /**
   * 0 = end of the space
   */
  'vend'?: (number | string | Long);
  'no_guard'?: (boolean);
  /**
   * shown in vmallocinfo
   */
  'caller'?: (string);
  /**
   * optional; a retry with the same id returns the same area
   */
  'request_id'?: (string);
}

export interface AllocRequest__Output {
  /**
   * bytes, > 0, rounded up to pages
   */
  'size': (string);
  /**
   * 0 or a power of two
   */
  'align': (string);
  /**
   * 0 = start of the space
   */
  'vstart': (string);
  /**
   * 0 = end of the space
   */
  'vend': (string);
  'no_guard': (boolean);
  /**
   * shown in vmallocinfo
   */
  'caller': (string);
  /**
   * optional; a retry with the same id returns the same area
   */
  'request_id': (string);
}
