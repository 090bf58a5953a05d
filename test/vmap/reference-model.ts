/**
 * The reference model the property tests run beside VmapSpace. It is the one
 * model the benchmark cross-checks against too, so it lives in
 * loadtest/lib/reference-space.ts (the Docker build compiles loadtest/ but has
 * no test/); this name stays so the tests that import it need not change.
 */
export { ReferenceSpace, type Gap, type ReferenceShape } from '../../loadtest/lib/reference-space.js';
