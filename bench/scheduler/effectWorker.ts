/** The Effect worker (RPC over worker_threads, @effect/platform-node) of bench/scheduler.ts's worker comparison. */
import { NodeRuntime, NodeWorkerRunner } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { RpcServer } from "effect/rpc"
import { fib } from "./cpu.ts"
import { FibRpcs } from "./rpcs.ts"

NodeRuntime.runMain(Layer.launch(RpcServer.layer(FibRpcs).pipe(
  Layer.provide(FibRpcs.toLayer({ Fib: ({ n }) => Effect.sync(() => fib(n)) })),
  Layer.provide(RpcServer.layerProtocolWorkerRunner),
  Layer.provide(NodeWorkerRunner.layer)
)))
