/**
 * @tenfold/scheduler — Tenfold's parallel DAG executor, worker-thread actors and load balancer.
 */
export {}
