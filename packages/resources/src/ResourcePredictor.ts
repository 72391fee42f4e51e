/**
 * The seed's `ResourceOptimizationModel`: predicts an operation's CPU, memory, network and
 * duration from its feature vector (see `Features`) with one online linear model per target
 * (recursive least squares with a forgetting factor), starting from priors and trained on every
 * observed run. Models are kept per tool (at most `maxModels`, the least recently trained one
 * dropped past it) and it keeps its own error — the mean absolute error of each prediction,
 * measured before the model learns from it — which it exports as metrics.
 */
import { Context, Effect, Layer, Metric } from "effect"
import { DIMENSION } from "./Features.ts"
import { Rls } from "./internal/Rls.ts"
import { type ResourceProfile, type Target, TARGETS } from "./Profile.ts"

export interface ResourcePredictorOptions {
  /** Forgetting factor of the models, in (0, 1] (default 0.99: about the last 100 runs count). */
  readonly forgetting?: number
  /** Tools with a model of their own (default 1024); the least recently trained is dropped past it. */
  readonly maxModels?: number
  /** Prior weights per target, in the order of the feature vector (default {@link priors}). */
  readonly priors?: Readonly<Record<Target, ReadonlyArray<number>>>
}

/** The error the predictor reports for one target. */
export interface TargetError {
  /** Mean absolute error over recent observations (exponentially weighted, about the last 50). */
  readonly mae: number
  readonly observations: number
}

/**
 * Where each model starts, per target, over [search, embedding, analysis, workflow, complexity,
 * limit/100, reranking, parallel, accuracy, timeout/60 s, 1]: a little CPU and memory for any
 * call, more for embedding and analysis, network for search and workflows.
 */
export const priors: Readonly<Record<Target, ReadonlyArray<number>>> = {
  cpu: [0.1, 0.4, 0.6, 0.1, 0.05, 0.05, 0.1, 0.2, 0.1, 0, 0.05],
  memory: [16, 96, 48, 32, 8, 16, 16, 16, 8, 0, 16],
  network: [1, 0, 0, 1, 0, 0.5, 0, 1, 0, 0, 0],
  duration: [150, 200, 400, 1000, 100, 50, 100, 0, 100, 0, 50]
}

/** Largest value of each target (cores, MiB, permits, ms) a model predicts or learns from. */
const maxValues: Record<Target, number> = { cpu: 1024, memory: 1 << 20, network: 1 << 20, duration: 86_400_000 }
/** Starting covariance per target, scaled to its units so the first runs move the prior as much in each. */
const initialVariances: Record<Target, number> = { cpu: 1, memory: 1000, network: 10, duration: 10_000 }
/** Weight of the newest error in the mean absolute error. */
const ERROR_WEIGHT = 0.02

type Models = Record<Target, Rls>

/** The models and their error, as a plain object (what the service wraps). */
export const make = (options: ResourcePredictorOptions = {}) => {
  const forgetting = Math.min(1, Math.max(0.5, options.forgetting ?? 0.99))
  const maxModels = Math.max(1, options.maxModels ?? 1024)
  const prior = options.priors ?? priors
  const priorOf = (target: Target) => {
    const weights = new Float64Array(DIMENSION)
    weights.set(prior[target].slice(0, DIMENSION))
    return weights
  }
  const priorWeights = Object.fromEntries(TARGETS.map((t) => [t, priorOf(t)])) as Record<Target, Float64Array>
  const newModels = (): Models =>
    Object.fromEntries(TARGETS.map((t) => [t, new Rls(priorWeights[t], initialVariances[t], forgetting, maxValues[t])])) as Models
  /** The priors' model, used for tools without a model yet (never trained). */
  const untrained = newModels()
  const models = new Map<string, Models>()
  const errors = Object.fromEntries(TARGETS.map((t) => [t, { mae: 0, observations: 0 }])) as Record<Target, { mae: number; observations: number }>

  const modelsFor = (key: string): Models => {
    const found = models.get(key)
    if (found !== undefined) {
      models.delete(key) // re-inserted: the Map's order is the order of last training
      models.set(key, found)
      return found
    }
    if (models.size >= maxModels) models.delete(models.keys().next().value!)
    const created = newModels()
    models.set(key, created)
    return created
  }

  const predictWith = (m: Models, features: Float64Array): ResourceProfile => ({
    cpu: m.cpu.predict(features),
    memoryMiB: m.memory.predict(features),
    network: m.network.predict(features),
    durationMs: m.duration.predict(features)
  })

  const learn = (model: Rls, target: Target, features: Float64Array, actual: number | undefined) => {
    if (actual === undefined || !Number.isFinite(actual)) return
    const error = errors[target]
    const absolute = Math.abs(model.predict(features) - Math.max(0, actual))
    error.mae = error.observations === 0 ? absolute : error.mae + ERROR_WEIGHT * (absolute - error.mae)
    error.observations++
    model.update(features, actual)
  }

  return {
    /** What a run of `key` (a tool name) with `features` is predicted to use. */
    predict: (key: string, features: Float64Array): ResourceProfile => predictWith(models.get(key) ?? untrained, features),
    /** Trains `key`'s models on what one run used (targets left out were not measured). */
    observe: (key: string, features: Float64Array, actual: Partial<ResourceProfile>): void => {
      const m = modelsFor(key)
      learn(m.cpu, "cpu", features, actual.cpu)
      learn(m.memory, "memory", features, actual.memoryMiB)
      learn(m.network, "network", features, actual.network)
      learn(m.duration, "duration", features, actual.durationMs)
    },
    /** The mean absolute error of each target's recent predictions. */
    error: (): Readonly<Record<Target, TargetError>> =>
      Object.fromEntries(TARGETS.map((t) => [t, { ...errors[t] }])) as Record<Target, TargetError>,
    /** Tools with a trained model. */
    size: () => models.size
  }
}

/** Predicts resource use from features and learns from observed runs. */
export class ResourcePredictor extends Context.Service<ResourcePredictor, ReturnType<typeof make>>()("@tenfold/resources/ResourcePredictor") {
  static layer = (options: ResourcePredictorOptions = {}) => Layer.sync(ResourcePredictor, () => make(options))
}

const maeGauge = Metric.gauge("tenfold_predictor_mae", { description: "Mean absolute error of the resource predictor's recent predictions, per target (cores, MiB, permits, ms)" })
const observationsGauge = Metric.gauge("tenfold_predictor_observations", { description: "Runs the resource predictor has learned from, per target" })

/** Registers the predictor's error per target (`tenfold_predictor_mae{target}`), read when metrics are read, until the scope closes. */
export const registerMetrics = (predictor: ResourcePredictor["Service"]) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<never>()
    for (const target of TARGETS) {
      for (const [gauge, read] of [[maeGauge, (e: TargetError) => e.mae], [observationsGauge, (e: TargetError) => e.observations]] as const) {
        const registration = Metric.registerUnsafe(Metric.withAttributes(gauge, { target }), context, {
          get: () => ({ value: read(predictor.error()[target]) }),
          update: () => {},
          modify: () => {}
        })
        yield* Effect.addFinalizer(() => Effect.sync(registration.remove))
      }
    }
  })
