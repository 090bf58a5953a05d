"""Drives vmapd from gRPC Python, a gRPC stack vmapd did not write.

Run by test/interop/python.test.ts with Debian's /usr/bin/python3: the test
starts the servers, generates the stubs with protoc into a temporary
directory and passes both in argv[1] (JSON); this script prints one JSON
document of what it observed on stdout and asserts nothing itself.

Where the test must act, the script writes a line `vmap-interop-event
<name>` to stderr: `stalling` (its listing has stopped reading; it then
reads a line from stdin, which the test writes once the server has given
up on the listing) and `watching` (it watches health; the test shuts that
server down).
"""
import json
import sys

TIMEOUT = 20  # seconds: a bound on a broken server, never a wait for one
GARBAGE = b"\xff\xff\xff"  # a tag whose varint never ends: no message decodes from it


def event(name):
    """Tells the test where the script is."""
    sys.stderr.write("vmap-interop-event %s\n" % name)
    sys.stderr.flush()


def wait_for_test():
    """Blocks until the test writes a line to stdin."""
    if sys.stdin.readline() == "":
        raise SystemExit("stdin closed before the test said go on")


class Observer:
    """The vmap.v1.Vmap calls, and their failures as plain data."""

    def __init__(self, grpc, pb, pb_grpc, json_format):
        self.grpc = grpc
        self.pb = pb
        self.pb_grpc = pb_grpc
        self.json_format = json_format
        self.channels = []

    def stub(self, target, options=None):
        channel = self.grpc.insecure_channel(target, options=options)
        self.channels.append(channel)
        return self.pb_grpc.VmapStub(channel), channel

    def close(self):
        for channel in self.channels:
            channel.close()

    def data(self, message):
        """A message as the JSON mapping spells it: uint64 as decimal strings, every field present."""
        return self.json_format.MessageToDict(message, preserving_proto_field_name=True, including_default_value_fields=True)

    def failure(self, fn):
        """Runs fn; the gRPC error it raised as plain data, or None if it succeeded."""
        try:
            fn()
        except self.grpc.RpcError as e:
            trailing = dict(e.trailing_metadata() or ())
            return {
                "code": e.code().name,
                "details": e.details(),
                "field": trailing.get("vmap-field"),
                "quota": trailing.get("vmap-quota"),
            }
        return None

    def raw(self, channel, path, streaming=False):
        """The failure of sending GARBAGE as the request of `path` (bytes pass unserialized)."""
        if streaming:
            call = channel.unary_stream(path)
            return self.failure(lambda: list(call(GARBAGE, timeout=TIMEOUT)))
        call = channel.unary_unary(path)
        return self.failure(lambda: call(GARBAGE, timeout=TIMEOUT))


def rpcs(o, target):
    """Every RPC once, in a space of its own, and what each returned."""
    pb = o.pb
    vmap, _ = o.stub(target)
    out = {}
    a = vmap.Alloc(pb.AllocRequest(size=8192, caller="python", request_id="py-1"), timeout=TIMEOUT)
    out["alloc"] = o.data(a)
    out["alloc_retry"] = o.data(vmap.Alloc(pb.AllocRequest(size=8192, caller="python", request_id="py-1"), timeout=TIMEOUT))
    batch = vmap.AllocBatch(
        pb.AllocBatchRequest(requests=[pb.AllocRequest(size=4096), pb.AllocRequest(size=4096, align=1 << 30, no_guard=True)]),
        timeout=TIMEOUT,
    )
    out["alloc_batch"] = [o.data(x) for x in batch.areas]
    out["find_inside"] = o.data(vmap.Find(pb.FindRequest(addr=a.addr + 4096 + 17), timeout=TIMEOUT))
    out["list"] = [o.data(x) for x in vmap.ListAreas(pb.ListAreasRequest(), timeout=TIMEOUT)]
    page = vmap.ListAreas(pb.ListAreasRequest(from_addr=batch.areas[0].addr, limit=1), timeout=TIMEOUT)
    out["list_page"] = [o.data(x) for x in page]
    out["meminfo_before_free"] = o.data(vmap.MemInfo(pb.MemInfoRequest(), timeout=TIMEOUT))
    out["free"] = o.data(vmap.Free(pb.FreeRequest(addr=a.addr), timeout=TIMEOUT))
    out["list_lazy"] = [o.data(x) for x in vmap.ListAreas(pb.ListAreasRequest(include_lazy=True), timeout=TIMEOUT)]
    out["purge"] = o.data(vmap.Purge(pb.PurgeRequest(), timeout=TIMEOUT))
    out["meminfo_after_purge"] = o.data(vmap.MemInfo(pb.MemInfoRequest(), timeout=TIMEOUT))
    return out


def errors(o, targets, tokens, base):
    """Every error code the service returns, from the server set up to return it."""
    pb = o.pb
    vmap, channel = o.stub(targets["open"])
    alloc = lambda stub, md=None, **kw: stub.Alloc(pb.AllocRequest(**kw), metadata=md, timeout=TIMEOUT)  # noqa: E731
    out = {
        "size_zero": o.failure(lambda: alloc(vmap, size=0)),
        "align_not_power_of_two": o.failure(lambda: alloc(vmap, size=4096, align=3)),
        "vstart_below_space": o.failure(lambda: alloc(vmap, size=4096, vstart=4096)),
        "batch_field": o.failure(
            lambda: vmap.AllocBatch(pb.AllocBatchRequest(requests=[pb.AllocRequest(size=4096), pb.AllocRequest(size=4096, align=3)]), timeout=TIMEOUT)
        ),
        "undecodable_alloc": o.raw(channel, "/vmap.v1.Vmap/Alloc"),
        "undecodable_list": o.raw(channel, "/vmap.v1.Vmap/ListAreas", streaming=True),
        "free_missing": o.failure(lambda: vmap.Free(pb.FreeRequest(addr=base + (1 << 40)), timeout=TIMEOUT)),
        "find_missing": o.failure(lambda: vmap.Find(pb.FindRequest(addr=base + (1 << 40)), timeout=TIMEOUT)),
    }
    small, _ = o.stub(targets["small"])
    out["fits"] = o.data(alloc(small, size=32768))
    out["out_of_space"] = o.failure(lambda: alloc(small, size=32768))

    secured, _ = o.stub(targets["tokens"])
    bearer = lambda who: (("authorization", "Bearer " + tokens[who]),)  # noqa: E731
    out["no_token"] = o.failure(lambda: alloc(secured, size=4096))
    out["unknown_token"] = o.failure(lambda: alloc(secured, (("authorization", "Bearer not-a-real-token-at-all"),), size=4096))
    out["no_token_list"] = o.failure(lambda: list(secured.ListAreas(pb.ListAreasRequest(), timeout=TIMEOUT)))
    mine = [o.data(alloc(secured, bearer("alice"), size=4096)) for _ in range(2)]
    out["quota_holder"] = mine
    out["quota_areas"] = o.failure(lambda: alloc(secured, bearer("alice"), size=4096))
    addr = int(mine[0]["addr"])
    out["other_owner_free"] = o.failure(lambda: secured.Free(pb.FreeRequest(addr=addr), metadata=bearer("bob"), timeout=TIMEOUT))
    out["other_owner_find"] = o.failure(lambda: secured.Find(pb.FindRequest(addr=addr), metadata=bearer("bob"), timeout=TIMEOUT))
    out["own_list"] = [o.data(x) for x in secured.ListAreas(pb.ListAreasRequest(), metadata=bearer("alice"), timeout=TIMEOUT)]
    return out


def stall(o, target):
    """A listing whose reader stops: refused company while it runs, then DEADLINE_EXCEEDED naming where to resume."""
    pb = o.pb
    # With BDP probing, the C core grows the stream's window and buffers the
    # whole listing while the application reads nothing; a fixed window makes
    # a client that stops reading stall the server, as a slow reader does.
    vmap, _ = o.stub(target, options=[("grpc.http2.bdp_probe", 0)])
    for _ in range(2):
        vmap.AllocBatch(pb.AllocBatchRequest(requests=[pb.AllocRequest(size=4096)] * 10000), timeout=TIMEOUT)
    listing = vmap.ListAreas(pb.ListAreasRequest(), timeout=120)
    received = [next(listing).addr]
    out = {"busy": o.failure(lambda: list(vmap.ListAreas(pb.ListAreasRequest(), timeout=TIMEOUT)))}
    event("stalling")
    wait_for_test()
    try:
        for area in listing:
            received.append(area.addr)
        out["ended"] = None
    except o.grpc.RpcError as e:
        out["ended"] = {"code": e.code().name, "details": e.details()}
    out["received"] = len(received)
    out["last_received"] = str(received[-1])
    rest = vmap.ListAreas(pb.ListAreasRequest(from_addr=received[-1] + 1), timeout=120)
    out["resumed"] = sum(1 for _ in rest)
    return out


def main():
    config = json.loads(sys.argv[1])
    sys.path.insert(0, config["stubs"])
    import grpc
    from google.protobuf import json_format
    from vmap.v1 import vmap_pb2, vmap_pb2_grpc

    import standard_services

    o = Observer(grpc, vmap_pb2, vmap_pb2_grpc, json_format)
    try:
        targets = config["targets"]
        result = {
            "versions": {"grpc": grpc.__version__, "python": sys.version.split()[0]},
            "rpcs": rpcs(o, targets["open"]),
            "errors": errors(o, targets, config["tokens"], int(config["base"])),
            "stall": stall(o, targets["stall"]),
            "health": standard_services.health(o, targets),
            "reflection": standard_services.reflection(o, targets["open"], vmap_pb2),
        }
    finally:
        o.close()
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
