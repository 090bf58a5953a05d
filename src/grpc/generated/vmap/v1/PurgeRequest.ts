// Original file: proto/vmap/v1/vmap.proto


export interface PurgeRequest {
}

export interface PurgeRequest__Output {
}
