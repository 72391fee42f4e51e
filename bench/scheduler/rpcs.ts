/** The Effect RPC group the Effect-workers variant of bench/scheduler.ts serves: one call, `Fib`. */
import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"

export class FibRpcs extends RpcGroup.make(Rpc.make("Fib", { payload: { n: Schema.Int }, success: Schema.Number })) {}
