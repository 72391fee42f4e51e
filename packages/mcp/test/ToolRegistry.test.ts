import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Schema } from "effect"
import { ErrorCode, type ProtocolError } from "../src/JsonRpc.ts"
import * as Tool from "../src/Tool.ts"
import { make, type RegisteredTool, ToolRegistry } from "../src/ToolRegistry.ts"

const Echo = Tool.make({
  name: "echo",
  title: "Echo",
  description: "Echoes text",
  input: Schema.Struct({
    text: Schema.String.annotate({ description: "What to echo" }),
    times: Schema.optionalKey(Schema.Int)
  }),
  handler: ({ text }) => Effect.succeed(text)
})

const toolOf = (registry: ToolRegistry["Service"], name: string): RegisteredTool => {
  const tool = registry.catalog.get(name)
  if (tool === undefined) return assert.fail(`tool ${name} is not registered`)
  return tool
}

const failureOf = <A>(exit: Exit.Exit<A, ProtocolError>): ProtocolError => {
  if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
  return Cause.squash(exit.cause) as ProtocolError
}

const listedTools = (registry: ToolRegistry["Service"]): Array<Record<string, unknown>> => {
  const json = registry.catalog.pageJson(undefined, "}")
  if (typeof json !== "string") return assert.fail(json.message)
  return JSON.parse(json).tools
}

describe("ToolRegistry", () => {
  describe("wire form and JSON Schema", () => {
    it("derives an object inputSchema with properties, required fields and descriptions", () => {
      const wire = toolOf(make([Echo]), "echo").wire
      assert.strictEqual(wire.name, "echo")
      assert.strictEqual(wire.title, "Echo")
      assert.strictEqual(wire.description, "Echoes text")
      const schema = wire.inputSchema as { type: string; properties: Record<string, { type: string; description?: string }>; required: Array<string> }
      assert.strictEqual(schema.type, "object")
      assert.deepStrictEqual(Object.keys(schema.properties).sort(), ["text", "times"])
      assert.strictEqual(schema.properties.text?.type, "string")
      assert.strictEqual(schema.properties.text?.description, "What to echo")
      assert.deepStrictEqual(schema.required, ["text"])
      assert.isFalse("outputSchema" in wire)
    })

    it("gives an empty struct the schema {type: object, properties: {}}", () => {
      const registry = make([Tool.make({ name: "noargs", description: "d", input: Schema.Struct({}), handler: () => Effect.succeed("ok") })])
      assert.deepStrictEqual(toolOf(registry, "noargs").wire.inputSchema, { type: "object", properties: {} })
    })

    // An input whose root encodes as a $ref (a Schema.Class, or a Struct with an identifier) must
    // still advertise its properties: clients read inputSchema.properties/required, not $defs.
    it("keeps the properties of an input whose root is a Schema.Class", () => {
      class Args extends Schema.Class<Args>("Args")({ text: Schema.String }) {}
      const registry = make([Tool.make({ name: "cls", description: "d", input: Args, handler: () => Effect.succeed("ok") })])
      const schema = toolOf(registry, "cls").wire.inputSchema as { type: string; properties: Record<string, unknown>; required?: Array<string> }
      assert.strictEqual(schema.type, "object")
      assert.deepStrictEqual(Object.keys(schema.properties), ["text"])
      assert.deepStrictEqual(schema.required, ["text"])
    })

    it("keeps the properties of an input struct annotated with an identifier", () => {
      const Input = Schema.Struct({ query: Schema.String }).annotate({ identifier: "SearchInput" })
      const registry = make([Tool.make({ name: "search", description: "d", input: Input, handler: () => Effect.succeed("ok") })])
      const schema = toolOf(registry, "search").wire.inputSchema as { properties: Record<string, unknown>; required?: Array<string> }
      assert.deepStrictEqual(Object.keys(schema.properties), ["query"])
      assert.deepStrictEqual(schema.required, ["query"])
    })

    it("adds an outputSchema when the tool declares an output", () => {
      const registry = make([Tool.make({
        name: "len",
        description: "d",
        input: Schema.Struct({ text: Schema.String }),
        output: Schema.Struct({ length: Schema.Int }),
        handler: ({ text }) => Effect.succeed({ length: text.length })
      })])
      const tool = toolOf(registry, "len")
      const output = tool.wire.outputSchema as { type: string; properties: Record<string, unknown>; required: Array<string> }
      assert.strictEqual(output.type, "object")
      assert.deepStrictEqual(Object.keys(output.properties), ["length"])
      assert.deepStrictEqual(output.required, ["length"])
      assert.isDefined(tool.encodeOutput)
    })

    it("lists tools with their wire form through the catalog", () => {
      const tools = listedTools(make([Echo]))
      assert.strictEqual(tools.length, 1)
      assert.deepStrictEqual(tools[0], toolOf(make([Echo]), "echo").wire)
    })
  })

  describe("decodeArguments", () => {
    it("decodes valid arguments", () => {
      const exit = toolOf(make([Echo]), "echo").decodeArguments({ text: "hi", times: 2 })
      assert.deepStrictEqual(exit, Exit.succeed({ text: "hi", times: 2 }))
    })

    it("fails with -32602 naming the bad field", () => {
      const error = failureOf(toolOf(make([Echo]), "echo").decodeArguments({ text: 42 }))
      assert.strictEqual(error.code, ErrorCode.InvalidParams)
      assert.include(error.message, `["text"]`)
      assert.include(error.message, "echo")
    })

    it("treats missing arguments as an empty object and names the missing field", () => {
      const error = failureOf(toolOf(make([Echo]), "echo").decodeArguments(undefined))
      assert.strictEqual(error.code, ErrorCode.InvalidParams)
      assert.include(error.message, `["text"]`)
    })

    it("reports every bad field on one line", () => {
      const error = failureOf(toolOf(make([Echo]), "echo").decodeArguments({ text: 1, times: 1.5 }))
      assert.include(error.message, `["text"]`)
      assert.include(error.message, `["times"]`)
      assert.notInclude(error.message, "\n")
    })
  })

  describe("lazily loaded implementations", () => {
    const lazyTool = () => {
      let loads = 0
      const definition = Tool.make({
        name: "lazy",
        description: "Loaded on first call",
        input: Schema.Struct({ text: Schema.String }),
        load: () => {
          loads++
          return Promise.resolve(({ text }: { text: string }) => Effect.succeed(text.toUpperCase()))
        }
      })
      return { definition, loads: () => loads }
    }

    it.effect("never loads the implementation for listing", () =>
      Effect.sync(() => {
        const lazy = lazyTool()
        const registry = make([lazy.definition])
        listedTools(registry)
        listedTools(registry)
        assert.strictEqual(lazy.loads(), 0)
        assert.isFalse(toolOf(registry, "lazy").isLoaded())
      }))

    it.effect("loads once on first use and flips isLoaded", () =>
      Effect.gen(function*() {
        const lazy = lazyTool()
        const tool = toolOf(make([lazy.definition]), "lazy")
        const handler = yield* tool.handler
        assert.isTrue(tool.isLoaded())
        yield* tool.handler
        assert.strictEqual(lazy.loads(), 1)
        const out = yield* handler({ text: "abc" }, undefined as never)
        assert.strictEqual(out, "ABC")
      }))

    it.effect("shares one load between concurrent first calls", () =>
      Effect.gen(function*() {
        let loads = 0
        const gate = yield* Deferred.make<void>()
        const tool = toolOf(make([Tool.make({
          name: "slowload",
          description: "d",
          input: Schema.Struct({}),
          load: () => {
            loads++
            return Effect.runPromise(Deferred.await(gate)).then(() => () => Effect.succeed("loaded"))
          }
        })]), "slowload")
        let started = 0
        const firstCall = Effect.sync(() => started++).pipe(Effect.andThen(tool.handler))
        const fibers = yield* Effect.forEach([1, 2, 3, 4], () => Effect.forkChild(firstCall))
        yield* Effect.yieldNow
        assert.strictEqual(started, 4) // every call asked for the handler before the import finished
        assert.isFalse(tool.isLoaded())
        yield* Deferred.succeed(gate, undefined)
        const handlers = yield* Fiber.joinAll(fibers)
        assert.strictEqual(loads, 1)
        assert.strictEqual(new Set(handlers).size, 1)
        assert.isTrue(tool.isLoaded())
      }))

    it.effect("a failed load answers -32603 without its cause and is retried on the next call", () =>
      Effect.gen(function*() {
        let loads = 0
        const tool = toolOf(make([Tool.make({
          name: "flaky",
          description: "d",
          input: Schema.Struct({}),
          load: () => (++loads === 1 ? Promise.reject(new Error("boom")) : Promise.resolve(() => Effect.succeed("ok")))
        })]), "flaky")
        const error = yield* Effect.flip(tool.handler)
        assert.strictEqual(error.code, ErrorCode.InternalError)
        assert.notInclude(error.message, "boom")
        assert.isFalse(tool.isLoaded())
        yield* tool.handler
        assert.strictEqual(loads, 2)
        assert.isTrue(tool.isLoaded())
      }))

    it("counts a tool with an inline handler as loaded from the start", () => {
      assert.isTrue(toolOf(make([Echo]), "echo").isLoaded())
    })

    it.effect("imports a tool named by module URL on its first call, and describes its job for the executor", () =>
      Effect.gen(function*() {
        const url = new URL("./fixture/moduleTool.ts", import.meta.url)
        const tool = toolOf(make([Tool.make({
          name: "shout",
          description: "d",
          input: Schema.Struct({ text: Schema.String }),
          module: { url, export: "shout" },
          timeoutMs: 250,
          cpuBound: true
        })]), "shout")
        assert.isFalse(tool.isLoaded())
        assert.deepStrictEqual(tool.job, { name: "shout", timeoutMs: 250, module: { url, export: "shout" }, cpuBound: true })
        const handler = yield* tool.handler
        assert.isTrue(tool.isLoaded())
        assert.strictEqual(yield* handler({ text: "hi" }, undefined as never), "HI")
      }))

    it.effect("answers -32603 for a module export that is missing or not a function", () =>
      Effect.gen(function*() {
        const url = new URL("./fixture/moduleTool.ts", import.meta.url)
        for (const name of ["missing", "notAFunction"]) {
          const tool = toolOf(make([Tool.make({ name, description: "d", input: Schema.Struct({}), module: { url, export: name } })]), name)
          assert.strictEqual((yield* Effect.flip(tool.handler)).code, ErrorCode.InternalError)
        }
      }))

    it("refuses a tool with no handler, load function or module", () => {
      assert.throws(() => make([{ name: "empty", description: "d", input: Schema.Struct({}) }]), /no handler, load function or module/)
    })
  })

  describe("register and remove", () => {
    it.effect("register replaces a tool of the same name and triggers onChange", () =>
      Effect.gen(function*() {
        const registry = yield* ToolRegistry
        let changes = 0
        registry.catalog.onChange(() => changes++)
        yield* registry.register(Tool.make({ name: "echo", description: "Second version", input: Schema.Struct({}), handler: () => Effect.succeed("v2") }))
        const tools = listedTools(registry)
        assert.strictEqual(tools.length, 1)
        assert.strictEqual(tools[0]?.description, "Second version")
        assert.strictEqual(changes, 1)
      }).pipe(Effect.provide(ToolRegistry.layer([Echo]))))

    it.effect("remove deletes a tool and triggers onChange; removing it again is a no-op", () =>
      Effect.gen(function*() {
        const registry = yield* ToolRegistry
        let changes = 0
        registry.catalog.onChange(() => changes++)
        assert.isTrue(yield* registry.remove("echo"))
        assert.isFalse(yield* registry.remove("echo"))
        assert.deepStrictEqual(listedTools(registry), [])
        assert.isUndefined(registry.catalog.get("echo"))
        assert.strictEqual(changes, 1)
      }).pipe(Effect.provide(ToolRegistry.layer([Echo]))))

    it.effect("pages tools/list by the pageSize option", () =>
      Effect.gen(function*() {
        const registry = yield* ToolRegistry
        for (const name of ["a", "b", "c"]) {
          yield* registry.register(Tool.make({ name, description: "d", input: Schema.Struct({}), handler: () => Effect.succeed(name) }))
        }
        const json = registry.catalog.pageJson(undefined, "}")
        assert.isString(json)
        const first = JSON.parse(json as string) as { tools: Array<{ name: string }>; nextCursor?: string }
        assert.deepStrictEqual(first.tools.map((t) => t.name), ["a", "b"])
        assert.isString(first.nextCursor)
      }).pipe(Effect.provide(ToolRegistry.layer([], { pageSize: 2 }))))
  })

  describe("JSON Schema inputs", () => {
    const raw = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { name: { type: "string" }, kind: { type: "string", enum: ["a", "b"] } },
      required: ["name"],
      additionalProperties: false
    }
    const registry = make([Tool.make({ name: "raw", description: "d", input: Tool.jsonSchema(raw), handler: () => Effect.succeed("ok") })])
    const tool = registry.catalog.get("raw")!

    it("advertises the schema exactly as given", () => {
      assert.deepStrictEqual(tool.wire.inputSchema, raw)
    })

    it("compiles the schema on the first call: a schema that cannot be compiled answers -32603 then, not at start", () => {
      const broken = make([Tool.make({ name: "broken", description: "d", input: Tool.jsonSchema({ type: "object", properties: { a: { $ref: "#/nowhere" } } }), handler: () => Effect.succeed("ok") })])
      const bad = broken.catalog.get("broken")!.decodeArguments({ a: 1 })
      assert.strictEqual(failureOf(bad).code, ErrorCode.InternalError)
    })

    it("validates arguments with it, naming the bad field", () => {
      assert.isTrue(Exit.isSuccess(tool.decodeArguments({ name: "x", kind: "a" })))
      const bad = tool.decodeArguments({ name: 1, extra: true })
      assert.isTrue(Exit.isFailure(bad))
      const message = Exit.isFailure(bad) ? String(Cause.squash(bad.cause)) : ""
      assert.include(message, "name")
    })
  })
})
