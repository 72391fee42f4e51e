/**
 * A custom tool: converts a length between units. Its input and output are Effect Schemas (the
 * client sees their JSON Schema; a bad argument is answered -32602 naming the field), and its
 * results are cached: the same conversion asked again within ten minutes, by anyone, is answered
 * from the cache without running the handler.
 */
import { Tool } from "@tenfold/mcp"
import { Effect, Schema } from "effect"

const metresPer = { mm: 0.001, cm: 0.01, m: 1, km: 1000, in: 0.0254, ft: 0.3048, yd: 0.9144, mi: 1609.344 } as const

const Unit = Schema.Literals(["mm", "cm", "m", "km", "in", "ft", "yd", "mi"])

const Input = Schema.Struct({
  value: Schema.Finite.annotate({ description: "The length to convert" }),
  from: Unit.annotate({ description: "Its unit" }),
  to: Unit.annotate({ description: "The unit to convert it to" })
})

const Output = Schema.Struct({
  value: Schema.Finite,
  unit: Unit,
  text: Schema.String
})

export const convertLength = Tool.make({
  name: "convert_length",
  title: "Convert a length",
  description: "Converts a length between millimetres, centimetres, metres, kilometres, inches, feet, yards and miles.",
  input: Input,
  output: Output,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cache: { ttl: "10 minutes", shared: true },
  handler: ({ from, to, value }) =>
    Effect.sync(() => {
      const converted = (value * metresPer[from]) / metresPer[to]
      return { value: converted, unit: to, text: `${value} ${from} = ${Number(converted.toPrecision(12))} ${to}` }
    })
})
