/**
 * The sentences of report.md read off the run's own figures, so the
 * explanation never disagrees with the tables.
 */
import { otherCores, type CpuUse } from './cpu.js';
import { areas, cpuPerRequestUs, ms, rate, ratio, threadsText, us } from './report-format.js';
import type { CompareResults, Mode } from './results.js';

/** A server that used less than this share of its one core was not what limited the throughput. */
const SATURATED = 0.9;

/** Sentences read off this run's figures. */
export function explain(r: CompareResults): string[] {
  const lines: string[] = [];
  const http = r.baselines.http;
  const bareUs = cpuPerRequestUs(r.baselines.httpCpu, http?.reqPerSec);
  const get = (mode: Mode) => r.underLoad.find((u) => u.mode === mode);
  const snap = get('snapshot');
  const locked = get('locked-walk');
  const rcu = get('rcu-walk');
  // Results from a vmapd with reader threads (issue 11): HTTP off the writer's event loop.
  const threaded = typeof r.settings.httpThreads === 'number';
  const bareLoad = r.bareUnderLoad;
  const cores = (c: CpuUse, clients: number): string => {
    const other = otherCores(c, clients);
    return c.server === null || other === undefined
      ? ''
      : `vmapd used ${c.server.toFixed(2)} cores, the load generators ${clients.toFixed(2)} and other work ${other.toFixed(2)}, of ${r.machine.cpus}`;
  };

  if (snap && http) {
    const c = snap.cpu;
    const clients = snap.meminfo.clientCores + snap.writers.clientCores;
    const perReq = cpuPerRequestUs(c, snap.meminfo.reqPerSec);
    let why: string;
    if (threaded) {
      why =
        c.machine !== null && c.machine >= r.machine.cpus - 0.3
          ? `the machine was saturated (${cores(c, clients)}): the reader ${r.settings.httpThreads === 1 ? 'thread' : 'threads'}, the writer thread, autocannon and the writer processes share its cores, ` +
            `so the fair ceiling is the bare route under the same write load, not the bare route alone.`
          : `the machine was not saturated (${cores(c, clients)}).`;
      if (bareLoad) {
        why +=
          ` Under the same write load (the same writers against vmapd, the bare route on ${threadsText(bareLoad.threads)} flooded instead) ` +
          `the bare route served ${rate(bareLoad.meminfo.reqPerSec)} req/s: snapshot reached ${ratio(snap.meminfo.reqPerSec, bareLoad.meminfo.reqPerSec)} of it.`;
      }
    } else if (c.server !== null && c.server < SATURATED && c.machine !== null && c.machine < r.machine.cpus - 0.3) {
      why =
        `neither vmapd nor the machine was saturated (${cores(c, clients)}), so with ${r.settings.connections} closed-loop connections the flood ` +
        `was bound by latency, not CPU: every write the event loop serves (a gRPC call, a group commit, a snapshot publication) holds up the reads ` +
        `queued behind it while the connections wait (loadtest/README.md has a side test with more connections).`;
    } else if (c.server !== null && c.server < SATURATED) {
      why =
        `vmapd was not what limited it: ${cores(c, clients)}. The cores went to the load generators (autocannon, ${snap.writers.procs} writer process(es)) ` +
        `and to whatever else ran, so vmapd's event loop waited part of the time; on a machine with cores to spare for the clients this figure moves up.`;
    } else {
      why =
        `vmapd's one event loop was saturated (${cores(c, clients)}): it serves the gRPC writes, group commit and snapshot publication on the same thread that answers /meminfo, ` +
        `so each write's CPU time is taken from the readers.`;
    }
    lines.push(
      `- **snapshot under write load** served ${rate(snap.meminfo.reqPerSec)} req/s, ${ratio(snap.meminfo.reqPerSec, http.reqPerSec)} of the bare route, ` +
        `while writers got ${rate(snap.writers.opsPerSec)} of ${rate(r.settings.writeRate)} ops/s through. ` +
        (threaded
          ? `A snapshot read on a reader thread is a seqlock read of a body rendered at publish time, and the writes run on the writer thread; ${why}`
          : `A snapshot read is a pointer load and the send of a body rendered at publish time; ${why}`) +
        (perReq !== undefined && bareUs !== undefined
          ? ` Per /meminfo request vmapd spent ${us(perReq)} µs of CPU, writes included, against ${us(bareUs)} µs for the bare route (${ratio(perReq, bareUs)}).`
          : ''),
    );
  }
  if (snap && locked) {
    lines.push(
      `- **locked-walk** (the kernel before the 2014 patch) reached ${rate(locked.meminfo.reqPerSec)} req/s with p99 ${ms(locked.meminfo.latency.p99)} ms, ` +
        `against snapshot's ${ms(snap.meminfo.latency.p99)} ms (${ratio(locked.meminfo.latency.p99, snap.meminfo.latency.p99)} worse): every read ` +
        `${threaded ? 'goes to the writer thread, ' : ''}takes the writer mutex and walks ` +
        `all ${areas(locked.areas)} areas, so readers queue behind writers and writers behind readers. The writers got ${rate(locked.writers.opsPerSec)} of ` +
        `${rate(r.settings.writeRate)} ops/s through and their p99 went to ${ms(locked.writers.latency.p99)} ms (snapshot: ${ms(snap.writers.latency.p99)} ms): ` +
        `this is Richard Yao's report in the seed thread, a monitoring loop starving vmalloc.`,
    );
  }
  if (rcu && snap && threaded) {
    const perRcu = cpuPerRequestUs(rcu.cpu, rcu.meminfo.reqPerSec);
    const perLocked = locked === undefined ? undefined : cpuPerRequestUs(locked.cpu, locked.meminfo.reqPerSec);
    lines.push(
      `- **rcu-walk** (the 2014 patch) walks the reader thread's own replica of the area list, without the mutex and off the writer thread: ` +
        `${rate(rcu.meminfo.reqPerSec)} req/s, p99 ${ms(rcu.meminfo.latency.p99)} ms, writers at ${rate(rcu.writers.opsPerSec)} ops/s` +
        (locked === undefined
          ? '.'
          : `; its p99 is ${ratio(rcu.meminfo.latency.p99, locked.meminfo.latency.p99)} of locked-walk's and the writers' p99 ${ms(rcu.writers.latency.p99)} ms against ` +
            `${ms(locked.writers.latency.p99)} ms.`) +
        ` The reads no longer wait for the writer, nor the writer for them; each read still walks all ${areas(rcu.areas)} areas, so reads queue behind each other's walks on the reader thread.` +
        (perRcu !== undefined && perLocked !== undefined
          ? ` vmapd's CPU per read was ${us(perRcu)} µs against locked-walk's ${us(perLocked)} µs (${ratio(perRcu, perLocked)}): what a walk costs per area on each side.`
          : ''),
    );
  }
  if (rcu && snap && !threaded) {
    lines.push(
      `- **rcu-walk** (the 2014 patch) drops the mutex but still walks every area: ${rate(rcu.meminfo.reqPerSec)} req/s, p99 ${ms(rcu.meminfo.latency.p99)} ms, ` +
        `writers at ${rate(rcu.writers.opsPerSec)} ops/s. In the kernel each reader walks on its own CPU and writers only lose the lock; ` +
        `in Node the walk runs on the one event loop, so it still delays every write behind it, only without the mutex's FIFO hand-off. ` +
        `The O(1) published snapshot is what removes the cost here.`,
    );
  }
  const snapScale = r.scaling.filter((x) => x.mode === 'snapshot');
  if (snapScale.length >= 2) {
    const a = snapScale[0]!;
    const z = snapScale[snapScale.length - 1]!;
    const ua = cpuPerRequestUs(a.cpu, a.meminfo.reqPerSec);
    const uz = cpuPerRequestUs(z.cpu, z.meminfo.reqPerSec);
    const walk = r.scaling.filter((x) => x.mode !== 'snapshot' && x.areas === z.areas);
    let text =
      `- **Scaling**: snapshot went from ${rate(a.meminfo.reqPerSec)} req/s at ${areas(a.areas)} areas to ${rate(z.meminfo.reqPerSec)} at ${areas(z.areas)} ` +
      `(${ratio(z.meminfo.reqPerSec, a.meminfo.reqPerSec)}); vmapd's CPU per request went from ${us(ua)} to ${us(uz)} µs (${ratio(uz, ua)}).`;
    if (z.meminfo.reqPerSec >= 0.95 * a.meminfo.reqPerSec) {
      text += ' The read does not depend on the number of areas.';
    } else if (z.cpu.server !== null && a.cpu.server !== null && z.cpu.server < 0.85 * a.cpu.server) {
      text +=
        ` vmapd got less CPU at ${areas(z.areas)} (${z.cpu.server.toFixed(2)} cores against ${a.cpu.server.toFixed(2)}) while the machine was busy ` +
        `(${z.cpu.machine?.toFixed(2) ?? '–'} of ${r.machine.cpus}): much of the drop is contention, not the read path.`;
    } else {
      text +=
        ` The read itself is O(1) (${threaded ? 'a seqlock read' : 'one pointer load'}, a prerendered body), so the extra CPU per request comes from around it, most likely the ` +
        `garbage collector: with a million live areas the heap is far larger, and old-generation marking and the scavenges' ` +
        `old-to-new scanning cost more per request (not verified here: run vmapd with --trace-gc to see).`;
    }
    if (walk.length > 0) {
      text += ` The walks fall with the number of areas, as O(n) reads must: ${walk.map((x) => `${x.mode} ${rate(x.meminfo.reqPerSec)} req/s`).join(', ')} at ${areas(z.areas)}.`;
    }
    lines.push(text);
  }
  const iso = (mode: Mode) => r.isolation.find((i) => i.mode === mode);
  const isoSnap = iso('snapshot');
  const isoLocked = iso('locked-walk');
  if (isoSnap && isoLocked) {
    lines.push(
      `- **Isolation**: with the flood on, closed-loop writers kept ${ratio(isoSnap.withFlood.opsPerSec, isoSnap.alone.opsPerSec)} of their throughput in snapshot mode ` +
        `and ${ratio(isoLocked.withFlood.opsPerSec, isoLocked.alone.opsPerSec)} in locked-walk. ` +
        (threaded
          ? `In snapshot mode the flood runs on the reader ${r.settings.httpThreads === 1 ? 'thread' : 'threads'} and costs writers only the machine's cores (its ${r.machine.cpus} cores run autocannon, the writer ` +
            `processes and vmapd's threads); in locked-walk each read also holds the writer mutex for a full walk on the writer thread.`
          : `In snapshot mode the flood costs writers only CPU time on the shared event loop and on the machine; in locked-walk each read also holds the writer mutex for a full walk.`),
    );
  }
  lines.push(...issue11Lines(r));
  lines.push(...pagesLines(r));
  const miss = r.targets.filter((t) => t.pass === false && t.goal !== 'none');
  if (miss.length > 0) {
    lines.push(
      `- Missed targets: ${miss.map((t) => t.name).join(', ')}. They are reported, never enforced; loadtest/README.md discusses what limits them on this ` +
        `${r.machine.cpus}-core machine and what would move them.`,
    );
  }
  return lines;
}

/** Sentences on phases 5 and 6, when the run has them. */
function issue11Lines(r: CompareResults): string[] {
  const lines: string[] = [];
  const busy = r.writerBusy ?? [];
  const snapBusy = busy.find((b) => b.mode === 'snapshot');
  if (snapBusy) {
    const others = busy.filter((b) => b.mode !== 'snapshot');
    const c = snapBusy.cpu;
    const clients = snapBusy.meminfo.clientCores + snapBusy.batches.clientCores;
    const other = otherCores(c, clients);
    lines.push(
      `- **Writer kept busy**: while AllocBatch calls of ${rate(snapBusy.batches.batch ?? 0)} areas ran back to back ` +
        `(${snapBusy.batches.opsPerSec.toFixed(1)} per second, p50 ${ms(snapBusy.batches.latency.p50)} ms each on the client; ${areas(snapBusy.areasBefore)} → ${areas(snapBusy.areasAfter)} areas), ` +
        `snapshot /meminfo answered ${rate(snapBusy.meminfo.reqPerSec)} req/s at p99 ${ms(snapBusy.meminfo.latency.p99)} ms (max ${ms(snapBusy.meminfo.latency.max)}; goal under 10 ms)` +
        (others.length > 0 ? `; ${others.map((b) => `${b.mode} p99 ${ms(b.meminfo.latency.p99)} ms`).join(', ')}` : '') +
        `. vmapd used ${c.server?.toFixed(2) ?? '–'} cores, the flood and the batch client ${clients.toFixed(2)}, other work ${other?.toFixed(2) ?? '–'}, of ${r.machine.cpus}: ` +
        `every batch is applied by the writer thread, then received and applied again, in messages of 512 changes, by each reader thread to its replica, ` +
        `one message per turn of that thread's event loop, between reads. A snapshot read takes no lock and never waits for the writer, but it can wait for its own thread's replica update, ` +
        `and it shares the cores with all of that work.`,
    );
  }
  const rows = r.threads ?? [];
  const counts = [...new Set(rows.map((x) => x.threads))].sort((a, b) => a - b);
  if (counts.length >= 2) {
    const lo = counts[0]!;
    const hi = counts[counts.length - 1]!;
    const at = (server: 'vmapd' | 'bare', n: number, load: 'none' | 'writers') => rows.find((x) => x.server === server && x.threads === n && x.load === load)?.meminfo.reqPerSec;
    lines.push(
      `- **Reader threads**: with no writers, --http-threads ${hi} served ${ratio(at('vmapd', hi, 'none'), at('vmapd', lo, 'none'))} of --http-threads ${lo}'s req/s ` +
        `(the bare route, ${hi} threads against ${lo}: ${ratio(at('bare', hi, 'none'), at('bare', lo, 'none'))}) and ${ratio(at('vmapd', hi, 'none'), at('bare', hi, 'none'))} of the bare route on ${hi} reusePort threads; ` +
        `with writers at ${rate(r.settings.writeRate)}/s, ${ratio(at('vmapd', hi, 'writers'), at('vmapd', lo, 'writers'))} of ${threadsText(lo)} and ${ratio(at('vmapd', hi, 'writers'), at('bare', hi, 'writers'))} of the bare route under the same writes. ` +
        `More threads than free cores cannot add throughput: on ${r.machine.cpus} cores the flood and the writers take their share.`,
    );
  }
  return lines;
}

/** The sentence on phase 7, when the run has both of its measurements. */
function pagesLines(r: CompareResults): string[] {
  const p = r.pages;
  const none = p?.noPages;
  const open = p?.withPages;
  if (p === undefined || none === undefined || open === undefined) return [];
  const c = p.clients;
  const perReq = (m: typeof none): string => us(cpuPerRequestUs(m.cpu, m.meminfo.reqPerSec));
  return [
    `- **Pages of the live map**: with ${p.pages} pages open, snapshot /meminfo served ${rate(open.meminfo.reqPerSec)} req/s against ${rate(none.meminfo.reqPerSec)} with none ` +
      `(${ratio(open.meminfo.reqPerSec, none.meminfo.reqPerSec)}; goal at least 0.95), p99 ${ms(open.meminfo.latency.p99)} against ${ms(none.meminfo.latency.p99)} ms. ` +
      `vmapd used ${open.cpu.server?.toFixed(2) ?? '–'} cores with them and ${none.cpu.server?.toFixed(2) ?? '–'} without, ${perReq(open)} against ${perReq(none)} µs per /meminfo request, everything included` +
      (c === undefined ? '.' : `; the pages read ${c.eventsPerSecPerPage.toFixed(1)} events a second each and ${rate(c.maps)} maps (p99 ${ms(c.mapLatency.p99)} ms), all from the reader threads that answer /meminfo.`),
  ];
}
