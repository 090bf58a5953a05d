import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AllocBatchRequest as _vmap_v1_AllocBatchRequest, AllocBatchRequest__Output as _vmap_v1_AllocBatchRequest__Output } from './vmap/v1/AllocBatchRequest.js';
import type { AllocBatchResponse as _vmap_v1_AllocBatchResponse, AllocBatchResponse__Output as _vmap_v1_AllocBatchResponse__Output } from './vmap/v1/AllocBatchResponse.js';
import type { AllocRequest as _vmap_v1_AllocRequest, AllocRequest__Output as _vmap_v1_AllocRequest__Output } from './vmap/v1/AllocRequest.js';
import type { Area as _vmap_v1_Area, Area__Output as _vmap_v1_Area__Output } from './vmap/v1/Area.js';
import type { FindRequest as _vmap_v1_FindRequest, FindRequest__Output as _vmap_v1_FindRequest__Output } from './vmap/v1/FindRequest.js';
import type { FreeRequest as _vmap_v1_FreeRequest, FreeRequest__Output as _vmap_v1_FreeRequest__Output } from './vmap/v1/FreeRequest.js';
import type { FreeResponse as _vmap_v1_FreeResponse, FreeResponse__Output as _vmap_v1_FreeResponse__Output } from './vmap/v1/FreeResponse.js';
import type { ListAreasRequest as _vmap_v1_ListAreasRequest, ListAreasRequest__Output as _vmap_v1_ListAreasRequest__Output } from './vmap/v1/ListAreasRequest.js';
import type { MemInfo as _vmap_v1_MemInfo, MemInfo__Output as _vmap_v1_MemInfo__Output } from './vmap/v1/MemInfo.js';
import type { MemInfoRequest as _vmap_v1_MemInfoRequest, MemInfoRequest__Output as _vmap_v1_MemInfoRequest__Output } from './vmap/v1/MemInfoRequest.js';
import type { PurgeRequest as _vmap_v1_PurgeRequest, PurgeRequest__Output as _vmap_v1_PurgeRequest__Output } from './vmap/v1/PurgeRequest.js';
import type { PurgeResponse as _vmap_v1_PurgeResponse, PurgeResponse__Output as _vmap_v1_PurgeResponse__Output } from './vmap/v1/PurgeResponse.js';
import type { VmapClient as _vmap_v1_VmapClient, VmapDefinition as _vmap_v1_VmapDefinition } from './vmap/v1/Vmap.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  vmap: {
    v1: {
      AllocBatchRequest: MessageTypeDefinition<_vmap_v1_AllocBatchRequest, _vmap_v1_AllocBatchRequest__Output>
      AllocBatchResponse: MessageTypeDefinition<_vmap_v1_AllocBatchResponse, _vmap_v1_AllocBatchResponse__Output>
      AllocRequest: MessageTypeDefinition<_vmap_v1_AllocRequest, _vmap_v1_AllocRequest__Output>
      Area: MessageTypeDefinition<_vmap_v1_Area, _vmap_v1_Area__Output>
      FindRequest: MessageTypeDefinition<_vmap_v1_FindRequest, _vmap_v1_FindRequest__Output>
      FreeRequest: MessageTypeDefinition<_vmap_v1_FreeRequest, _vmap_v1_FreeRequest__Output>
      FreeResponse: MessageTypeDefinition<_vmap_v1_FreeResponse, _vmap_v1_FreeResponse__Output>
      ListAreasRequest: MessageTypeDefinition<_vmap_v1_ListAreasRequest, _vmap_v1_ListAreasRequest__Output>
      MemInfo: MessageTypeDefinition<_vmap_v1_MemInfo, _vmap_v1_MemInfo__Output>
      MemInfoRequest: MessageTypeDefinition<_vmap_v1_MemInfoRequest, _vmap_v1_MemInfoRequest__Output>
      PurgeRequest: MessageTypeDefinition<_vmap_v1_PurgeRequest, _vmap_v1_PurgeRequest__Output>
      PurgeResponse: MessageTypeDefinition<_vmap_v1_PurgeResponse, _vmap_v1_PurgeResponse__Output>
      /**
       * One shared virtual address space, allocated with the Linux kernel's vmalloc
       * placement rules.
       */
      Vmap: SubtypeConstructor<typeof grpc.Client, _vmap_v1_VmapClient> & { service: _vmap_v1_VmapDefinition }
    }
  }
}

