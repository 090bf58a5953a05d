"""The standard services vmapd serves beside vmap.v1.Vmap, seen from gRPC
Python: health checking and server reflection (v1 and v1alpha). Imported
by vmap_client.py, which passes its Observer; see there."""
import re
import time

from vmap_client import GARBAGE, TIMEOUT, event

VMAP = "vmap.v1.Vmap"


def health(o, targets):
    """Health of a ready server, of one whose store fails a commit, and of one shutting down."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    def stub(target):
        channel = o.grpc.insecure_channel(target)
        o.channels.append(channel)
        return health_pb2_grpc.HealthStub(channel), channel

    def status(h, service):
        name = health_pb2.HealthCheckResponse.ServingStatus.Name
        return name(h.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT).status)

    both = lambda h: {s: status(h, s) for s in ("", VMAP)}  # noqa: E731
    ready, channel = stub(targets["open"])
    out = {
        "ready": both(ready),
        "unknown_service": o.failure(lambda: status(ready, "no.such.Service")),
        "undecodable": o.raw(channel, "/grpc.health.v1.Health/Check"),
    }

    # The test's store fails exactly one commit, as a full disk would.
    failing, _ = stub(targets["failing"])
    vmap, _ = o.stub(targets["failing"])
    alloc = lambda: vmap.Alloc(o.pb.AllocRequest(size=4096), timeout=TIMEOUT)  # noqa: E731
    out["store_full"] = {"before": both(failing), "alloc": o.failure(alloc)}
    out["store_full"]["after_failed_commit"] = both(failing)
    # Known full: the next write is refused at once, saying when the store is tried again.
    out["store_full"]["fail_fast"] = o.failure(alloc)
    due = re.search(r"tried again in (\d+) ms", (out["store_full"]["fail_fast"] or {}).get("details") or "")
    if due:
        time.sleep(int(due.group(1)) / 1000 + 0.005)
    out["store_full"]["alloc_again"] = o.failure(alloc)
    out["store_full"]["after_good_commit"] = both(failing)

    closing, _ = stub(targets["closing"])
    watch = closing.Watch(health_pb2.HealthCheckRequest(service=VMAP), timeout=TIMEOUT)
    name = health_pb2.HealthCheckResponse.ServingStatus.Name
    seen = [name(next(watch).status)]
    event("watching")  # the test now shuts this server down
    seen.append(name(next(watch).status))
    watch.cancel()
    out["shutdown_watch"] = seen
    return out


def reflection(o, target, vmap_pb2):
    """What reflection lists and serves, and whether its vmap schema is protoc's."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from grpc_reflection.v1 import reflection_pb2 as v1, reflection_pb2_grpc as v1_grpc
    from grpc_reflection.v1alpha import reflection_pb2 as v1alpha, reflection_pb2_grpc as v1alpha_grpc

    channel = o.grpc.insecure_channel(target)
    o.channels.append(channel)

    def ask(version, **request):
        pb, pb_grpc = (v1, v1_grpc) if version == "v1" else (v1alpha, v1alpha_grpc)
        answers = list(pb_grpc.ServerReflectionStub(channel).ServerReflectionInfo(iter([pb.ServerReflectionRequest(**request)]), timeout=TIMEOUT))
        assert len(answers) == 1, answers
        return answers[0]

    def files(answer):
        """The files of a file_descriptor_response, or the in-band error."""
        if answer.HasField("error_response"):
            return {"error_code": answer.error_response.error_code, "error_message": answer.error_response.error_message}
        return [descriptor_pb2.FileDescriptorProto.FromString(b) for b in answer.file_descriptor_response.file_descriptor_proto]

    names = lambda answer: [f.name for f in files(answer)]  # noqa: E731
    services = lambda version: sorted(s.name for s in ask(version, list_services="*").list_services_response.service)  # noqa: E731
    out = {
        "services": services("v1"),
        "services_v1alpha": services("v1alpha"),
        "by_filename": names(ask("v1", file_by_filename="vmap/v1/vmap.proto")),
        "by_filename_v1alpha": names(ask("v1alpha", file_by_filename="vmap/v1/vmap.proto")),
        "by_symbol": {s: names(ask("v1", file_containing_symbol=s)) for s in (VMAP, VMAP + ".Alloc", "vmap.v1.MemInfo", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection")},
        "package_named_file": files(ask("v1", file_by_filename="vmap_v1.proto")),
    }
    call = channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
    out["undecodable"] = o.failure(lambda: list(call(iter([GARBAGE]), timeout=TIMEOUT)))

    # The reflected file, resolved by protobuf's own descriptor pool, against what protoc generated.
    pool = descriptor_pool.DescriptorPool()
    for f in files(ask("v1", file_by_filename="vmap/v1/vmap.proto")):
        pool.AddSerializedFile(f.SerializeToString())
    out["schema"] = {"reflected": schema(pool.FindFileByName("vmap/v1/vmap.proto"), descriptor_pb2), "protoc": schema(vmap_pb2.DESCRIPTOR, descriptor_pb2)}
    return out


def schema(file, descriptor_pb2):
    """The wire-relevant shape of a file: messages' fields and services' methods, type names resolved."""
    p = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(p)
    field = lambda f: [f.name, f.number, descriptor_pb2.FieldDescriptorProto.Label.Name(f.label), descriptor_pb2.FieldDescriptorProto.Type.Name(f.type), f.type_name]  # noqa: E731
    method = lambda m: [m.name, m.input_type, m.output_type, m.client_streaming, m.server_streaming]  # noqa: E731
    return {
        "name": p.name,
        "package": p.package,
        "syntax": p.syntax,
        "messages": {m.name: [field(f) for f in m.field] for m in p.message_type},
        "services": {s.name: [method(m) for m in s.method] for s in p.service},
    }
