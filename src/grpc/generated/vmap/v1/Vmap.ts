// Original file: proto/vmap/v1/vmap.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AllocBatchRequest as _vmap_v1_AllocBatchRequest, AllocBatchRequest__Output as _vmap_v1_AllocBatchRequest__Output } from '../../vmap/v1/AllocBatchRequest.js';
import type { AllocBatchResponse as _vmap_v1_AllocBatchResponse, AllocBatchResponse__Output as _vmap_v1_AllocBatchResponse__Output } from '../../vmap/v1/AllocBatchResponse.js';
import type { AllocRequest as _vmap_v1_AllocRequest, AllocRequest__Output as _vmap_v1_AllocRequest__Output } from '../../vmap/v1/AllocRequest.js';
import type { Area as _vmap_v1_Area, Area__Output as _vmap_v1_Area__Output } from '../../vmap/v1/Area.js';
import type { FindRequest as _vmap_v1_FindRequest, FindRequest__Output as _vmap_v1_FindRequest__Output } from '../../vmap/v1/FindRequest.js';
import type { FreeRequest as _vmap_v1_FreeRequest, FreeRequest__Output as _vmap_v1_FreeRequest__Output } from '../../vmap/v1/FreeRequest.js';
import type { FreeResponse as _vmap_v1_FreeResponse, FreeResponse__Output as _vmap_v1_FreeResponse__Output } from '../../vmap/v1/FreeResponse.js';
import type { ListAreasRequest as _vmap_v1_ListAreasRequest, ListAreasRequest__Output as _vmap_v1_ListAreasRequest__Output } from '../../vmap/v1/ListAreasRequest.js';
import type { MemInfo as _vmap_v1_MemInfo, MemInfo__Output as _vmap_v1_MemInfo__Output } from '../../vmap/v1/MemInfo.js';
import type { MemInfoRequest as _vmap_v1_MemInfoRequest, MemInfoRequest__Output as _vmap_v1_MemInfoRequest__Output } from '../../vmap/v1/MemInfoRequest.js';
import type { PurgeRequest as _vmap_v1_PurgeRequest, PurgeRequest__Output as _vmap_v1_PurgeRequest__Output } from '../../vmap/v1/PurgeRequest.js';
import type { PurgeResponse as _vmap_v1_PurgeResponse, PurgeResponse__Output as _vmap_v1_PurgeResponse__Output } from '../../vmap/v1/PurgeResponse.js';

/**
 * One shared virtual address space, allocated with the Linux kernel's vmalloc
 * placement rules.
 */
export interface VmapClient extends grpc.Client {
  /**
   * Reserves the lowest range that fits. INVALID_ARGUMENT names the bad field;
   * RESOURCE_EXHAUSTED when nothing fits even after purging lazy areas.
   */
  Alloc(argument: _vmap_v1_AllocRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  Alloc(argument: _vmap_v1_AllocRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  Alloc(argument: _vmap_v1_AllocRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  Alloc(argument: _vmap_v1_AllocRequest, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  /**
   * Reserves the lowest range that fits. INVALID_ARGUMENT names the bad field;
   * RESOURCE_EXHAUSTED when nothing fits even after purging lazy areas.
   */
  alloc(argument: _vmap_v1_AllocRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  alloc(argument: _vmap_v1_AllocRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  alloc(argument: _vmap_v1_AllocRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  alloc(argument: _vmap_v1_AllocRequest, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  
  /**
   * Several allocations in one write, all or none: placed in order, as if by
   * consecutive Allocs; if one fails, none stands and the error names it
   * (requests[i].field). At most 10000 requests. For loading a space quickly.
   */
  AllocBatch(argument: _vmap_v1_AllocBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  AllocBatch(argument: _vmap_v1_AllocBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  AllocBatch(argument: _vmap_v1_AllocBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  AllocBatch(argument: _vmap_v1_AllocBatchRequest, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Several allocations in one write, all or none: placed in order, as if by
   * consecutive Allocs; if one fails, none stands and the error names it
   * (requests[i].field). At most 10000 requests. For loading a space quickly.
   */
  allocBatch(argument: _vmap_v1_AllocBatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  allocBatch(argument: _vmap_v1_AllocBatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  allocBatch(argument: _vmap_v1_AllocBatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  allocBatch(argument: _vmap_v1_AllocBatchRequest, callback: grpc.requestCallback<_vmap_v1_AllocBatchResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The busy area containing addr. NOT_FOUND if none.
   */
  Find(argument: _vmap_v1_FindRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  Find(argument: _vmap_v1_FindRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  Find(argument: _vmap_v1_FindRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  Find(argument: _vmap_v1_FindRequest, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  /**
   * The busy area containing addr. NOT_FOUND if none.
   */
  find(argument: _vmap_v1_FindRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  find(argument: _vmap_v1_FindRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  find(argument: _vmap_v1_FindRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  find(argument: _vmap_v1_FindRequest, callback: grpc.requestCallback<_vmap_v1_Area__Output>): grpc.ClientUnaryCall;
  
  /**
   * Lazily frees the area starting at addr. NOT_FOUND unless a busy area starts there.
   */
  Free(argument: _vmap_v1_FreeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  Free(argument: _vmap_v1_FreeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  Free(argument: _vmap_v1_FreeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  Free(argument: _vmap_v1_FreeRequest, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Lazily frees the area starting at addr. NOT_FOUND unless a busy area starts there.
   */
  free(argument: _vmap_v1_FreeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  free(argument: _vmap_v1_FreeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  free(argument: _vmap_v1_FreeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  free(argument: _vmap_v1_FreeRequest, callback: grpc.requestCallback<_vmap_v1_FreeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Areas in ascending address order, from from_addr, at most limit (0 = all).
   */
  ListAreas(argument: _vmap_v1_ListAreasRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_vmap_v1_Area__Output>;
  ListAreas(argument: _vmap_v1_ListAreasRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_vmap_v1_Area__Output>;
  /**
   * Areas in ascending address order, from from_addr, at most limit (0 = all).
   */
  listAreas(argument: _vmap_v1_ListAreasRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_vmap_v1_Area__Output>;
  listAreas(argument: _vmap_v1_ListAreasRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_vmap_v1_Area__Output>;
  
  /**
   * How full the space is; never waits for writers (unless --read-mode locked-walk).
   * The reply type is fully qualified: inside the service, a bare `MemInfo`
   * names this rpc, which protoc refuses as a type.
   */
  MemInfo(argument: _vmap_v1_MemInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  MemInfo(argument: _vmap_v1_MemInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  MemInfo(argument: _vmap_v1_MemInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  MemInfo(argument: _vmap_v1_MemInfoRequest, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  /**
   * How full the space is; never waits for writers (unless --read-mode locked-walk).
   * The reply type is fully qualified: inside the service, a bare `MemInfo`
   * names this rpc, which protoc refuses as a type.
   */
  memInfo(argument: _vmap_v1_MemInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  memInfo(argument: _vmap_v1_MemInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  memInfo(argument: _vmap_v1_MemInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  memInfo(argument: _vmap_v1_MemInfoRequest, callback: grpc.requestCallback<_vmap_v1_MemInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Returns every lazily freed area to free space.
   */
  Purge(argument: _vmap_v1_PurgeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  Purge(argument: _vmap_v1_PurgeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  Purge(argument: _vmap_v1_PurgeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  Purge(argument: _vmap_v1_PurgeRequest, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Returns every lazily freed area to free space.
   */
  purge(argument: _vmap_v1_PurgeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  purge(argument: _vmap_v1_PurgeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  purge(argument: _vmap_v1_PurgeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  purge(argument: _vmap_v1_PurgeRequest, callback: grpc.requestCallback<_vmap_v1_PurgeResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * One shared virtual address space, allocated with the Linux kernel's vmalloc
 * placement rules.
 */
export interface VmapHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Reserves the lowest range that fits. INVALID_ARGUMENT names the bad field;
   * RESOURCE_EXHAUSTED when nothing fits even after purging lazy areas.
   */
  Alloc: grpc.handleUnaryCall<_vmap_v1_AllocRequest__Output, _vmap_v1_Area>;
  
  /**
   * Several allocations in one write, all or none: placed in order, as if by
   * consecutive Allocs; if one fails, none stands and the error names it
   * (requests[i].field). At most 10000 requests. For loading a space quickly.
   */
  AllocBatch: grpc.handleUnaryCall<_vmap_v1_AllocBatchRequest__Output, _vmap_v1_AllocBatchResponse>;
  
  /**
   * The busy area containing addr. NOT_FOUND if none.
   */
  Find: grpc.handleUnaryCall<_vmap_v1_FindRequest__Output, _vmap_v1_Area>;
  
  /**
   * Lazily frees the area starting at addr. NOT_FOUND unless a busy area starts there.
   */
  Free: grpc.handleUnaryCall<_vmap_v1_FreeRequest__Output, _vmap_v1_FreeResponse>;
  
  /**
   * Areas in ascending address order, from from_addr, at most limit (0 = all).
   */
  ListAreas: grpc.handleServerStreamingCall<_vmap_v1_ListAreasRequest__Output, _vmap_v1_Area>;
  
  /**
   * How full the space is; never waits for writers (unless --read-mode locked-walk).
   * The reply type is fully qualified: inside the service, a bare `MemInfo`
   * names this rpc, which protoc refuses as a type.
   */
  MemInfo: grpc.handleUnaryCall<_vmap_v1_MemInfoRequest__Output, _vmap_v1_MemInfo>;
  
  /**
   * Returns every lazily freed area to free space.
   */
  Purge: grpc.handleUnaryCall<_vmap_v1_PurgeRequest__Output, _vmap_v1_PurgeResponse>;
  
}

export interface VmapDefinition extends grpc.ServiceDefinition {
  Alloc: MethodDefinition<_vmap_v1_AllocRequest, _vmap_v1_Area, _vmap_v1_AllocRequest__Output, _vmap_v1_Area__Output>
  AllocBatch: MethodDefinition<_vmap_v1_AllocBatchRequest, _vmap_v1_AllocBatchResponse, _vmap_v1_AllocBatchRequest__Output, _vmap_v1_AllocBatchResponse__Output>
  Find: MethodDefinition<_vmap_v1_FindRequest, _vmap_v1_Area, _vmap_v1_FindRequest__Output, _vmap_v1_Area__Output>
  Free: MethodDefinition<_vmap_v1_FreeRequest, _vmap_v1_FreeResponse, _vmap_v1_FreeRequest__Output, _vmap_v1_FreeResponse__Output>
  ListAreas: MethodDefinition<_vmap_v1_ListAreasRequest, _vmap_v1_Area, _vmap_v1_ListAreasRequest__Output, _vmap_v1_Area__Output>
  MemInfo: MethodDefinition<_vmap_v1_MemInfoRequest, _vmap_v1_MemInfo, _vmap_v1_MemInfoRequest__Output, _vmap_v1_MemInfo__Output>
  Purge: MethodDefinition<_vmap_v1_PurgeRequest, _vmap_v1_PurgeResponse, _vmap_v1_PurgeRequest__Output, _vmap_v1_PurgeResponse__Output>
}
