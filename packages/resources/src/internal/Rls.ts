/**
 * Recursive least squares with a forgetting factor, for one target: the online linear model the
 * predictor trains on every observed run. Numerics are bounded: no variance of the covariance
 * grows past its starting value (no wind-up while the same features repeat), predictions and
 * errors are clamped to the target's range, and a non-finite state goes back to the prior.
 */
export class Rls {
  readonly weights: Float64Array
  private readonly covariance: Float64Array
  private readonly scratch: Float64Array
  private readonly prior: Float64Array
  private readonly initialVariance: number
  private readonly drift: number
  private readonly maxValue: number

  /**
   * `initialVariance`: how far the first observations may move the prior; `forgetting` in (0, 1]
   * (0.99 weighs about the last 100 observations); `maxValue`: the target's largest meaningful
   * value, to which predictions and errors are clamped.
   */
  constructor(prior: Float64Array, initialVariance: number, forgetting: number, maxValue: number) {
    const d = prior.length
    this.prior = prior
    this.initialVariance = initialVariance
    this.maxValue = maxValue
    this.weights = new Float64Array(d)
    this.covariance = new Float64Array(d * d)
    this.scratch = new Float64Array(d)
    this.drift = (1 - forgetting) ** 2
    this.reset()
  }

  /** Back to the prior weights and the starting covariance. */
  reset(): void {
    const d = this.prior.length
    this.weights.set(this.prior)
    this.covariance.fill(0)
    for (let i = 0; i < d; i++) this.covariance[i * d + i] = this.initialVariance
  }

  /** The model's value at `x`, within [0, maxValue]. */
  predict(x: Float64Array): number {
    let y = 0
    for (let i = 0; i < x.length; i++) y += this.weights[i]! * x[i]!
    return Number.isFinite(y) ? Math.min(this.maxValue, Math.max(0, y)) : 0
  }

  /**
   * One RLS step towards `y` at `x`. Forgetting is applied as drift of the weights (the Kalman
   * form of exponential forgetting: (1 − λ)² added to each variance, which forgets old runs at the
   * rate of a factor λ), and no variance grows past its starting value — so, unlike plain
   * exponential forgetting, the covariance does not wind up while the same features repeat.
   */
  update(x: Float64Array, y: number): void {
    if (!Number.isFinite(y)) return
    const d = x.length
    const P = this.covariance
    const Px = this.scratch
    let excitation = 0
    let fitted = 0
    for (let i = 0; i < d; i++) {
      let sum = 0
      for (let j = 0; j < d; j++) sum += P[i * d + j]! * x[j]!
      Px[i] = sum
      excitation += x[i]! * sum
      fitted += this.weights[i]! * x[i]!
    }
    if (!(excitation >= 0) || !Number.isFinite(excitation)) return this.reset()
    const denominator = 1 + excitation
    const error = Math.max(-this.maxValue, Math.min(this.maxValue, Math.min(this.maxValue, y) - fitted))
    for (let i = 0; i < d; i++) {
      const gain = Px[i]! / denominator
      this.weights[i] = this.weights[i]! + gain * error
      for (let j = 0; j < d; j++) P[i * d + j] = P[i * d + j]! - gain * Px[j]!
    }
    for (let i = 0; i < d; i++) P[i * d + i] = Math.min(this.initialVariance, P[i * d + i]! + this.drift)
    if (!this.weights.every(Number.isFinite)) this.reset()
  }
}
