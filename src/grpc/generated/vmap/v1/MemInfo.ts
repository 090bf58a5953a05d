// Original file: proto/vmap/v1/vmap.proto

import type { Long } from '@grpc/proto-loader';

export interface MemInfo {
  'vmalloc_total_kb'?: (number | string | Long);
  'vmalloc_used_kb'?: (number | string | Long);
  'vmalloc_chunk_kb'?: (number | string | Long);
  'vmalloc_lazy_kb'?: (number | string | Long);
  'nr_areas'?: (number | string | Long);
  'nr_lazy_areas'?: (number | string | Long);
  /**
   * grows by one with every published write batch
   */
  'generation'?: (number | string | Long);
}

export interface MemInfo__Output {
  'vmalloc_total_kb': (string);
  'vmalloc_used_kb': (string);
  'vmalloc_chunk_kb': (string);
  'vmalloc_lazy_kb': (string);
  'nr_areas': (string);
  'nr_lazy_areas': (string);
  /**
   * grows by one with every published write batch
   */
  'generation': (string);
}
