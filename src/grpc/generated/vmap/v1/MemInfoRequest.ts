// Original file: proto/vmap/v1/vmap.proto


export interface MemInfoRequest {
}

export interface MemInfoRequest__Output {
}
