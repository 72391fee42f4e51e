/**
 * The small CPU task every worker implementation of bench/scheduler.ts runs: naive Fibonacci,
 * about 0.1 ms for n = 18 on this machine. A module of its own so all three import the same code.
 */
export const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2))

/** Piscina calls a module's default export (or the export named in `run`'s options). */
export default fib
