/**
 * The two standard services vmapd serves beside vmap.v1.Vmap: gRPC health
 * checking, which follows the service's readiness, and server reflection,
 * which describes every service served, itself included, under the real
 * names of their files.
 */
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { VmapService } from '../service/vmap-service.js';
import type { ServiceSink } from './decoding.js';
import { loadProtoFile, STANDARD_PROTOS } from './proto-files.js';
import { packageDefinition, VMAP_SERVICE_NAME } from './proto.js';

/** What health checks name: the whole server ('') and vmap.v1.Vmap, which always agree. */
const CHECKED = ['', VMAP_SERVICE_NAME] as const;

/**
 * SERVING only on the node that commits writes itself (the leader, or a
 * vmapd on its own), so that a load balancer or an operator can find the
 * leader by a health check; a standby serves reads and forwards writes.
 */
export const LEADER_HEALTH_NAME = `${VMAP_SERVICE_NAME}/leader`;

/** Every file reflection describes; loaded once, as the files never change while running. */
const reflected: PackageDefinition = Object.assign({}, packageDefinition, ...STANDARD_PROTOS.map((file) => loadProtoFile(file)));

/** The running standard services. */
export interface StandardServices {
  readonly health: HealthImplementation;
  /** Stops following readiness and reports NOT_SERVING from now on (the edge is stopping). */
  stop(): void;
}

/**
 * Adds health and reflection to `server`. Health reports SERVING
 * exactly while `service` is ready (VmapService.notReadyReason is null):
 * a load balancer must not send writes to a vmapd whose store is full or
 * broken, or that is shutting down.
 */
export function addStandardServices(server: ServiceSink, service: VmapService): StandardServices {
  let current: ServingStatus | undefined;
  const health = new HealthImplementation();
  const report = (status: ServingStatus): void => {
    // Watchers hear every setStatus; tell them only of a change.
    if (status === current) return;
    current = status;
    for (const name of CHECKED) health.setStatus(name, status);
  };
  let leading: ServingStatus | undefined;
  const reportLeading = (status: ServingStatus): void => {
    if (status === leading) return;
    leading = status;
    health.setStatus(LEADER_HEALTH_NAME, status);
  };
  const follow = (reason: string | null): void => {
    report(reason === null ? 'SERVING' : 'NOT_SERVING');
    reportLeading(reason === null && service.leading ? 'SERVING' : 'NOT_SERVING');
  };
  follow(service.notReadyReason);
  const unsubscribe = service.readiness.onChange(follow);
  health.addToServer(server);
  new ReflectionService(reflected).addToServer(server);
  return {
    health,
    stop() {
      unsubscribe();
      report('NOT_SERVING');
      reportLeading('NOT_SERVING');
    },
  };
}
