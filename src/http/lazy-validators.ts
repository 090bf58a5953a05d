/**
 * The routes' request validators, compiled when first needed instead of all
 * at start. fastify compiles every route's schemas (ajv, through its own
 * @fastify/ajv-compiler) while the server is built: about 170 ms of an HTTP
 * thread's start, which is on the path from spawn to "vmapd listening".
 * Here each validator is fastify's own, compiled by the same compiler from
 * the same schema with the same options, only later: at its first request,
 * or in the background once the thread listens (`compileRest`), a validator
 * per turn, so that the first requests seldom wait for one and a schema that
 * does not compile is known soon after the start.
 *
 * fastify reads a failed check's `errors` off the function it called; the
 * wrapper copies them from the compiled one. (A custom validator builder
 * makes fastify hand header schemas over as written, not lowercased: no
 * route has a header schema.)
 */
import { AjvCompiler } from '@fastify/ajv-compiler';

/** What fastify calls a validator with, and what it gets. */
type Compile = ReturnType<ReturnType<typeof AjvCompiler>>;
type RouteDefinition = Parameters<Compile>[0];
type Validate = ReturnType<Compile>;
type ValidatorBuilder = ReturnType<typeof AjvCompiler>;

/** A validator that compiles itself at its first call. */
interface Lazy {
  (data: unknown): unknown;
  errors?: unknown;
  /** Compiles it now if it is not yet. */
  compile(): void;
}

export class LazyValidators {
  private readonly pending: Lazy[] = [];
  private readonly build: ValidatorBuilder = AjvCompiler();

  /** For fastify's `schemaController.compilersFactory.buildValidator`. */
  readonly buildValidator = ((externalSchemas, options) => {
    const compile = this.build(externalSchemas, options);
    return (route: RouteDefinition): Validate => this.lazy(() => compile(route));
  }) as ValidatorBuilder;

  /** Validators not compiled yet. */
  get left(): number {
    return this.pending.length;
  }

  /**
   * Compiles every validator not yet compiled, one per event-loop turn; a
   * schema that does not compile goes to `failed` (its route answers 500 when
   * asked).
   */
  compileRest(failed: (err: unknown) => void): void {
    const next = (): void => {
      const v = this.pending.pop();
      if (v === undefined) return;
      try {
        v.compile();
      } catch (err) {
        failed(err);
      }
      setImmediate(next);
    };
    setImmediate(next);
  }

  private lazy(compile: () => Validate): Validate {
    let fn: Validate | undefined;
    const v = ((data: unknown) => {
      fn ??= compile();
      const ok = fn(data);
      v.errors = fn.errors;
      return ok;
    }) as Lazy;
    v.compile = () => void (fn ??= compile());
    this.pending.push(v);
    return v as unknown as Validate;
  }
}
