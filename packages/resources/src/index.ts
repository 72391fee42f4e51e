/**
 * @tenfold/resources — Tenfold's resource pools (CPU, memory, network), learned resource predictor and admission control.
 */
export {}
