/**
 * Route schemas compiled on a route's first use rather than all at start-up.
 *
 * Fastify compiles every route's validators (Ajv) and response serializers (fast-json-stringify)
 * when the server becomes ready: for the API's few hundred routes that was most of the start-up
 * time, spent on routes a given run may never serve. Here each compiler hands Fastify a stand-in
 * that compiles the real function the first time it is called and keeps it: the first request of
 * a route pays a few milliseconds once, every later one a closure call.
 *
 * Behaviour is the same as compiling eagerly, except when a schema cannot compile: Fastify would
 * refuse to start, a stand-in fails its route's requests. `compileAll` compiles whatever is still
 * pending, so a test holds every schema of the API to compiling.
 */
import SerializerSelector from "@fastify/fast-json-stringify-compiler";
import type { FastifySchemaCompiler, FastifyServerOptions } from "fastify";

type ValidatorCompiler = FastifySchemaCompiler<object>;
type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"]
>;
type Validate = ReturnType<ValidatorCompiler>;
/** A validator as Fastify calls one of Ajv's: the second argument lets it replace a coerced root value. */
type ValidateInContext = ((data: unknown, dataContext?: unknown) => ReturnType<Validate>) & {
  errors?: Validate["errors"];
  schemaEnv?: unknown;
};

/** What a compiler is given: the schema and where it belongs. */
interface Part {
  schema?: unknown;
  method?: string;
  url?: string;
  httpPart?: string;
  httpStatus?: string;
}

/** One schema and its compiled function, once there is one. */
class Deferred<F> {
  compiled: F | undefined;
  constructor(
    readonly part: Part,
    private readonly build: () => F,
  ) {}

  compile(): F {
    try {
      this.compiled = this.build();
    } catch (err) {
      const { method, url, httpPart, httpStatus } = this.part;
      const where = httpPart ?? `response ${httpStatus}`;
      throw new Error(`the ${where} schema of ${method} ${url} does not compile: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return this.compiled;
  }
}

export class LazySchemas {
  readonly #all: Deferred<unknown>[] = [];

  /** How many schemas have been compiled and how many wait for their route's first use. */
  get counts(): { compiled: number; pending: number } {
    const compiled = this.#all.filter((d) => d.compiled !== undefined).length;
    return { compiled, pending: this.#all.length - compiled };
  }

  /** The request schemas (body, query string, path parameters) of every route, with where they belong. */
  get requestSchemas(): Part[] {
    return this.#all.filter((d) => d.part.httpPart !== undefined).map((d) => d.part);
  }

  /** Compiles every schema still pending; throws at the first that fails, naming its route. */
  compileAll(): void {
    for (const d of this.#all) if (d.compiled === undefined) d.compile();
  }

  /**
   * Wraps a validator compiler. The stand-in carries `schemaEnv` because Fastify passes the parent
   * object only to functions that do (Ajv's own), and forwards it; it copies the validator's
   * `errors`, which Fastify reads after a failed call.
   */
  validatorCompiler(compile: ValidatorCompiler): ValidatorCompiler {
    return (route) => {
      const deferred = this.#defer(route, () => compile(route) as ValidateInContext);
      const validate: ValidateInContext = (data, dataContext) => {
        const compiled = deferred.compiled ?? deferred.compile();
        const result = compiled(data, dataContext);
        validate.errors = compiled.errors;
        return result;
      };
      validate.errors = null;
      validate.schemaEnv = true;
      return validate as Validate;
    };
  }

  /**
   * A `compilersFactory.buildValidator` for Fastify's schema controller, handing out the stand-ins
   * of `validatorCompiler`. Given one, Fastify does not load its default (Ajv) compiler at start.
   * Fastify's type names that default's own factory; any factory of route compilers serves.
   */
  validatorBuilder(compile: ValidatorCompiler): NonNullable<CompilersFactory["buildValidator"]> {
    const compiler = this.validatorCompiler(compile);
    return (() => compiler) as unknown as NonNullable<CompilersFactory["buildValidator"]>;
  }

  /**
   * A `compilersFactory.buildSerializer` for Fastify's schema controller: Fastify's own default
   * serializer compiler, behind stand-ins.
   */
  serializerBuilder(): SerializerSelector.SerializerFactory {
    const buildDefault = SerializerSelector();
    return (externalSchemas, options) => {
      const compile = buildDefault(externalSchemas, options);
      return (route) => {
        const deferred = this.#defer(route, () => compile(route));
        return (data) => (deferred.compiled ?? deferred.compile())(data);
      };
    };
  }

  #defer<F>(part: Part, build: () => F): Deferred<F> {
    const deferred = new Deferred(part, build);
    this.#all.push(deferred);
    return deferred;
  }
}
